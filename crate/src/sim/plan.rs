//! Per-layer compression plans: any conv or fc layer can be dense, an epitome or
//! pruned, with its own weight and activation bits (docs/epitome.md#datapath; the rules in
//! docs/compare.md#epitome-layers-on-the-crossbars).
//!
//! A [`NetworkPlan`] holds one [`LayerPlan`] per network layer (or none: all dense).
//! [`map_planned`] turns a planned layer into the same integer [`LayerMap`] as a
//! dense layer, so the cost model charges the three kinds with the same per-action
//! costs:
//!
//! - **Epitome** ([`EpitomeLayout`]): the crossbars hold `E` (`e_in*e_h*e_w` rows,
//!   `e_out` columns, `rep` copies), packed like a dense layer in the same accounting
//!   (whole epitome channels per crossbar in `mnsim`, row by row in `physical`). Each
//!   output pixel needs `ceil(patterns / rep)` sequential activation rounds (`rounds`)
//!   and `patterns` copy activations (`acts`, for energy); an activation drives the
//!   `min(c_in, e_in)*k_h*k_w` word lines its IFAT lists; wrapped inputs are summed
//!   before the DAC, which costs `ceil(log2(ceil(c_in / e_in)))` extra input bits. The
//!   IFAT, IFRT and OFAT are three small SRAMs sized from [`table_sizes`] (computed from
//!   counts, never by building the tables); each activation reads one pattern's
//!   entries. A layer whose epitome equals its weight shape (one group, `rep` 1) is an
//!   ordinary convolution and is mapped exactly as the dense layer (no tables).
//! - **Pruned** ([`crate::prune::PruneSpec`]): [`crate::prune::prune_by_ratio`] on the
//!   layer's shape and the crossbar (rows packed by whole input channels in `mnsim`,
//!   by element in `physical`, i.e. the layer flattened to a 1x1 convolution); blocks x
//!   slice groups = PEs; the input and output index tables and the block bitmap are
//!   SRAMs, the index tables read once per output pixel. Ratio 0 maps exactly as dense.
//!   Filter pruning here shrinks only the layer's own columns; shrinking the consumers'
//!   inputs is a network rewrite ([`crate::compare`] does it).
//! - **Measured** ([`crate::prune::PrunedLayer`]): the same mapping from counts that
//!   [`crate::prune::prune_weights`] measured on a layer's real weights
//!   ([`measured_pruned_layer`], for one chip and accounting), instead of the ratio
//!   model.
//!
//! Grouped / depthwise convolutions, pooling and adds must stay dense.

use serde::{Deserialize, Serialize};

use super::config::Arch;
use super::mapping::{map_layer, slices, Accounting, LayerMap, TableUse};
use super::tech::{sram, SramEntry};
use crate::epitome::tables::{address_bits, ceil_log2};
use crate::epitome::{EpitomeShape, EpitomeSpec, LayerGeometry, Offset, TableSizes};
use crate::nets::{Layer, Network, Op};
use crate::prune::{prune_by_ratio, ConvShape, PruneSpec, PrunedLayer, XbarGeometry};
use crate::{Error, Result};

/// The epitome of one layer: shape, offsets (default schedule when absent) and
/// replication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpitomeLayout {
    /// Epitome shape.
    pub shape: EpitomeShape,
    /// Per-group offsets; `None` = the default schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offsets: Option<Vec<Offset>>,
    /// Copies of the epitome crossbars (>= 1).
    #[serde(default = "one")]
    pub rep: usize,
}

fn one() -> usize {
    1
}

/// How one layer is stored on the crossbars.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerScheme {
    /// The dense weights.
    #[default]
    Dense,
    /// An epitome.
    Epitome(EpitomeLayout),
    /// A pruning method at a ratio.
    Pruned(PruneSpec),
    /// A layer pruned from its real weights: the counts [`measured_pruned_layer`]
    /// found for this chip's crossbars and this accounting.
    Measured(Box<PrunedLayer>),
}

/// One layer's plan: scheme and bit widths (`None`: the network's).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerPlan {
    /// Dense, epitome or pruned.
    #[serde(default)]
    pub scheme: LayerScheme,
    /// Weight bits (signed, including the sign bit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w_bits: Option<u32>,
    /// Activation bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_bits: Option<u32>,
}

/// A plan for every layer of a network; an empty list means "all dense at the
/// network's bits".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkPlan {
    /// One entry per network layer, or none.
    #[serde(default)]
    pub layers: Vec<LayerPlan>,
}

impl NetworkPlan {
    /// All layers dense at `w_bits` / `a_bits` (`None`: the network's).
    pub fn uniform(net: &Network, w_bits: Option<u32>, a_bits: Option<u32>) -> Self {
        NetworkPlan {
            layers: net
                .layers
                .iter()
                .map(|_| LayerPlan {
                    scheme: LayerScheme::Dense,
                    w_bits,
                    a_bits,
                })
                .collect(),
        }
    }

    /// The plan of layer `l` (dense at the network's bits when the plan is empty).
    pub fn layer(&self, l: usize) -> LayerPlan {
        self.layers.get(l).cloned().unwrap_or_default()
    }

    /// Weight bits of layer `l`.
    pub fn w_bits(&self, net: &Network, l: usize) -> u32 {
        self.layers
            .get(l)
            .and_then(|p| p.w_bits)
            .unwrap_or(net.w_bits)
    }

    /// Activation bits of layer `l`.
    pub fn a_bits(&self, net: &Network, l: usize) -> u32 {
        self.layers
            .get(l)
            .and_then(|p| p.a_bits)
            .unwrap_or(net.a_bits)
    }

    /// Checks the plan against the network: one entry per layer (or none), bits in
    /// 2..=32, compressed schemes only on conv (groups 1) and fc layers, valid
    /// epitomes and pruning settings. Errors name `plan.layers[i]`.
    pub fn validate(&self, net: &Network) -> Result<()> {
        if !self.layers.is_empty() && self.layers.len() != net.layers.len() {
            return Err(Error::invalid(
                "plan.layers",
                format!(
                    "must have one entry per network layer ({}), got {}",
                    net.layers.len(),
                    self.layers.len()
                ),
            ));
        }
        for (l, p) in self.layers.iter().enumerate() {
            for (f, b) in [("w_bits", p.w_bits), ("a_bits", p.a_bits)] {
                if let Some(b) = b {
                    if !(2..=32).contains(&b) {
                        return Err(Error::invalid(
                            format!("plan.layers[{l}].{f}"),
                            format!("must be in 2..=32, got {b}"),
                        ));
                    }
                }
            }
            let layer = &net.layers[l];
            match &p.scheme {
                LayerScheme::Dense => {}
                LayerScheme::Epitome(e) => {
                    epitome_spec(layer, e)
                        .and_then(|s| s.validate().map(|_| s))
                        .map_err(|e| at_layer(l, layer, e))?;
                }
                LayerScheme::Pruned(s) => {
                    conv_shape(layer).map_err(|e| at_layer(l, layer, e))?;
                    s.validate().map_err(|e| at_layer(l, layer, e))?;
                }
                LayerScheme::Measured(pl) => {
                    check_measured(layer, pl).map_err(|e| at_layer(l, layer, e))?;
                }
            }
        }
        Ok(())
    }
}

fn at_layer(l: usize, layer: &Layer, e: Error) -> Error {
    Error::invalid(format!("plan.layers[{l}] ({})", layer.name), e.to_string())
}

/// The geometry of a weight layer's kernel as an epitome sees it (fc: a 1x1
/// convolution on a 1x1 map; a grouped conv: its full kernel shape), `None` for a
/// layer without weights.
pub fn weight_geometry(op: &Op) -> Option<LayerGeometry> {
    match *op {
        Op::Conv(g) => Some(LayerGeometry {
            c_out: g.c_out,
            c_in: g.c_in,
            k_h: g.kernel,
            k_w: g.kernel,
            stride: g.stride,
            padding: g.padding,
        }),
        Op::Fc {
            in_features,
            out_features,
        } => Some(LayerGeometry {
            c_out: out_features,
            c_in: in_features,
            k_h: 1,
            k_w: 1,
            stride: 1,
            padding: 0,
        }),
        _ => None,
    }
}

/// The layer's geometry as an epitome sees it ([`weight_geometry`]); grouped
/// convolutions and layers without weights are errors.
pub fn layer_geometry(layer: &Layer) -> Result<LayerGeometry> {
    match (&layer.op, weight_geometry(&layer.op)) {
        (Op::Conv(g), _) if g.groups != 1 => Err(Error::invalid(
            "scheme",
            "grouped and depthwise convolutions stay dense (no epitome or pruning)",
        )),
        (_, Some(geometry)) => Ok(geometry),
        _ => Err(Error::invalid(
            "scheme",
            format!(
                "a {} layer has no weights; it must be dense",
                layer.op.kind()
            ),
        )),
    }
}

/// The epitome spec of `layer` with `layout`.
pub fn epitome_spec(layer: &Layer, layout: &EpitomeLayout) -> Result<EpitomeSpec> {
    Ok(EpitomeSpec {
        layer: layer_geometry(layer)?,
        epitome: layout.shape,
        offsets: layout.offsets.clone(),
        rep: layout.rep,
    })
}

/// The pruning view of `layer`.
pub fn conv_shape(layer: &Layer) -> Result<ConvShape> {
    let g = layer_geometry(layer)?;
    Ok(ConvShape {
        c_out: g.c_out,
        c_in: g.c_in,
        k_h: g.k_h,
        k_w: g.k_w,
    })
}

/// Whether the epitome is the layer's own weight shape with one copy: an ordinary
/// convolution (docs/epitome.md#shapes).
pub fn is_identity(spec: &EpitomeSpec) -> bool {
    let (l, e) = (&spec.layer, &spec.epitome);
    e.e_out == l.c_out && e.e_in == l.c_in && e.e_h == l.k_h && e.e_w == l.k_w && spec.rep == 1
}

/// Entry counts and widths of the IFAT, IFRT and OFAT of a validated spec, from
/// counts only (equal to `DatapathTables::build(spec).sizes(spec)`, tested):
///
/// - IFAT: every input channel feeds exactly one epitome channel per pattern, so
///   `patterns * c_in * k_h * k_w` entries;
/// - IFRT: an epitome channel is fed by more than one input when its residue class
///   modulo `e_in` has two members below `c_in`: `max(0, min(e_in, c_in - e_in))`
///   channels, `k_h*k_w` word lines each, per pattern; fan-in at most
///   `ceil(c_in / e_in)`;
/// - OFAT: every output channel is written by exactly one (pattern, column):
///   `c_out` entries.
pub fn table_sizes(spec: &EpitomeSpec) -> TableSizes {
    let (l, e) = (&spec.layer, &spec.epitome);
    let patterns = spec.distinct_patterns();
    let kk = l.k_h * l.k_w;
    let wl_bits = address_bits(e.e_in * e.e_h * e.e_w);
    let shared = e.e_in.min(l.c_in.saturating_sub(e.e_in));
    let max_fan_in = if shared > 0 {
        l.c_in.div_ceil(e.e_in)
    } else {
        1
    };
    TableSizes {
        ifat_entries: patterns * l.c_in * kk,
        ifat_entry_bits: wl_bits + address_bits(l.c_in) + address_bits(l.k_h) + address_bits(l.k_w),
        ifrt_entries: patterns * shared * kk,
        ifrt_entry_bits: wl_bits + address_bits(max_fan_in + 1),
        ofat_entries: l.c_out,
        ofat_entry_bits: address_bits(e.e_out) + address_bits(l.c_out),
    }
}

/// Maps layer `index` with its plan: dense layers through [`map_layer`], epitome and
/// pruned layers as described in the module docs.
pub fn map_planned(
    index: usize,
    layer: &Layer,
    plan: &LayerPlan,
    w_bits: u32,
    arch: &Arch,
    accounting: Accounting,
) -> Result<LayerMap> {
    let err = |reason: String| Error::Sim {
        layer: Some((index, layer.name.clone())),
        reason,
    };
    match &plan.scheme {
        LayerScheme::Dense => map_layer(index, layer, w_bits, arch, accounting),
        LayerScheme::Epitome(layout) => {
            let spec = epitome_spec(layer, layout).map_err(|e| err(e.to_string()))?;
            spec.validate().map_err(|e| err(e.to_string()))?;
            if is_identity(&spec) {
                return map_layer(index, layer, w_bits, arch, accounting);
            }
            map_epitome(&spec, w_bits, arch, accounting).map_err(err)
        }
        LayerScheme::Pruned(p) => {
            p.validate().map_err(|e| err(e.to_string()))?;
            if p.ratio == 0.0 {
                return map_layer(index, layer, w_bits, arch, accounting);
            }
            let pl = pruned_layer(layer, p, arch, accounting).map_err(|e| err(e.to_string()))?;
            Ok(map_pruned(&pl, w_bits, arch, accounting))
        }
        LayerScheme::Measured(pl) => {
            check_measured(layer, pl).map_err(|e| err(e.to_string()))?;
            Ok(map_pruned(pl, w_bits, arch, accounting))
        }
    }
}

/// A measured layer must describe this layer: the same output channels and the
/// same weight count (its shape is the layer's, or the layer flattened to a 1x1
/// convolution in physical accounting).
fn check_measured(layer: &Layer, pl: &PrunedLayer) -> Result<()> {
    let shape = conv_shape(layer)?;
    if pl.shape.c_out != shape.c_out || pl.shape.weights() != shape.weights() {
        return Err(Error::shape(
            "measured pruned layer",
            format!(
                "[{}, {}, {}, {}] or its 1x1 flattening",
                shape.c_out, shape.c_in, shape.k_h, shape.k_w
            ),
            format!(
                "[{}, {}, {}, {}]",
                pl.shape.c_out, pl.shape.c_in, pl.shape.k_h, pl.shape.k_w
            ),
        ));
    }
    Ok(())
}

/// Prunes `layer`'s real weights (OIHW, the layer's shape) with `spec` on `arch`'s
/// crossbars, viewed as [`pruned_layer`] views the layer for `accounting`: by whole
/// input channels in `mnsim`, flattened to a 1x1 convolution in `physical`.
pub fn measured_pruned_layer(
    layer: &Layer,
    weights: &crate::nn::Tensor4,
    spec: &PruneSpec,
    arch: &Arch,
    accounting: Accounting,
) -> Result<PrunedLayer> {
    let shape = conv_shape(layer)?;
    let want = [shape.c_out, shape.c_in, shape.k_h, shape.k_w];
    if weights.shape() != want {
        return Err(Error::shape(
            format!("weights of {}", layer.name),
            format!("{want:?}"),
            format!("{:?}", weights.shape()),
        ));
    }
    let view = match accounting {
        Accounting::Mnsim => weights.clone(),
        Accounting::Physical => crate::nn::Tensor4::new(
            "weights",
            [shape.c_out, shape.matrix_rows(), 1, 1],
            weights.data().to_vec(),
        )?,
    };
    let geom = XbarGeometry {
        rows: arch.crossbar.rows as usize,
        cols: arch.crossbar.cols as usize,
    };
    crate::prune::prune_weights(&view, &geom, spec)
}

/// The counts of an epitome layer (the spec is validated and not the identity).
fn map_epitome(
    spec: &EpitomeSpec,
    w_bits: u32,
    arch: &Arch,
    accounting: Accounting,
) -> std::result::Result<LayerMap, String> {
    let (l, e) = (&spec.layer, &spec.epitome);
    let r = u64::from(arch.crossbar.rows);
    let c = u64::from(arch.crossbar.cols);
    let g = u64::from(arch.pe.groups);
    let p = u64::from(arch.pe.polarity);
    let s = slices(arch, w_bits, accounting);
    let sg = s.div_ceil(g);
    let khw = (e.e_h * e.e_w) as u64;
    let e_in = e.e_in as u64;
    let e_out = e.e_out as u64;
    let rows = e_in * khw;
    let (my, max_row) = match accounting {
        Accounting::Mnsim => {
            let cpx = r / khw;
            if cpx == 0 {
                return Err(format!(
                    "a {}x{} epitome channel needs {khw} rows, the crossbar has {r}",
                    e.e_h, e.e_w
                ));
            }
            (e_in.div_ceil(cpx), cpx.min(e_in) * khw)
        }
        Accounting::Physical => (rows.div_ceil(r), rows.min(r)),
    };
    let rep = spec.rep as u64;
    let cb = e_out.div_ceil(c);
    let mx = sg * cb * rep;
    let patterns = spec.distinct_patterns() as u64;
    let driven = (l.c_in.min(e.e_in) * l.k_h * l.k_w) as u64;
    let t = table_sizes(spec);
    let per = |entries: usize, bits: u32| -> TableUse {
        let total = entries as u64 * u64::from(bits);
        TableUse {
            bits: total,
            read_bits: total.div_ceil(patterns.max(1)),
        }
    };
    Ok(LayerMap {
        max_row,
        max_col: e_out.min(c),
        used_cells: rows * e_out * s * p * rep,
        row_drives: driven * cb * s,
        col_reads: e_out * my * s,
        out_cols: e_out * s,
        rounds: patterns.div_ceil(rep),
        acts: patterns,
        read_cells: driven * e_out * s * p,
        extra_input_bits: ceil_log2(l.c_in.div_ceil(e.e_in)),
        tables: [
            per(t.ifat_entries, t.ifat_entry_bits),
            per(t.ifrt_entries, t.ifrt_entry_bits),
            per(t.ofat_entries, t.ofat_entry_bits),
        ],
        ..LayerMap::placed(mx, my, s, g, 0)
    })
}

/// The pruned view of `layer` on `arch`'s crossbars: rows packed by whole input
/// channels in `mnsim`, by element in `physical` (the layer as a 1x1 convolution
/// over `c_in*k_h*k_w` inputs).
pub fn pruned_layer(
    layer: &Layer,
    spec: &PruneSpec,
    arch: &Arch,
    accounting: Accounting,
) -> Result<PrunedLayer> {
    let shape = conv_shape(layer)?;
    let shape = match accounting {
        Accounting::Mnsim => shape,
        Accounting::Physical => ConvShape {
            c_out: shape.c_out,
            c_in: shape.matrix_rows(),
            k_h: 1,
            k_w: 1,
        },
    };
    let geom = XbarGeometry {
        rows: arch.crossbar.rows as usize,
        cols: arch.crossbar.cols as usize,
    };
    prune_by_ratio(&shape, &geom, spec)
}

/// The counts of a pruned layer (ratio > 0, or measured).
fn map_pruned(pl: &PrunedLayer, w_bits: u32, arch: &Arch, accounting: Accounting) -> LayerMap {
    let g = u64::from(arch.pe.groups);
    let p = u64::from(arch.pe.polarity);
    let s = slices(arch, w_bits, accounting);
    let sg = s.div_ceil(g);
    let table = |bits: u64, read: bool| TableUse {
        bits,
        read_bits: if read { bits } else { 0 },
    };
    LayerMap {
        max_row: pl.max_block_rows as u64,
        max_col: pl.max_block_cols as u64,
        row_drives: pl.n_rows_driven_per_pixel * s,
        col_reads: pl.n_cols_read_per_pixel * s,
        out_cols: pl.kept_out_channels as u64 * s,
        tables: [
            table(pl.input_index.bits(), true),
            table(pl.block_bitmap_bits, false),
            table(pl.output_index.bits(), true),
        ],
        ..LayerMap::placed(sg, pl.n_blocks, s, g, pl.n_stored_weights * s * p)
    }
}

/// The SRAM holding a table of `bits`: MNSIM's SRAM table at the buffer bus width
/// and technology (the smallest entry is a 2 KB array).
pub fn table_sram(bits: u64, arch: &Arch) -> Result<SramEntry> {
    let kb = bits as f64 / 8.0 / 1024.0;
    sram(kb, arch.buffer.bitwidth_bits, arch.buffer.tech_nm).ok_or_else(|| {
        Error::invalid(
            "buffer.bitwidth_bits",
            format!(
                "no SRAM table entry for a {kb} KB lookup table with a {}-bit bus",
                arch.buffer.bitwidth_bits
            ),
        )
    })
}

/// Area of a layer's table SRAMs, µm².
pub fn table_area_um2(m: &LayerMap, arch: &Arch) -> Result<f64> {
    let mut a = 0.0;
    for t in &m.tables {
        a += table_sram(t.bits, arch)?.area_um2;
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::epitome::DatapathTables;

    #[test]
    fn table_sizes_from_counts_equal_the_built_tables() {
        for (c_out, c_in, k, e) in [
            (8, 4, 3, [4, 2, 4, 4]),
            (6, 4, 1, [2, 2, 1, 1]),
            (5, 3, 3, [2, 1, 3, 3]),
            (16, 5, 3, [3, 7, 3, 5]),
            (12, 12, 1, [12, 12, 1, 1]),
            (10, 9, 2, [3, 4, 3, 2]),
        ] {
            let spec = EpitomeSpec::unit_stride([c_out, c_in, k, k], e);
            spec.validate().unwrap();
            let built = DatapathTables::build(&spec).unwrap();
            assert_eq!(table_sizes(&spec), built.sizes(&spec), "{spec:?}");
            assert_eq!(spec.distinct_patterns(), built.patterns, "{spec:?}");
        }
    }
}
