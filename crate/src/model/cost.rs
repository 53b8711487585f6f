//! What a model costs on the PIM accelerator: crossbars and area under a
//! simulator preset (`mnsim2`, physical accounting, by default).
//!
//! Each weight layer is simulated alone as a one-layer network whose crossbar
//! weight matrix is what the layer stores (layer areas add up to the network's
//! in physical accounting):
//! - a dense convolution: itself;
//! - an epitome layer: a convolution with `e_in` input channels, `e_out` output
//!   channels and an `e_h x e_w` kernel (the crossbars hold `E`,
//!   docs/epitome.md#crossbar-mapping); a non-square epitome (the simulator's kernels are square) as a
//!   1x1 convolution with `e_in*e_h*e_w` input channels, the same crossbar
//!   matrix;
//! - a row-pruned (`xrs`) layer: a fully connected layer with the kept rows
//!   (row-compacted, packed row by row) and `c_out` outputs; its crossbar count
//!   comes from [`crate::prune::prune_by_ratio`];
//! - other pruning kinds: the crossbar count of [`crate::prune::prune_by_ratio`],
//!   the area of the unpruned layer scaled by kept/dense crossbars.
//!
//! Not charged: the epitome datapath tables (IFAT/IFRT/OFAT) and pruning index
//! tables (small SRAMs), pooling and ReLU.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{ArchSpec, LayerSpec};
use crate::nets::{LayerSpec as NetLayer, NetworkSpec, Shape};
use crate::prune::{ConvShape, PruneKind, XbarGeometry};
use crate::sim::{simulate, Accounting, Arch};

/// Cost of one weight layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct LayerCost {
    /// Layer name.
    pub name: String,
    /// Physical crossbars.
    pub crossbars: u64,
    /// Area of the layer's PEs (crossbars and their peripherals).
    pub area_um2: f64,
    /// Stored bits: codes (`w_bits` or 32 per weight) plus 32-bit scales; for a
    /// pruned layer, the kept weights with their index tables
    /// ([`crate::prune::PrunedLayer::bits_per_weight`]).
    pub stored_bits: u64,
    /// Dense weights of the layer, `c_out*c_in*k*k`.
    pub dense_weights: u64,
}

/// Cost of a whole model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct ModelCost {
    /// Preset name.
    pub preset: String,
    /// Total physical crossbars.
    pub crossbars: u64,
    /// Total area.
    pub area_um2: f64,
    /// Stored weight bits (codes + scales) over all layers.
    pub stored_bits: u64,
    /// Dense weights of this architecture.
    pub dense_weights: u64,
    /// Per layer.
    pub layers: Vec<LayerCost>,
}

/// Costs `arch` on the preset `preset` with physical accounting. Layers
/// without `w_bits` are charged as 8-bit; activations as their stored bits
/// (8 when unset).
pub fn model_cost(arch: &ArchSpec, preset: &str) -> Result<ModelCost> {
    let shapes = arch.validate()?;
    let hw: Arch = crate::sim::preset(preset)?;
    let mut layers = Vec::new();
    for (layer, shape) in arch.layers.iter().zip(&shapes) {
        let (l, dense) = match layer {
            LayerSpec::Conv(l) => (l, false),
            LayerSpec::Dense(l) => (l, true),
            _ => continue,
        };
        let w_bits = l.w_bits.unwrap_or(8);
        let a_bits = l.act.map_or(8, |a| a.bits).max(2);
        let [_, h, w] = *shape;
        let net = |c: usize, op: NetLayer| NetworkSpec {
            name: l.name.clone(),
            input: Shape { c, h, w },
            w_bits,
            a_bits,
            layers: vec![op],
        };
        let conv = |c_out: usize, kernel: usize, padding: usize| NetLayer::Conv {
            name: None,
            c_out,
            kernel,
            stride: Some(l.stride),
            padding: Some(padding),
            groups: None,
            from: None,
        };
        let fc = |out: usize| NetLayer::Fc {
            name: None,
            out,
            from: None,
        };
        let mut override_xbars = None;
        let mut pruned_bits = None;
        let mut area_scale = 1.0;
        let spec = match (&l.epitome, &l.prune) {
            (Some(e), _) => {
                if dense {
                    net(e.e_in, fc(e.e_out))
                } else if e.e_h != e.e_w {
                    // The simulator's kernels are square: the same crossbar
                    // matrix (e_in*e_h*e_w rows, e_out columns) as a 1x1 conv.
                    net(e.e_in * e.e_h * e.e_w, conv(e.e_out, 1, 0))
                } else {
                    let pad = l.padding + (e.e_h - l.k) / 2;
                    net(e.e_in, conv(e.e_out, e.e_h, pad))
                }
            }
            (None, Some(p)) if p.ratio > 0.0 => {
                let s = ConvShape {
                    c_out: l.c_out,
                    c_in: l.c_in,
                    k_h: l.k,
                    k_w: l.k,
                };
                let slices = crate::sim::slices(&hw, w_bits, Accounting::Physical);
                let geom = XbarGeometry {
                    rows: hw.crossbar.rows as usize,
                    cols: hw.crossbar.cols as usize,
                };
                let pl = crate::prune::prune_by_ratio(&s, &geom, p)?;
                override_xbars = Some(pl.n_blocks * slices * 2);
                pruned_bits =
                    Some((pl.bits_per_weight(w_bits) * l.dense_len() as f64).round() as u64);
                if p.kind == PruneKind::Xrs {
                    let kept_rows = (pl.n_stored_weights as usize).div_ceil(l.c_out).max(1);
                    NetworkSpec {
                        input: Shape {
                            c: kept_rows,
                            h: 1,
                            w: 1,
                        },
                        ..net(kept_rows, fc(l.c_out))
                    }
                } else {
                    area_scale = pl.n_blocks as f64 / pl.n_blocks_dense.max(1) as f64;
                    if dense {
                        net(l.c_in, fc(l.c_out))
                    } else {
                        net(l.c_in, conv(l.c_out, l.k, l.padding))
                    }
                }
            }
            _ => {
                if dense {
                    net(l.c_in, fc(l.c_out))
                } else {
                    net(l.c_in, conv(l.c_out, l.k, l.padding))
                }
            }
        };
        let report = simulate(&spec.build()?, &hw, Accounting::Physical)
            .map_err(|e| Error::invalid(l.name.clone(), e))?;
        let stored = l.stored_len() as u64;
        let rows = l.stored_shape()[0] as u64;
        let stored_bits = match (pruned_bits, l.w_bits) {
            (Some(bits), _) => bits,
            (None, Some(b)) => u64::from(b) * stored + 32 * rows,
            (None, None) => 32 * stored,
        };
        layers.push(LayerCost {
            name: l.name.clone(),
            crossbars: override_xbars.unwrap_or(report.totals.crossbars),
            area_um2: report.totals.area_um2.value() * area_scale,
            stored_bits,
            dense_weights: l.dense_len() as u64,
        });
    }
    Ok(ModelCost {
        preset: preset.to_string(),
        crossbars: layers.iter().map(|l| l.crossbars).sum(),
        area_um2: layers.iter().map(|l| l.area_um2).sum(),
        stored_bits: layers.iter().map(|l| l.stored_bits).sum(),
        dense_weights: layers.iter().map(|l| l.dense_weights).sum(),
        layers,
    })
}
