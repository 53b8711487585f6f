//! Epitome shapes, offsets and their counts (docs/epitome.md#shapes, docs/epitome.md#sampling).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Geometry of the convolution layer an epitome replaces.
///
/// A fully connected layer is a 1x1 convolution on a 1x1 map (`k_h = k_w = 1`).
/// Dilation is 1 and groups 1: grouped and depthwise convolutions stay dense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct LayerGeometry {
    /// Output channels.
    pub c_out: usize,
    /// Input channels.
    pub c_in: usize,
    /// Kernel height.
    pub k_h: usize,
    /// Kernel width.
    pub k_w: usize,
    /// Stride (both directions).
    #[serde(default = "one")]
    pub stride: usize,
    /// Zero padding (all sides).
    #[serde(default)]
    pub padding: usize,
}

fn one() -> usize {
    1
}

/// Shape of an epitome `E[e_out][e_in][e_h][e_w]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct EpitomeShape {
    /// Epitome output rows (crossbar columns).
    pub e_out: usize,
    /// Epitome input channels.
    pub e_in: usize,
    /// Epitome height.
    pub e_h: usize,
    /// Epitome width.
    pub e_w: usize,
}

impl EpitomeShape {
    /// Number of epitome elements, `e_out*e_in*e_h*e_w`.
    pub fn len(&self) -> usize {
        self.e_out * self.e_in * self.e_h * self.e_w
    }

    /// True when the shape has no elements (only possible before validation).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Offset triple `(a, b, c)` of one output-channel group: input-channel, row and
/// column offset into the epitome.
#[cfg_attr(target_arch = "wasm32", tsify_next::declare)]
pub type Offset = [usize; 3];

/// The distinct offset patterns of a spec and which groups use them
/// ([`EpitomeSpec::pattern_index`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternIndex {
    /// Distinct offsets in order of first appearance.
    pub patterns: Vec<Offset>,
    /// Pattern id of every group.
    pub group_pattern: Vec<usize>,
    /// Groups of every pattern, ascending.
    pub groups_of: Vec<Vec<usize>>,
}

/// A layer together with its epitome shape, offsets and replication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct EpitomeSpec {
    /// The layer the epitome replaces.
    pub layer: LayerGeometry,
    /// The epitome's shape.
    pub epitome: EpitomeShape,
    /// Per-group offsets; `None` means the default schedule
    /// ([`EpitomeSpec::default_offset`]). When fewer offsets than groups are
    /// given, the remaining groups use the default schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offsets: Option<Vec<Offset>>,
    /// Replication factor: copies of the epitome crossbars so groups run in
    /// parallel (>= 1).
    #[serde(default = "one")]
    pub rep: usize,
}

impl EpitomeSpec {
    /// A stride-1, unpadded spec of layer `[c_out, c_in, k_h, k_w]` and epitome
    /// `[e_out, e_in, e_h, e_w]` (the tests' shorthand).
    #[cfg(test)]
    pub(crate) fn unit_stride(
        [c_out, c_in, k_h, k_w]: [usize; 4],
        [e_out, e_in, e_h, e_w]: [usize; 4],
    ) -> Self {
        let layer = LayerGeometry {
            c_out,
            c_in,
            k_h,
            k_w,
            stride: 1,
            padding: 0,
        };
        Self::new(
            layer,
            EpitomeShape {
                e_out,
                e_in,
                e_h,
                e_w,
            },
        )
    }

    /// A spec with default offsets and `rep = 1`.
    pub fn new(layer: LayerGeometry, epitome: EpitomeShape) -> Self {
        EpitomeSpec {
            layer,
            epitome,
            offsets: None,
            rep: 1,
        }
    }

    /// Checks every bound of docs/epitome.md#shapes and docs/epitome.md#sampling; the error names the
    /// field and the bound.
    pub fn validate(&self) -> Result<()> {
        let l = &self.layer;
        let e = &self.epitome;
        use crate::limits::{
            check_range, MAX_CHANNELS, MAX_EPITOME_ELEMENTS, MAX_EPITOME_SPATIAL, MAX_KERNEL,
            MAX_LAYER_WEIGHTS,
        };
        // Every dimension against its own bound first: the products below then
        // cannot overflow a u64, and nothing is allocated before this passes.
        for (field, v, max) in [
            ("layer.c_out", l.c_out, MAX_CHANNELS),
            ("layer.c_in", l.c_in, MAX_CHANNELS),
            ("layer.k_h", l.k_h, MAX_KERNEL),
            ("layer.k_w", l.k_w, MAX_KERNEL),
            ("layer.stride", l.stride, MAX_KERNEL),
            ("epitome.e_out", e.e_out, MAX_CHANNELS),
            ("epitome.e_in", e.e_in, MAX_CHANNELS),
            ("epitome.e_h", e.e_h, MAX_EPITOME_SPATIAL),
            ("epitome.e_w", e.e_w, MAX_EPITOME_SPATIAL),
            ("rep", self.rep, MAX_CHANNELS),
        ] {
            if v == 0 {
                return Err(Error::invalid(field, "must be at least 1, got 0"));
            }
            check_range(field, v, max)?;
        }
        if l.padding > MAX_KERNEL {
            return Err(Error::invalid(
                "layer.padding",
                format!("must be an integer in 0..={MAX_KERNEL}, got {}", l.padding),
            ));
        }
        if e.e_out > l.c_out {
            return Err(Error::invalid(
                "epitome.e_out",
                format!("must be <= c_out = {}, got {}", l.c_out, e.e_out),
            ));
        }
        if e.e_h < l.k_h {
            return Err(Error::invalid(
                "epitome.e_h",
                format!("must be >= k_h = {}, got {}", l.k_h, e.e_h),
            ));
        }
        if e.e_w < l.k_w {
            return Err(Error::invalid(
                "epitome.e_w",
                format!("must be >= k_w = {}, got {}", l.k_w, e.e_w),
            ));
        }
        // Products in u64 (usize is 32 bits in wasm); each factor is bounded above.
        let product = |dims: [usize; 4]| dims.iter().map(|&d| d as u64).product::<u64>();
        let weights = product([l.c_out, l.c_in, l.k_h, l.k_w]);
        if weights > MAX_LAYER_WEIGHTS as u64 {
            return Err(Error::invalid(
                "layer",
                format!("c_out*c_in*k_h*k_w must be at most {MAX_LAYER_WEIGHTS}, got {weights}"),
            ));
        }
        let params = product([e.e_out, e.e_in, e.e_h, e.e_w]);
        if params > MAX_EPITOME_ELEMENTS as u64 {
            return Err(Error::invalid(
                "epitome",
                format!("e_out*e_in*e_h*e_w must be at most {MAX_EPITOME_ELEMENTS}, got {params}"),
            ));
        }
        let groups = self.groups();
        if let Some(offsets) = &self.offsets {
            if offsets.len() > groups {
                return Err(Error::invalid(
                    "offsets",
                    format!(
                        "{} offsets given but the layer has only {groups} groups (ceil(c_out / e_out))",
                        offsets.len()
                    ),
                ));
            }
            for (g, &[a, b, c]) in offsets.iter().enumerate() {
                if a >= e.e_in {
                    return Err(Error::invalid(
                        format!("offsets[{g}][0]"),
                        format!("must be < e_in = {}, got {a}", e.e_in),
                    ));
                }
                if b > e.e_h - l.k_h {
                    return Err(Error::invalid(
                        format!("offsets[{g}][1]"),
                        format!("must be <= e_h - k_h = {}, got {b}", e.e_h - l.k_h),
                    ));
                }
                if c > e.e_w - l.k_w {
                    return Err(Error::invalid(
                        format!("offsets[{g}][2]"),
                        format!("must be <= e_w - k_w = {}, got {c}", e.e_w - l.k_w),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Weights of the dense layer, `c_out*c_in*k_h*k_w`.
    pub fn weight_count(&self) -> usize {
        let l = &self.layer;
        l.c_out * l.c_in * l.k_h * l.k_w
    }

    /// Validates the spec and bounds [`Self::weight_count`] by
    /// [`crate::limits::MAX_MATERIALIZED_WEIGHTS`] (for what expands every weight:
    /// `what` says what, e.g. "materializing").
    pub fn check_expandable(&self, what: &str) -> Result<()> {
        self.validate()?;
        let max = crate::limits::MAX_MATERIALIZED_WEIGHTS;
        if self.weight_count() > max {
            return Err(Error::invalid(
                "layer",
                format!(
                    "{what} needs c_out*c_in*k_h*k_w = {} weights; at most {max}",
                    self.weight_count()
                ),
            ));
        }
        Ok(())
    }

    /// Parameters stored by the epitome, `e_out*e_in*e_h*e_w`.
    pub fn param_count(&self) -> usize {
        self.epitome.len()
    }

    /// Parameter compression, `weight_count / param_count`.
    pub fn compression(&self) -> f64 {
        self.weight_count() as f64 / self.param_count() as f64
    }

    /// Number of output-channel groups, `ceil(c_out / e_out)`.
    pub fn groups(&self) -> usize {
        self.layer.c_out.div_ceil(self.epitome.e_out)
    }

    /// The group of output channel `o`, `o / e_out` (channels `g*e_out .. (g+1)*e_out`
    /// share group `g`'s offset).
    pub fn group_of(&self, o: usize) -> usize {
        o / self.epitome.e_out
    }

    /// The default offset of group `g` (docs/epitome.md#sampling).
    pub fn default_offset(&self, g: usize) -> Offset {
        let (l, e) = (&self.layer, &self.epitome);
        let groups = self.groups();
        let nb = e.e_h - l.k_h + 1;
        let nc = e.e_w - l.k_w + 1;
        // In u64: g*e_in reaches 2^32 within the limits (usize is 32 bits in wasm).
        let a = (g as u64 * e.e_in as u64) / groups as u64;
        [a as usize, g % nb, (g / nb) % nc]
    }

    /// The offset used by group `g`: the listed one, or the default schedule.
    pub fn offset(&self, g: usize) -> Offset {
        match &self.offsets {
            Some(list) if g < list.len() => list[g],
            _ => self.default_offset(g),
        }
    }

    /// Offsets of all groups, in group order.
    pub fn all_offsets(&self) -> Vec<Offset> {
        (0..self.groups()).map(|g| self.offset(g)).collect()
    }

    /// Number of distinct offset patterns (groups with equal offsets share one).
    /// O(1) for the default schedule when the epitome is as small as the kernel
    /// spatially (the search evaluates this per candidate layer).
    pub fn distinct_patterns(&self) -> usize {
        let (l, e) = (&self.layer, &self.epitome);
        if self.offsets.is_none() && e.e_h == l.k_h && e.e_w == l.k_w {
            // Default schedule with b = c = 0: a_g = g*e_in/G takes min(G, e_in)
            // distinct values (steps >= 1 when G <= e_in; every value otherwise).
            return self.groups().min(e.e_in);
        }
        let mut offs = self.all_offsets();
        offs.sort_unstable();
        offs.dedup();
        offs.len()
    }

    /// The distinct offset patterns in order of first appearance over the groups
    /// `g = 0, 1, ...`. Pattern ids used by the datapath tables index this list.
    pub fn patterns(&self) -> Vec<Offset> {
        self.pattern_index().patterns
    }

    /// The pattern id ([`EpitomeSpec::patterns`] index) of every group.
    pub fn group_patterns(&self) -> Vec<usize> {
        self.pattern_index().group_pattern
    }

    /// Patterns, the pattern of every group and the groups of every pattern, in
    /// one pass over the groups with a hash map: O(groups), never
    /// O(groups x patterns) (a 65,536-group layer takes milliseconds).
    pub fn pattern_index(&self) -> PatternIndex {
        let groups = self.groups();
        let mut ids: HashMap<Offset, usize> = HashMap::new();
        let mut patterns = Vec::new();
        let mut group_pattern = Vec::with_capacity(groups);
        let mut groups_of: Vec<Vec<usize>> = Vec::new();
        for g in 0..groups {
            let off = self.offset(g);
            let id = *ids.entry(off).or_insert_with(|| {
                patterns.push(off);
                groups_of.push(Vec::new());
                patterns.len() - 1
            });
            group_pattern.push(id);
            groups_of[id].push(g);
        }
        PatternIndex {
            patterns,
            group_pattern,
            groups_of,
        }
    }

    /// Output size `(h_out, w_out)` of the layer on an `h_in x w_in` map:
    /// `(h_in + 2*padding - k_h) / stride + 1` (and the same for the width).
    /// Fails when the padded map is smaller than the kernel.
    pub fn output_size(&self, h_in: usize, w_in: usize) -> Result<(usize, usize)> {
        let l = &self.layer;
        let h_out = crate::nn::conv_ref::output_len("input.h", h_in, l.k_h, l.stride, l.padding)?;
        let w_out = crate::nn::conv_ref::output_len("input.w", w_in, l.k_w, l.stride, l.padding)?;
        Ok((h_out, w_out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(c_out: usize, c_in: usize, k: usize, e: [usize; 4]) -> EpitomeSpec {
        EpitomeSpec::unit_stride([c_out, c_in, k, k], e)
    }

    #[test]
    fn counts_follow_the_spec_formulae() {
        let s = spec(64, 64, 3, [32, 32, 4, 4]);
        s.validate().unwrap();
        assert_eq!(s.weight_count(), 64 * 64 * 9);
        assert_eq!(s.param_count(), 32 * 32 * 16);
        assert!((s.compression() - 2.25).abs() < 1e-12);
        assert_eq!(s.groups(), 2);
        // g=0: (0,0,0); g=1: a = 32/2 = 16, b = 1 % 2 = 1, c = (1/2) % 2 = 0.
        assert_eq!(s.all_offsets(), vec![[0, 0, 0], [16, 1, 0]]);
        assert_eq!(s.distinct_patterns(), 2);
    }

    #[test]
    fn distinct_pattern_shortcut_equals_listing_the_offsets() {
        for c_out in 1..=24 {
            for e_out in 1..=c_out.min(6) {
                for e_in in 1..=7 {
                    for (k, e_hw) in [(1, 1), (3, 3), (3, 4)] {
                        let s = spec(c_out, 5, k, [e_out, e_in, e_hw, e_hw]);
                        s.validate().unwrap();
                        assert_eq!(s.distinct_patterns(), s.patterns().len(), "{s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn groups_round_up_and_equal_offsets_share_a_pattern() {
        // 5 output channels from 2 epitome rows: 3 groups; e_h = k_h and
        // e_w = k_w force b = c = 0, and e_in = 1 forces a = 0: one pattern.
        let s = spec(5, 3, 3, [2, 1, 3, 3]);
        s.validate().unwrap();
        assert_eq!(s.groups(), 3);
        assert_eq!(s.distinct_patterns(), 1);
    }

    #[test]
    fn every_bound_is_checked_and_named() {
        let ok = || {
            let mut s = spec(8, 4, 3, [4, 2, 4, 5]);
            s.layer.stride = 1;
            s
        };
        ok().validate().unwrap();
        type Edit = fn(&mut EpitomeSpec);
        let cases: [(Edit, &str); 22] = [
            (|s| s.layer.c_out = 0, "layer.c_out"),
            (|s| s.layer.c_in = 0, "layer.c_in"),
            (|s| s.layer.k_h = 0, "layer.k_h"),
            (|s| s.layer.k_w = 0, "layer.k_w"),
            (|s| s.layer.stride = 0, "layer.stride"),
            (|s| s.epitome.e_out = 0, "epitome.e_out"),
            (|s| s.epitome.e_in = 0, "epitome.e_in"),
            (|s| s.epitome.e_h = 0, "epitome.e_h"),
            (|s| s.epitome.e_w = 0, "epitome.e_w"),
            (|s| s.rep = 0, "rep"),
            (
                |s| s.epitome.e_out = 9,
                "epitome.e_out: must be <= c_out = 8",
            ),
            (|s| s.epitome.e_h = 2, "epitome.e_h: must be >= k_h = 3"),
            (|s| s.epitome.e_w = 2, "epitome.e_w: must be >= k_w = 3"),
            (
                |s| s.offsets = Some(vec![[0, 0, 0], [2, 0, 0]]),
                "offsets[1][0]: must be < e_in = 2",
            ),
            (
                |s| s.offsets = Some(vec![[0, 2, 0]]),
                "offsets[0][1]: must be <= e_h - k_h = 1",
            ),
            (
                |s| s.offsets = Some(vec![[0, 0, 3]]),
                "offsets[0][2]: must be <= e_w - k_w = 2",
            ),
            (
                |s| s.layer.c_in = usize::MAX / 2,
                "layer.c_in: must be an integer in 1..=65536",
            ),
            (
                |s| s.layer.c_out = 1 << 28,
                "layer.c_out: must be an integer in 1..=65536, got 268435456",
            ),
            (
                |s| {
                    s.layer.c_out = 1 << 16;
                    s.layer.c_in = 1 << 16;
                },
                "c_out*c_in*k_h*k_w must be at most",
            ),
            (
                |s| {
                    s.epitome.e_in = 1 << 16;
                    s.epitome.e_h = 1 << 10;
                },
                "e_out*e_in*e_h*e_w must be at most",
            ),
            (
                |s| s.layer.padding = 65,
                "layer.padding: must be an integer in 0..=64",
            ),
            (
                |s| s.epitome.e_w = 1025,
                "epitome.e_w: must be an integer in 1..=1024",
            ),
        ];
        for (edit, needle) in cases {
            let mut s = ok();
            edit(&mut s);
            let e = s.validate().unwrap_err().to_string();
            assert!(e.contains(needle), "{e} lacks {needle}");
        }
        // Fewer offsets than groups is fine (the rest use the default schedule).
        let mut s = ok();
        s.offsets = Some(vec![[1, 1, 2]]);
        s.validate().unwrap();
        assert_eq!(s.all_offsets(), vec![[1, 1, 2], s.default_offset(1)]);
    }

    /// The obvious O(groups x patterns) listing the hash map replaced.
    fn linear_scan(s: &EpitomeSpec) -> (Vec<Offset>, Vec<usize>) {
        let mut pats: Vec<Offset> = Vec::new();
        for off in s.all_offsets() {
            if !pats.contains(&off) {
                pats.push(off);
            }
        }
        let ids = s
            .all_offsets()
            .iter()
            .map(|o| pats.iter().position(|p| p == o).unwrap())
            .collect();
        (pats, ids)
    }

    #[test]
    fn pattern_index_equals_the_linear_scan_oracle() {
        let mut seed = 0x9e37_79b9_u64;
        let mut next = |m: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % m
        };
        for case in 0..400 {
            let (c_out, e_out) = (1 + next(40), 1 + next(6));
            let (k, e_hw) = [(1, 1), (1, 3), (3, 3), (3, 5)][next(4)];
            let mut s = spec(
                c_out.max(e_out),
                1 + next(9),
                k,
                [e_out, 1 + next(5), e_hw, e_hw],
            );
            if case % 2 == 0 {
                let g = s.groups();
                let n = next(g + 1);
                let (ein, span) = (s.epitome.e_in, e_hw - k + 1);
                s.offsets = Some(
                    (0..n)
                        .map(|_| [next(ein), next(span), next(span)])
                        .collect(),
                );
            }
            s.validate().unwrap();
            let (pats, ids) = linear_scan(&s);
            let index = s.pattern_index();
            assert_eq!(index.patterns, pats, "{s:?}");
            assert_eq!(index.group_pattern, ids, "{s:?}");
            for (p, groups) in index.groups_of.iter().enumerate() {
                let want: Vec<usize> = (0..ids.len()).filter(|&g| ids[g] == p).collect();
                assert_eq!(groups, &want);
            }
            assert_eq!(s.distinct_patterns(), pats.len());
        }
    }

    #[test]
    fn the_largest_layers_index_their_patterns_and_default_offsets_do_not_overflow() {
        // 65,536 groups with 65,536 distinct offsets (the freezing link).
        let s = spec(1 << 16, 1, 1, [1, 1, 256, 256]);
        s.validate().unwrap();
        let index = s.pattern_index();
        assert_eq!(index.patterns.len(), 1 << 16);
        assert_eq!(s.distinct_patterns(), 1 << 16);
        // g*e_in = 65535 * 65536 exceeds u32: the default schedule computes in u64.
        let s = spec(1 << 16, 1, 1, [1, 1 << 16, 1, 1]);
        s.validate().unwrap();
        assert_eq!(s.default_offset((1 << 16) - 1), [(1 << 16) - 1, 0, 0]);
    }

    #[test]
    fn patterns_are_in_first_appearance_order() {
        let mut s = spec(8, 4, 3, [2, 2, 4, 4]);
        s.offsets = Some(vec![[1, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 1]]);
        assert_eq!(s.patterns(), vec![[1, 0, 0], [0, 0, 0], [0, 1, 1]]);
        assert_eq!(s.group_patterns(), vec![0, 1, 0, 2]);
        assert_eq!(s.distinct_patterns(), 3);
    }

    #[test]
    fn validation_names_field_and_bound() {
        let e = spec(8, 4, 3, [4, 2, 2, 4]).validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid epitome.e_h: must be >= k_h = 3, got 2"
        );
        let e = spec(8, 4, 3, [9, 2, 3, 3]).validate().unwrap_err();
        assert!(e.to_string().contains("epitome.e_out"), "{e}");
        let e = spec(0, 4, 3, [1, 2, 3, 3]).validate().unwrap_err();
        assert!(e.to_string().contains("layer.c_out"), "{e}");
        let mut s = spec(8, 4, 3, [4, 2, 4, 4]);
        s.offsets = Some(vec![[0, 0, 0], [1, 2, 0]]);
        let e = s.validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid offsets[1][1]: must be <= e_h - k_h = 1, got 2"
        );
        s.offsets = Some(vec![[0, 0, 0]; 3]);
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("only 2 groups"));
    }
}
