//! The links between `W` and `E` the explorer draws, from the index map of
//! [`Sampler`] (docs/epitome.md#sampling):
//!
//! - [`sampling`]: the whole map (weight -> epitome element) and how many weights
//!   each element feeds (the heat map);
//! - [`window`]: the epitome elements one kernel `W[o][i]` (or a whole output
//!   channel `W[o]`) reads, with the wrap-around of the input channel;
//! - [`cells`]: the per-cell view the explorer draws (the first rows and channels
//!   of `E` and `W`, nested by coordinates), so the page only maps the pointer to a
//!   cell and never flattens an index;
//! - [`readers`]: the reverse, every weight that reads one epitome element, found
//!   from the offsets in O(groups + readers) time; [`readers_by_scan`] is its
//!   obviously correct oracle (a scan of the whole map).
//!
//! Every function bounds the layer by [`crate::limits::MAX_MATERIALIZED_WEIGHTS`]
//! (the explorer's limit), so no answer is larger than the layer's weight count.

use serde::Serialize;

use crate::epitome::sampler::Sampler;
use crate::epitome::spec::{EpitomeSpec, Offset};
use crate::error::{Error, Result};

/// The index map and the per-element counts of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sampling {
    /// Entry `((o*c_in + i)*k_h + y)*k_w + x`: the flat index into `E` of the element
    /// weight `W[o][i][y][x]` copies.
    pub index: Vec<u32>,
    /// Entry `k`: how many weights copy element `k` of `E` (0 for an unused element).
    pub counts: Vec<u32>,
    /// The largest count.
    pub max_count: u32,
    /// Entry `o`: the group of output channel `o` ([`EpitomeSpec::group_of`]).
    pub groups: Vec<u32>,
}

/// The epitome elements a kernel (or an output channel) reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(missing_as_null))]
pub struct EpitomeWindow {
    /// The output channel.
    pub o: usize,
    /// The input channel (`None`: every input channel of `o`).
    pub i: Option<usize>,
    /// `o / e_out`.
    pub group: usize,
    /// The group's offset `(a, b, c)`.
    pub offset: Offset,
    /// The epitome row, `o % e_out`.
    pub row: usize,
    /// The epitome channel input channel `i` reads, `(a + i) % e_in` (`None` for a
    /// whole output channel).
    pub channel: Option<usize>,
    /// How many times the input channel wrapped around the epitome's channels to
    /// get there, `(a + i) / e_in` (0 for a whole output channel).
    pub wraps: usize,
    /// Flat indices into `E`, ascending, without repeats.
    pub elements: Vec<usize>,
    /// The same elements as `[r, ch, y, x]`.
    pub cells: Vec<[usize; 4]>,
    /// The input channel to show next: `i + 1`, wrapping to 0 after `c_in - 1` (0 for
    /// a whole output channel).
    pub next_i: usize,
}

/// The weights that read one epitome element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct EpitomeReaders {
    /// The flat index into `E`.
    pub element: usize,
    /// The element as `[r, ch, y, x]`.
    pub cell: [usize; 4],
    /// Every weight `[o, i, y, x]` that copies it, in the map's (row-major) order.
    pub weights: Vec<[usize; 4]>,
    /// The kernels `[o, i]` among them, in the same order, without repeats.
    pub kernels: Vec<[usize; 2]>,
}

/// Validates `spec` and bounds its weight count by the explorer's limit.
fn checked(spec: &EpitomeSpec) -> Result<Sampler> {
    spec.check_expandable("drawing the links")?;
    Sampler::new(spec)
}

/// `[r, ch, y, x]` of flat epitome index `k`.
fn cell(spec: &EpitomeSpec, k: usize) -> [usize; 4] {
    let e = &spec.epitome;
    [
        k / (e.e_in * e.e_h * e.e_w),
        (k / (e.e_h * e.e_w)) % e.e_in,
        (k / e.e_w) % e.e_h,
        k % e.e_w,
    ]
}

/// `E[r][ch][y][x]` and `W[o][i][y][x]` values by coordinates (see [`cells`]).
pub type Nested4 = Vec<Vec<Vec<Vec<u32>>>>;

/// The explorer's per-cell view of a layer: the first `shown` epitome rows and
/// channels of `E`, the first `shown` output and input channels of `W`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct EpitomeCells {
    /// `e_index[r][ch][y][x]`: the flat index into `E` of element `E[r][ch][y][x]`
    /// (what [`readers`] takes).
    #[cfg_attr(target_arch = "wasm32", tsify(type = "number[][][][]"))]
    pub e_index: Nested4,
    /// `e_counts[r][ch][y][x]`: how many weights copy `E[r][ch][y][x]`.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "number[][][][]"))]
    pub e_counts: Nested4,
    /// `w_counts[o][i][y][x]`: the count of the element weight `W[o][i][y][x]` copies.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "number[][][][]"))]
    pub w_counts: Nested4,
    /// The largest count over the whole layer (the heat maps' scale).
    pub max_count: u32,
}

/// The per-cell view of `spec` ([`EpitomeCells`]), `shown` rows and channels at most per
/// side (at most 1024). Errors: the layer is over the explorer's bound, or the
/// view of `E` would hold more than [`crate::limits::MAX_MATERIALIZED_WEIGHTS`] cells.
pub fn cells(spec: &EpitomeSpec, shown: usize) -> Result<EpitomeCells> {
    if !(1..=1024).contains(&shown) {
        return Err(Error::invalid(
            "shown",
            format!("must be in 1..=1024, got {shown}"),
        ));
    }
    let (l, e) = (&spec.layer, &spec.epitome);
    // W's side is part of W (bounded by `checked`); bound E's side the same way.
    let e_cells = (e.e_out.min(shown) * e.e_in.min(shown))
        .saturating_mul(e.e_h)
        .saturating_mul(e.e_w);
    let max = crate::limits::MAX_MATERIALIZED_WEIGHTS;
    if e_cells > max {
        return Err(Error::invalid(
            "shown",
            format!(
                "{e_cells} epitome cells in the view; at most {max} (show fewer rows and channels)"
            ),
        ));
    }
    let s = sampling(spec)?;
    let nested = |d0: usize, d1: usize, d2: usize, d3: usize, at: &dyn Fn([usize; 4]) -> u32| {
        (0..d0.min(shown))
            .map(|a| {
                (0..d1.min(shown))
                    .map(|b| {
                        (0..d2)
                            .map(|y| (0..d3).map(|x| at([a, b, y, x])).collect())
                            .collect()
                    })
                    .collect()
            })
            .collect()
    };
    let e_flat = |[r, ch, y, x]: [usize; 4]| ((r * e.e_in + ch) * e.e_h + y) * e.e_w + x;
    let w_flat = |[o, i, y, x]: [usize; 4]| ((o * l.c_in + i) * l.k_h + y) * l.k_w + x;
    Ok(EpitomeCells {
        // Below MAX_MATERIALIZED_WEIGHTS elements are read, so indexes fit.
        e_index: nested(e.e_out, e.e_in, e.e_h, e.e_w, &|c| e_flat(c) as u32),
        e_counts: nested(e.e_out, e.e_in, e.e_h, e.e_w, &|c| s.counts[e_flat(c)]),
        w_counts: nested(l.c_out, l.c_in, l.k_h, l.k_w, &|c| {
            s.counts[s.index[w_flat(c)] as usize]
        }),
        max_count: s.max_count,
    })
}

/// The index map of `spec` and how many weights each epitome element feeds.
pub fn sampling(spec: &EpitomeSpec) -> Result<Sampling> {
    let sampler = checked(spec)?;
    let mut counts = vec![0u32; spec.param_count()];
    let index: Vec<u32> = sampler
        .index_map()
        .into_iter()
        .map(|k| {
            counts[k] += 1;
            // Below MAX_MATERIALIZED_WEIGHTS elements are read, so k fits.
            k as u32
        })
        .collect();
    let max_count = counts.iter().copied().max().unwrap_or(0);
    // Groups are at most c_out <= MAX_CHANNELS, so they fit in u32.
    let groups = (0..spec.layer.c_out)
        .map(|o| spec.group_of(o) as u32)
        .collect();
    Ok(Sampling {
        index,
        counts,
        max_count,
        groups,
    })
}

/// The elements kernel `W[o][i]` reads (`i` = `None`: every kernel of output channel `o`).
pub fn window(spec: &EpitomeSpec, o: usize, i: Option<usize>) -> Result<EpitomeWindow> {
    let sampler = checked(spec)?;
    let (l, e) = (&spec.layer, &spec.epitome);
    if o >= l.c_out {
        return Err(Error::invalid(
            "o",
            format!("must be below c_out = {}, got {o}", l.c_out),
        ));
    }
    if let Some(i) = i.filter(|&i| i >= l.c_in) {
        return Err(Error::invalid(
            "i",
            format!("must be below c_in = {}, got {i}", l.c_in),
        ));
    }
    let group = spec.group_of(o);
    let offset = spec.offset(group);
    let inputs: Vec<usize> = match i {
        Some(i) => vec![i],
        None => (0..l.c_in).collect(),
    };
    let mut elements = Vec::with_capacity(inputs.len() * l.k_h * l.k_w);
    for &i in &inputs {
        for y in 0..l.k_h {
            for x in 0..l.k_w {
                elements.push(sampler.index(o, i, y, x));
            }
        }
    }
    elements.sort_unstable();
    elements.dedup();
    let (channel, wraps) = match i {
        Some(i) => {
            let ch = elements.first().map(|&k| cell(spec, k)[1]);
            (ch, (offset[0] + i) / e.e_in)
        }
        None => (None, 0),
    };
    Ok(EpitomeWindow {
        o,
        i,
        group,
        offset,
        row: o % e.e_out,
        channel,
        wraps,
        cells: elements.iter().map(|&k| cell(spec, k)).collect(),
        elements,
        next_i: i.map_or(0, |i| if i + 1 == l.c_in { 0 } else { i + 1 }),
    })
}

fn check_element(spec: &EpitomeSpec, element: usize) -> Result<()> {
    if element >= spec.param_count() {
        return Err(Error::invalid(
            "element",
            format!(
                "must be below e_out*e_in*e_h*e_w = {}, got {element}",
                spec.param_count()
            ),
        ));
    }
    Ok(())
}

fn with_kernels(spec: &EpitomeSpec, element: usize, weights: Vec<[usize; 4]>) -> EpitomeReaders {
    let mut kernels: Vec<[usize; 2]> = Vec::new();
    for w in &weights {
        if kernels.last() != Some(&[w[0], w[1]]) {
            kernels.push([w[0], w[1]]);
        }
    }
    EpitomeReaders {
        element,
        cell: cell(spec, element),
        weights,
        kernels,
    }
}

/// Every weight that reads epitome element `element`, from the offsets: output
/// channel `o = g*e_out + r` of each group `g`, at `y = p - b_g`, `x = q - c_g` when
/// those fall in the kernel, and every input channel `i < c_in` with
/// `(a_g + i) % e_in = ch`.
pub fn readers(spec: &EpitomeSpec, element: usize) -> Result<EpitomeReaders> {
    checked(spec)?;
    check_element(spec, element)?;
    let (l, e) = (&spec.layer, &spec.epitome);
    let [r, ch, p, q] = cell(spec, element);
    let mut weights = Vec::new();
    for g in 0..spec.groups() {
        let o = g * e.e_out + r;
        if o >= l.c_out {
            continue;
        }
        let [a, b, c] = spec.offset(g);
        let (Some(y), Some(x)) = (p.checked_sub(b), q.checked_sub(c)) else {
            continue;
        };
        if y >= l.k_h || x >= l.k_w {
            continue;
        }
        // (a + i) % e_in == ch  <=>  i = (ch - a) mod e_in + t * e_in.
        let first = (ch + e.e_in - a % e.e_in) % e.e_in;
        weights.extend((first..l.c_in).step_by(e.e_in).map(|i| [o, i, y, x]));
    }
    Ok(with_kernels(spec, element, weights))
}

/// The oracle of [`readers`]: scans the whole index map.
pub fn readers_by_scan(spec: &EpitomeSpec, element: usize) -> Result<EpitomeReaders> {
    let sampler = checked(spec)?;
    check_element(spec, element)?;
    let l = &spec.layer;
    let mut weights = Vec::new();
    for (w, k) in sampler.index_map().into_iter().enumerate() {
        if k == element {
            weights.push([
                w / (l.c_in * l.k_h * l.k_w),
                (w / (l.k_h * l.k_w)) % l.c_in,
                (w / l.k_w) % l.k_h,
                w % l.k_w,
            ]);
        }
    }
    Ok(with_kernels(spec, element, weights))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_the_sampling_by_coordinates() {
        let spec = EpitomeSpec::unit_stride([6, 5, 3, 3], [4, 3, 4, 4]);
        let s = sampling(&spec).unwrap();
        let c = cells(&spec, 4).unwrap();
        assert_eq!(c.max_count, s.max_count);
        // E: 4 rows x 3 channels x 4 x 4, all shown.
        assert_eq!((c.e_counts.len(), c.e_counts[0].len()), (4, 3));
        for (k, &n) in s.counts.iter().enumerate() {
            let [r, ch, y, x] = cell(&spec, k);
            assert_eq!(c.e_index[r][ch][y][x] as usize, k);
            assert_eq!(c.e_counts[r][ch][y][x], n);
        }
        // W: 4 of 6 output channels, 4 of 5 input channels, 3 x 3.
        assert_eq!(
            (
                c.w_counts.len(),
                c.w_counts[0].len(),
                c.w_counts[0][0].len()
            ),
            (4, 4, 3)
        );
        for (w, &k) in s.index.iter().enumerate() {
            let (o, i, y, x) = (w / 45, (w / 9) % 5, (w / 3) % 3, w % 3);
            if o < 4 && i < 4 {
                assert_eq!(c.w_counts[o][i][y][x], s.counts[k as usize]);
            }
        }
        assert!(cells(&spec, 0).is_err());
        assert!(cells(&spec, 1025).is_err());
        // 4 x 4 rows and channels of 1024 x 1024 epitome cells: over 2^22.
        let big = EpitomeSpec::unit_stride([4, 4, 3, 3], [4, 4, 1024, 1024]);
        let e = cells(&big, 32).unwrap_err().to_string();
        assert!(e.contains("shown"), "{e}");
    }

    fn spec(
        c: [usize; 4],
        e: [usize; 4],
        offsets: Option<Vec<Offset>>,
    ) -> std::result::Result<EpitomeSpec, String> {
        let mut s = EpitomeSpec::unit_stride(c, e);
        s.offsets = offsets;
        s.validate().map_err(|e| e.to_string())?;
        Ok(s)
    }

    #[test]
    fn the_explorers_default_layer_wraps_input_channels() {
        // 32x16x3x3 from 16x8x4x4: group 1 of the default schedule has a = 4.
        let s = spec([32, 16, 3, 3], [16, 8, 4, 4], None).unwrap();
        let [a, b, c] = s.offset(1);
        let w = window(&s, 17, Some(6)).unwrap();
        assert_eq!((w.group, w.row), (1, 1));
        assert_eq!(w.channel, Some((a + 6) % 8));
        assert_eq!(w.wraps, (a + 6) / 8);
        assert_eq!(w.elements.len(), 9);
        assert!(w
            .cells
            .iter()
            .all(|&[r, ch, y, x]| r == 1 && ch == (a + 6) % 8 && y >= b && x >= c));
        let all = window(&s, 17, None).unwrap();
        assert_eq!(
            all.elements.len(),
            8 * 9,
            "16 inputs over 8 epitome channels"
        );
        assert!(w.elements.iter().all(|k| all.elements.contains(k)));
        // Reverse: the kernel is among the readers of each of its elements.
        for &k in &w.elements {
            let r = readers(&s, k).unwrap();
            assert!(r.kernels.contains(&[17, 6]));
        }
        // Stepping: 6 -> 7, the last input channel back to 0, a whole channel to 0.
        assert_eq!(w.next_i, 7);
        assert_eq!(window(&s, 17, Some(15)).unwrap().next_i, 0);
        assert_eq!(all.next_i, 0);
        let mut i = 0;
        for step in 1..=16 {
            i = window(&s, 3, Some(i)).unwrap().next_i;
            assert_eq!(i, step % 16);
        }
    }

    #[test]
    fn sampling_counts_add_up_to_the_weights() {
        let s = spec([8, 6, 3, 3], [4, 4, 4, 3], Some(vec![[1, 1, 0], [3, 0, 0]])).unwrap();
        let m = sampling(&s).unwrap();
        assert_eq!(m.index.len(), s.weight_count());
        assert_eq!(
            m.counts.iter().map(|&c| c as usize).sum::<usize>(),
            s.weight_count()
        );
        for (k, &c) in m.counts.iter().enumerate() {
            assert_eq!(c as usize, readers(&s, k).unwrap().weights.len(), "{k}");
        }
        assert_eq!(m.max_count, *m.counts.iter().max().unwrap());
        // Each output channel's group is the group its window reports.
        assert_eq!(m.groups.len(), 8);
        for o in 0..8 {
            assert_eq!(
                m.groups[o] as usize,
                window(&s, o, None).unwrap().group,
                "{o}"
            );
        }
        assert_eq!(m.groups, [0, 0, 0, 0, 1, 1, 1, 1]);
    }

    #[test]
    fn out_of_range_requests_name_the_field() {
        let s = spec([8, 6, 3, 3], [4, 4, 4, 3], None).unwrap();
        let msg = |e: Error| e.to_string();
        assert!(msg(window(&s, 8, None).unwrap_err()).contains('o'));
        assert!(msg(window(&s, 0, Some(6)).unwrap_err()).contains("i: must be below c_in = 6"));
        assert!(msg(readers(&s, 192).unwrap_err()).contains("element"));
        let big = spec([4096, 4096, 3, 3], [64, 64, 3, 3], None).unwrap();
        assert!(msg(sampling(&big).unwrap_err()).contains("at most"));
        assert!(msg(readers(&big, 0).unwrap_err()).contains("at most"));
    }

    /// Shapes and offsets vary (native only: proptest is not built for wasm).
    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]
            #[test]
            fn readers_equal_the_scan_and_invert_windows(
                c_out in 1usize..12, c_in in 1usize..12, k in 1usize..4,
                e_out_d in 1usize..4, e_in in 1usize..9, extra_h in 0usize..3, extra_w in 0usize..3,
                offs in proptest::collection::vec((0usize..9, 0usize..3, 0usize..3), 0..5),
                pick in 0usize..10_000,
            ) {
                let e_out = c_out.div_ceil(e_out_d);
                let (e_h, e_w) = (k + extra_h, k + extra_w);
                let offsets = if offs.is_empty() { None } else {
                    Some(offs.iter().map(|&(a, b, c)| [a % e_in, b % (extra_h + 1), c % (extra_w + 1)]).collect())
                };
                let Ok(s) = spec([c_out, c_in, k, k], [e_out, e_in, e_h, e_w], offsets) else {
                    return Ok(());
                };
                let element = pick % s.param_count();
                prop_assert_eq!(readers(&s, element).unwrap(), readers_by_scan(&s, element).unwrap());
                // Every kernel's window holds exactly the elements it is a reader of.
                let o = pick % c_out;
                let i = (pick / 7) % c_in;
                let w = window(&s, o, Some(i)).unwrap();
                let m = sampling(&s).unwrap();
                let base = (o * c_in + i) * k * k;
                let mut want: Vec<usize> = m.index[base..base + k * k].iter().map(|&x| x as usize).collect();
                want.sort_unstable();
                want.dedup();
                prop_assert_eq!(&w.elements, &want);
                for &el in &w.elements {
                    prop_assert!(readers(&s, el).unwrap().kernels.contains(&[o, i]));
                }
            }
        }
    }
}
