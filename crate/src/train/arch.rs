//! The architectures `epim train --arch NAME` knows, and epitome designs applied
//! to them.
//!
//! A design is the one design file format of the crate
//! ([`crate::design::EpitomeDesign`], written by `epim search --out` and read by
//! `epim compare` too). What the trainer does with each field:
//!
//! - `layer`: a name, or an index into the simulator network of the
//!   architecture ([`crate::model::network::network_spec`]: pooling layers count),
//!   the index `epim search` writes and `epim compare` reads;
//! - `epitome`, `offsets`: the layer's epitome (an epitome equal to the weight
//!   shape `[c_out, c_in, k, k]` without offsets keeps the layer dense, as the
//!   simulator maps it);
//! - `w_bits`: honoured, the layer's quantization-aware training bits (2..=8; it
//!   overrides `--w-bits` for this layer);
//! - `rep`: ignored. It is the number of copies of the epitome's crossbars (a
//!   hardware replication for throughput); the weights, and so the training,
//!   are the same for every `rep`;
//! - `a_bits`: rejected. The trainer calibrates every layer's activations to one
//!   `--a-bits`.

use crate::design::{DesignLayer, EpitomeDesign, LayerRef};
use crate::error::{Error, Result};
use crate::model::network::{builtin_name, network_spec};
use crate::model::{ArchSpec, EpitomeDesc, LayerSpec};

pub use crate::model::network::{architecture, ARCH_NAMES};

/// The uniform design of compression `ratio` (>= 1) for every weight layer but
/// the first: for a `k x k` convolution `e_h = e_w = k + 1`, `e_out = c_out / 2`,
/// `e_in = round(9 c_in / (8 ratio))` (so parameters shrink by about `ratio`);
/// for a dense layer `e_out = c_out`, `e_in = round(c_in / ratio)`. Layers are
/// named; `network` is the architecture's name when it is a built-in one.
pub fn epitome_design(arch: &ArchSpec, ratio: f64) -> Result<EpitomeDesign> {
    if !(ratio.is_finite() && ratio >= 1.0) {
        return Err(Error::invalid(
            "epitome",
            format!("ratio must be >= 1, got {ratio}"),
        ));
    }
    let mut layers = Vec::new();
    for (i, l) in arch.weight_layers().enumerate() {
        if i == 0 {
            continue;
        }
        let (e_out, e_in, e) = if l.k == 1 {
            (l.c_out, (l.c_in as f64 / ratio).round() as usize, 1)
        } else {
            let kk = (l.k * l.k) as f64;
            let ee = ((l.k + 1) * (l.k + 1)) as f64;
            let e_out = (l.c_out / 2).max(1);
            let e_in = (kk * l.c_in as f64 * l.c_out as f64 / (ee * e_out as f64 * ratio)).round();
            (e_out, e_in as usize, l.k + 1)
        };
        layers.push(DesignLayer {
            layer: LayerRef::Name(l.name.clone()),
            epitome: [e_out, e_in.clamp(1, l.c_in), e, e],
            offsets: None,
            rep: None,
            w_bits: None,
            a_bits: None,
        });
    }
    Ok(EpitomeDesign {
        network: builtin_name(arch).map(str::to_string),
        layers,
    })
}

/// `arch` with the epitomes (offsets resolved) and per-layer weight bits of
/// `design` (see the module docs). Errors name `design.layers[j]` and the layer:
/// a layer the architecture lacks, a pooling layer, a bad shape or offsets, bits
/// outside 2..=8, per-layer `a_bits`, a design for another network.
pub fn apply_design(arch: &ArchSpec, design: &EpitomeDesign) -> Result<ArchSpec> {
    // The design's `network` is checked against a built-in architecture's name;
    // another architecture (a pruned model's) is checked by layer names and shapes.
    let name = match (builtin_name(arch), &design.network) {
        (Some(n), _) => n.to_string(),
        (None, Some(n)) => n.clone(),
        (None, None) => "model".to_string(),
    };
    let net = network_spec(arch, &name)?.build()?;
    let mut out = arch.clone();
    for r in design.resolve(&net)? {
        let field = format!("design.layers[{}]", r.entry);
        let d = r.design;
        let name = &net.layers[r.layer].name;
        if d.a_bits.is_some() {
            return Err(Error::invalid(
                format!("{field}.a_bits"),
                format!(
                    "layer {name}: the trainer calibrates every layer's activations to --a-bits; \
                     remove per-layer a_bits from the design"
                ),
            ));
        }
        if let Some(b) = d.w_bits {
            if !(2..=8).contains(&b) {
                return Err(Error::invalid(
                    format!("{field}.w_bits"),
                    format!(
                        "layer {name}: quantization-aware training supports 2..=8 weight bits, got {b}"
                    ),
                ));
            }
        }
        let l = out
            .layers
            .iter_mut()
            .find_map(|x| match x {
                LayerSpec::Conv(l) | LayerSpec::Dense(l) if l.name == *name => Some(l),
                _ => None,
            })
            .ok_or_else(|| {
                Error::invalid(
                    format!("{field}.layer"),
                    format!("no weight layer named '{name}' in the architecture"),
                )
            })?;
        if d.w_bits.is_some() {
            l.w_bits = d.w_bits;
        }
        let [e_out, e_in, e_h, e_w] = d.epitome;
        if d.epitome == [l.c_out, l.c_in, l.k, l.k] && d.offsets.is_none() {
            l.epitome = None;
            continue;
        }
        l.epitome = Some(EpitomeDesc {
            e_out,
            e_in,
            e_h,
            e_w,
            offsets: Vec::new(),
        });
        let mut spec = l.epitome_spec();
        spec.offsets = d.offsets.clone();
        spec.validate().map_err(|e| {
            Error::invalid(
                format!("{field}.epitome"),
                format!(
                    "layer {name} (weights {}x{}x{}x{}): {e}",
                    l.c_out, l.c_in, l.k, l.k
                ),
            )
        })?;
        if let Some(e) = l.epitome.as_mut() {
            e.offsets = spec.all_offsets();
        }
    }
    out.validate()?;
    Ok(out)
}
