//! Method comparison: one network on one chip, under dense, epitome and pruning
//! methods, every row charged by the same simulator (docs/compare.md).
//!
//! A [`CompareRequest`] names the network, the hardware (preset, config, knobs), the
//! accounting, a baseline method and the methods ([`Method`] strings). [`compare`]
//! evaluates each method and returns a [`CompareReport`]: per method crossbars, PEs,
//! tiles, area, latency, energy, power, bits per weight and the ratios
//! `baseline / row`, with a component breakdown.
//!
//! How a method becomes a per-layer [`NetworkPlan`] (the project's rules, documented
//! in docs/compare.md):
//!
//! - **Buffers.** With automatic buffer sizes, every method at `bits = B` runs on the PE
//!   and tile of the dense `B`-bit network (its automatic PE input and tile output
//!   buffer sizes), so a method changes the number of PEs, tiles and tables, not the
//!   size of every PE. `dense:bits=B` is exactly `epim simulate --w-bits B`.
//! - **Eligible layers.** Conv layers with one group and fc layers; grouped and
//!   depthwise convolutions stay dense.
//! - **Never more area than dense, per layer.** A layer is compressed only when its
//!   compressed mapping (crossbar PEs plus table SRAMs) takes less area than the
//!   dense layer; [`choose_epitome`] extends this to every less-compressed shape on
//!   its menu. With this rule the area never grows with the ratio.
//! - **Filter pruning** rewrites the network: a pruned layer's `c_out` and its
//!   consumers' inputs shrink. Layers whose output feeds an add or a grouped
//!   convolution, and the network's last layer, keep all filters (the shapes must
//!   match), as Li et al. do for residual blocks.

use serde::{Deserialize, Serialize};

mod context;
mod method;
pub mod paper;
mod report;

/// A model as stored on the simulator (defined in [`crate::model::stored`]).
pub use crate::model::stored::{model_network, model_plan, model_weights};
pub use context::{
    bits_per_weight, choose_epitome, design_plan, filter_rewrite, fit_chip, Context, SlotArea,
};
pub use method::Method;
use report::row;
pub use report::{
    AccuracyPicks, CompareCharts, CompareReport, CompareRow, CompareView, Components, RowBreakdown,
    RowLayer,
};

/// A trained model as one comparison row, under `label` (the CLI uses
/// `model:FILE_STEM`).
#[derive(Debug, Clone, Copy)]
pub struct ModelEntry<'a> {
    /// Row label.
    pub label: &'a str,
    /// The model.
    pub model: &'a crate::model::Model,
}

/// The design file format (moved to [`crate::design`], shared with the search and the
/// trainer).
pub use crate::design::{DesignLayer, EpitomeDesign, LayerRef};

use crate::nets::Network;
use crate::sim::plan::{pruned_layer, LayerScheme, NetworkPlan};
use crate::sim::{Accounting, Arch, NetworkRef, SimReport};
use crate::{Error, Result};

/// The hardware knobs (defined in [`crate::sim`], shared with the simulator and the search).
pub use crate::sim::Knobs;

crate::sim::hardware_request! {
    /// Everything a comparison needs. JSON / JS: `{network?: name | spec, baseline,
    /// methods: [...], designs?: {name: design}, preset?, accounting?, config?, knobs?}`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
    #[serde(deny_unknown_fields)]
    pub struct CompareRequest {
        /// A zoo name or a network spec; omitted, the first model's own network
        /// ([`compare_models`]; an error without models).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub network: Option<NetworkRef>,
        /// The method every ratio divides by.
        pub baseline: String,
        /// The methods, one row each.
        pub methods: Vec<String>,
        /// Epitome designs by name, for `epitome:design=NAME` (the CLI reads the files).
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        pub designs: std::collections::BTreeMap<String, EpitomeDesign>,
    }
}

/// One evaluated method: the simulator report, its bits per weight and the plan.
#[derive(Debug, Clone)]
pub struct MethodResult {
    /// The simulation of the planned network.
    pub report: SimReport,
    /// Stored bits per dense weight.
    pub bits_per_weight: f64,
    /// The compression-quality proxy of the plan ([`quality_proxy`]).
    pub quality_proxy: f64,
    /// The per-layer plan that was simulated.
    pub plan: NetworkPlan,
}

/// Runs a comparison.
pub fn compare(req: &CompareRequest) -> Result<CompareReport> {
    compare_models(req, &[])
}

/// [`compare`] plus one row per trained model ([`Context::evaluate_model`], with the
/// model's recorded accuracy), after the method rows. The request's network is
/// the reference: ratios, chips and bits per weight are relative to it, and when
/// it is the first model's own network ([`model_network`]) the pruning methods
/// take their masks from that model's real weights where its layers are plain
/// dense ([`model_weights`]).
pub fn compare_models(req: &CompareRequest, models: &[ModelEntry]) -> Result<CompareReport> {
    compare_weighted(req, models, None)
}

/// The request's network, or without one the first model's own network
/// ([`model_network`]) named after its label (`model:NAME` -> `NAME`), the one
/// rule for the CLI (`epim compare --model` without `--net`) and the page
/// (`compareModels` without `network`).
fn network_of(req: &CompareRequest, models: &[ModelEntry]) -> Result<NetworkRef> {
    match (&req.network, models.first()) {
        (Some(n), _) => Ok(n.clone()),
        (None, Some(m)) => Ok(NetworkRef::Spec(model_network(
            m.model.arch(),
            m.label.trim_start_matches("model:"),
        )?)),
        (None, None) => Err(Error::invalid(
            "network",
            "give a network or at least one model",
        )),
    }
}

/// [`compare_models`] with real weights for the request's network (one entry per
/// layer of the built network, `None` where unknown; e.g. an imported ONNX
/// file's): the pruning methods take their masks from them. They take precedence
/// over the first model's weights.
pub fn compare_weighted(
    req: &CompareRequest,
    models: &[ModelEntry],
    weights: Option<Vec<Option<crate::nn::Tensor4>>>,
) -> Result<CompareReport> {
    if req.methods.is_empty() && models.is_empty() {
        return Err(Error::invalid(
            "methods",
            "give at least one method or model",
        ));
    }
    let max = crate::limits::MAX_METHODS;
    if req.methods.len() > max || models.len() > max {
        return Err(Error::invalid(
            if req.methods.len() > max {
                "methods"
            } else {
                "models"
            },
            format!(
                "at most {max} per comparison, got {} methods and {} models",
                req.methods.len(),
                models.len()
            ),
        ));
    }
    let options = req.sim_options();
    let spec = options.knobs.spec(&network_of(req, models)?.spec()?);
    let arch = req.arch()?;
    let accounting = options.accounting();
    let mut ctx = Context::new(&spec, &arch, accounting)?;
    if let Some(w) = weights {
        ctx = ctx.with_weights(w)?;
    } else if let Some(first) = models.first() {
        if model_network(first.model.arch(), &spec.name)?
            .build()?
            .layers
            == ctx.network().layers
        {
            let weights = model_weights(first.model, ctx.network())?;
            ctx = ctx.with_weights(weights)?;
        }
    }
    let run = |text: &str| -> Result<(MethodResult, String)> {
        let method = Method::parse(text)?;
        let design = match &method {
            Method::EpitomeDesign { design, .. } => {
                Some(req.designs.get(design).ok_or_else(|| {
                    Error::invalid(
                        format!("method '{}': design", text.trim()),
                        format!("no design named '{design}' was provided"),
                    )
                })?)
            }
            _ => None,
        };
        Ok((ctx.evaluate(&method, design)?, text.trim().to_string()))
    };
    let (base, base_name) = run(&req.baseline)?;
    let baseline = row(&base_name, &base, None);
    let mut rows = Vec::with_capacity(req.methods.len());
    for m in &req.methods {
        let (r, name) = run(m)?;
        rows.push(row(&name, &r, Some(&baseline)));
    }
    for m in models {
        let r = ctx.evaluate_model(m.model)?;
        let mut x = row(m.label, &r, Some(&baseline));
        x.accuracy_pct = m.model.recorded_accuracy().map(|a| 100.0 * a);
        rows.push(x);
    }
    Ok(CompareReport {
        network: base.report.network.clone(),
        preset: base.report.preset.clone(),
        accounting: accounting.name().to_string(),
        baseline,
        rows,
        paper: paper::PaperReference::default(),
    })
}

/// Bits of the reference layer of the quality proxy: an 8-bit dense layer scores 0.
pub const QUALITY_REF_BITS: f64 = 8.0;

/// One layer's term of the quality proxy: `max(0, ln((P_dense * 8) / (P_stored *
/// w_bits)))`, the log of the layer's storage compression against an 8-bit dense
/// layer (0 for a dense layer at 8 bits or more). The search's objective uses it too.
pub fn quality_term(dense_params: f64, stored_params: f64, w_bits: u32) -> f64 {
    let stored = stored_params.max(1.0) * f64::from(w_bits.max(1));
    ((dense_params * QUALITY_REF_BITS) / stored).ln().max(0.0)
}

/// The compression-quality proxy of `plan` on `net`, against the weight layers of
/// `reference` (`net` may be a filter-pruned rewrite of it, with the same layers): the mean
/// over weight layers of [`quality_term`], with the stored parameters of each scheme
/// (an epitome's elements, a pruned layer's non-zero weights). Not an accuracy: it
/// grows with every halving of a layer's stored bits, and penalises one extremely
/// squeezed layer more than the same compression spread over many (docs/search.md).
pub fn quality_proxy(
    reference: &Network,
    net: &Network,
    plan: &NetworkPlan,
    arch: &Arch,
    accounting: Accounting,
) -> Result<f64> {
    // A rewrite with other layers than the reference (never a filter pruning, which
    // keeps them) is measured against itself.
    let reference = if reference.layers.len() == net.layers.len() {
        reference
    } else {
        net
    };
    let (mut sum, mut n) = (0.0, 0usize);
    for (l, (layer, ours)) in reference.layers.iter().zip(&net.layers).enumerate() {
        let dense = layer.params() as f64;
        if dense == 0.0 {
            continue;
        }
        let stored = match &plan.layer(l).scheme {
            LayerScheme::Dense => ours.params() as f64,
            LayerScheme::Epitome(e) => e.shape.len() as f64,
            LayerScheme::Pruned(spec) if spec.ratio == 0.0 => ours.params() as f64,
            LayerScheme::Pruned(spec) => {
                pruned_layer(ours, spec, arch, accounting)?.n_nonzero_weights as f64
            }
            LayerScheme::Measured(pl) => pl.n_nonzero_weights as f64,
        };
        sum += quality_term(dense, stored, plan.w_bits(net, l));
        n += 1;
    }
    Ok(if n == 0 { 0.0 } else { sum / n as f64 })
}
