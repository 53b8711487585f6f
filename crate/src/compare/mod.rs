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

mod method;
pub mod paper;

/// A model as stored on the simulator (defined in [`crate::model::stored`]).
pub use crate::model::stored::{model_network, model_plan, model_weights};
pub use method::Method;

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

use crate::epitome::EpitomeShape;
use crate::nets::{LayerSpec, Network, NetworkSpec, Op};
use crate::prune::{PruneKind, PruneSpec};
use crate::sim::plan::{
    conv_shape, epitome_spec, is_identity, layer_geometry, map_planned, measured_pruned_layer,
    pruned_layer, table_area_um2, EpitomeLayout, LayerPlan, LayerScheme, NetworkPlan,
};
use crate::sim::{simulate_plan, Accounting, Arch, BufSize, NetworkRef, SimReport};
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

/// Area, latency and energy by component.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct Components {
    /// Crossbar arrays.
    pub crossbar: f64,
    /// ADCs.
    pub adc: f64,
    /// DACs.
    pub dac: f64,
    /// Registers, shift-adders, (de)multiplexers, adders, joint modules, accumulator.
    pub digital: f64,
    /// SRAM buffers (PE input, tile output, global).
    pub buffer: f64,
    /// Intra- and inter-tile communication.
    pub interconnect: f64,
    /// Pooling blocks.
    pub pooling: f64,
    /// IFAT / IFRT / OFAT and pruning index tables.
    pub tables: f64,
}

impl Components {
    /// `(name, value)` in display order.
    pub fn entries(&self) -> Vec<(String, f64)> {
        [
            ("crossbar", self.crossbar),
            ("adc", self.adc),
            ("dac", self.dac),
            ("digital", self.digital),
            ("buffer", self.buffer),
            ("interconnect", self.interconnect),
            ("pooling", self.pooling),
            ("tables", self.tables),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn from_parts(p: &crate::sim::Parts<f64>) -> Self {
        Components {
            crossbar: p.xbar,
            adc: p.adc,
            dac: p.dac,
            digital: p.digital(),
            buffer: p.buffer_read + p.buffer_write,
            interconnect: p.intra_tile + p.merge + p.transfer,
            pooling: p.pooling,
            tables: p.tables,
        }
    }
}

/// The breakdowns of one row (latency: summed busy time per component, not
/// wall-clock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct RowBreakdown {
    /// Area, µm².
    pub area_um2: Components,
    /// Busy time, ns.
    pub latency_ns: Components,
    /// Energy, pJ.
    pub energy_pj: Components,
}

/// One method's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct CompareRow {
    /// The method string as given.
    pub method: String,
    /// Physical crossbars.
    pub crossbars: u64,
    /// PEs.
    pub pes: u64,
    /// Tiles.
    pub tiles: u64,
    /// Chip area, µm².
    pub area_um2: f64,
    /// Latency of one image, ns.
    pub latency_ns: f64,
    /// Energy of one image, pJ.
    pub energy_pj: f64,
    /// Power, mW.
    pub power_mw: f64,
    /// Stored bits per dense weight, with index, bitmap and scale overheads.
    pub bits_per_weight: f64,
    /// Baseline area / this area.
    pub area_ratio: f64,
    /// `area_ratio` is within 15 % (our tolerance) of the paper's 30.65x
    /// ([`paper::near_paper_area_ratio`]).
    #[serde(default)]
    pub near_paper_area_ratio: bool,
    /// Baseline latency / this latency.
    pub latency_ratio: f64,
    /// Baseline energy / this energy.
    pub energy_ratio: f64,
    /// Component breakdowns.
    pub breakdown: RowBreakdown,
    /// Test accuracy in percent, when known (a trained model's recorded accuracy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_pct: Option<f64>,
    /// The compression-quality proxy ([`quality_proxy`]; lower is better): how much
    /// the method squeezes the weights, a stand-in where no accuracy was measured.
    #[serde(default)]
    pub quality_proxy: f64,
}

/// The result of [`compare`] (the `epim compare --json` object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct CompareReport {
    /// Network name.
    pub network: String,
    /// Hardware preset.
    pub preset: String,
    /// `physical` or `mnsim`.
    pub accounting: String,
    /// The baseline row (ratios 1).
    pub baseline: CompareRow,
    /// One row per method, in the order given.
    pub rows: Vec<CompareRow>,
    /// The paper's area ratio and our tolerance for `near_paper_area_ratio`.
    #[serde(default)]
    pub paper: paper::PaperReference,
}

impl CompareReport {
    /// The chart input of [`crate::plot`]: the baseline row first, then the methods
    /// (a method repeated, or equal to the baseline, is drawn once), with the area,
    /// energy and latency breakdowns; no accuracies.
    pub fn chart_data(&self) -> crate::plot::ChartData {
        let mut rows: Vec<crate::plot::ChartRow> = Vec::with_capacity(self.rows.len() + 1);
        for r in std::iter::once(&self.baseline).chain(&self.rows) {
            if rows.iter().any(|x| x.method == r.method) {
                continue;
            }
            rows.push(crate::plot::ChartRow {
                method: r.method.clone(),
                area_um2: r.area_um2,
                latency_ns: r.latency_ns,
                energy_pj: r.energy_pj,
                bits_per_weight: r.bits_per_weight,
                accuracy_pct: r.accuracy_pct,
                quality_proxy: Some(r.quality_proxy),
                area_breakdown_um2: r.breakdown.area_um2.entries(),
                energy_breakdown_pj: r.breakdown.energy_pj.entries(),
                latency_breakdown_ns: r.breakdown.latency_ns.entries(),
            });
        }
        crate::plot::ChartData {
            title: format!("{} on {} ({})", self.network, self.preset, self.accounting),
            short_title: Some(self.network.clone()),
            rows,
            baseline: Some(self.baseline.method.clone()),
        }
    }

    /// The chart data of the rows with a known accuracy (trained models), for the
    /// area-vs-accuracy Pareto chart; `None` when fewer than two rows have one.
    pub fn accuracy_chart_data(&self) -> Option<crate::plot::ChartData> {
        let mut data = self.chart_data();
        data.rows.retain(|r| r.accuracy_pct.is_some());
        if data.rows.len() < 2 {
            return None;
        }
        if data
            .baseline
            .as_ref()
            .is_some_and(|b| !data.rows.iter().any(|r| &r.method == b))
        {
            data.baseline = None;
        }
        // The rows are models, each its own network: the title names the hardware.
        data.title = format!("Trained models on {} ({})", self.preset, self.accounting);
        data.short_title = Some("Trained models".into());
        Some(data)
    }
}

/// The chart data of a report, as [`CompareReport::charts`] builds it: what `epim
/// compare --svg DIR` draws (and writes next to the SVGs as `chart-data.json`) and what
/// the page draws, unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct CompareCharts {
    /// Every cost chart's data ([`CompareReport::chart_data`]).
    pub chart: crate::plot::ChartData,
    /// The area-vs-accuracy chart's data ([`CompareReport::accuracy_chart_data`]);
    /// `null` when fewer than two rows have an accuracy.
    pub accuracy_chart: Option<crate::plot::ChartData>,
}

/// A report with its chart data: what the wasm `compare` and `compareModels` return
/// (`{...report, chart, accuracy_chart}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct CompareView {
    /// The report.
    #[serde(flatten)]
    pub report: CompareReport,
    /// Its chart data.
    #[serde(flatten)]
    pub charts: CompareCharts,
    /// The rows the page's comment names ([`CompareReport::accuracy_picks`]); `null`
    /// when no row has an accuracy.
    pub accuracy_picks: Option<AccuracyPicks>,
}

/// Indices into [`CompareReport::rows`] among the rows with a known accuracy:
/// the most accurate, the smallest (chip area) and the smallest whose method
/// starts with `EPIM`. Ties go to the first row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct AccuracyPicks {
    /// Highest `accuracy_pct`.
    pub most_accurate: usize,
    /// Smallest `area_um2`.
    pub smallest: usize,
    /// Smallest `area_um2` among the `EPIM` rows; `null` when there is none.
    pub smallest_epim: Option<usize>,
}

impl CompareReport {
    /// Both charts' data.
    pub fn charts(&self) -> CompareCharts {
        CompareCharts {
            chart: self.chart_data(),
            accuracy_chart: self.accuracy_chart_data(),
        }
    }

    /// The report with its chart data.
    pub fn with_charts(self) -> CompareView {
        let charts = self.charts();
        let accuracy_picks = self.accuracy_picks();
        CompareView {
            report: self,
            charts,
            accuracy_picks,
        }
    }

    /// The most accurate, the smallest and the smallest EPIM row among the rows
    /// with an accuracy (first on ties); `None` when no row has one.
    pub fn accuracy_picks(&self) -> Option<AccuracyPicks> {
        let known = || {
            self.rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.accuracy_pct.is_some())
        };
        // `min_by`/`max_by` keep the last of equal elements for max: fold instead.
        let first_best =
            |it: &mut dyn Iterator<Item = (usize, &CompareRow)>,
             better: &dyn Fn(&CompareRow, &CompareRow) -> bool| {
                let mut best: Option<(usize, &CompareRow)> = None;
                for (i, r) in it {
                    if best.is_none_or(|(_, b)| better(r, b)) {
                        best = Some((i, r));
                    }
                }
                best.map(|(i, _)| i)
            };
        let acc = |r: &CompareRow| r.accuracy_pct.unwrap_or(f64::NEG_INFINITY);
        let most_accurate = first_best(&mut known(), &|r, b| acc(r) > acc(b))?;
        let smaller = |r: &CompareRow, b: &CompareRow| r.area_um2 < b.area_um2;
        let smallest = first_best(&mut known(), &smaller)?;
        let smallest_epim = first_best(
            &mut known().filter(|(_, r)| r.method.starts_with("EPIM")),
            &smaller,
        );
        Some(AccuracyPicks {
            most_accurate,
            smallest,
            smallest_epim,
        })
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

fn row(method: &str, r: &MethodResult, base: Option<&CompareRow>) -> CompareRow {
    let t = &r.report.totals;
    let d = &t.detail;
    let ratio = |b: f64, x: f64| if x > 0.0 { b / x } else { 0.0 };
    let area = t.area_um2.value();
    let lat = t.latency_ns.value();
    let en = t.energy_pj.value();
    let (ar, lr, er) = match base {
        Some(b) => (
            ratio(b.area_um2, area),
            ratio(b.latency_ns, lat),
            ratio(b.energy_pj, en),
        ),
        None => (1.0, 1.0, 1.0),
    };
    CompareRow {
        method: method.to_string(),
        crossbars: t.crossbars,
        pes: t.pes,
        tiles: t.tiles,
        area_um2: area,
        latency_ns: lat,
        energy_pj: en,
        power_mw: t.power_mw.value(),
        bits_per_weight: r.bits_per_weight,
        quality_proxy: r.quality_proxy,
        area_ratio: ar,
        near_paper_area_ratio: paper::near_paper_area_ratio(ar),
        latency_ratio: lr,
        energy_ratio: er,
        breakdown: RowBreakdown {
            area_um2: Components::from_parts(&d.area_um2.map(|v| v.value())),
            latency_ns: Components::from_parts(&d.latency_ns.map(|v| v.value())),
            energy_pj: Components::from_parts(&d.energy_pj.map(|v| v.value())),
        },
        accuracy_pct: None,
    }
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

/// A network spec on a chip in one accounting: evaluates methods.
pub struct Context<'a> {
    spec: &'a NetworkSpec,
    net: Network,
    arch: &'a Arch,
    accounting: Accounting,
    /// Real weights (OIHW) per network layer, where known: pruning methods take
    /// their masks from them instead of the ratio model.
    weights: Vec<Option<crate::nn::Tensor4>>,
}

impl<'a> Context<'a> {
    /// Builds the network.
    pub fn new(spec: &'a NetworkSpec, arch: &'a Arch, accounting: Accounting) -> Result<Self> {
        Ok(Context {
            spec,
            net: spec.build()?,
            arch,
            accounting,
            weights: Vec::new(),
        })
    }

    /// The same context with real weights for some layers (one entry per network
    /// layer, `None` where unknown): pruning methods other than `filter` then choose
    /// their masks from these weights by magnitude ([`crate::prune::prune_weights`]).
    pub fn with_weights(mut self, weights: Vec<Option<crate::nn::Tensor4>>) -> Result<Self> {
        if weights.len() != self.net.layers.len() {
            return Err(Error::shape(
                "weights",
                format!("one entry per network layer ({})", self.net.layers.len()),
                weights.len(),
            ));
        }
        self.weights = weights;
        Ok(self)
    }

    /// The built network.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Evaluates one method (`design` for `epitome:design=...`).
    pub fn evaluate(
        &self,
        method: &Method,
        design: Option<&EpitomeDesign>,
    ) -> Result<MethodResult> {
        let bits = method.bits().unwrap_or(self.net.w_bits);
        let dense_plan = NetworkPlan::uniform(&self.net, Some(bits), None);
        let (dense, arch) = self.dense_chip(&dense_plan)?;
        if let Method::Dense { .. } = method {
            let bpw = bits_per_weight(&self.net, &dense_plan, self.arch, self.accounting)?;
            let quality = quality_proxy(
                &self.net,
                &self.net,
                &dense_plan,
                self.arch,
                self.accounting,
            )?;
            return Ok(MethodResult {
                report: dense,
                bits_per_weight: bpw,
                quality_proxy: quality,
                plan: dense_plan,
            });
        }
        let slot = SlotArea::new(&dense, &arch, self.accounting);
        let (net, plan) = match method {
            Method::Dense { .. } => (self.net.clone(), dense_plan),
            Method::EpitomeRatio { ratio, .. } => {
                let mut plan = dense_plan;
                for (l, layer) in self.net.layers.iter().enumerate() {
                    if layer_geometry(layer).is_ok() {
                        let layout = choose_epitome(layer, *ratio, bits, &arch, &slot)?;
                        if let Some(layout) = layout {
                            plan.layers[l].scheme = LayerScheme::Epitome(layout);
                        }
                    }
                }
                (self.net.clone(), plan)
            }
            Method::EpitomeDesign { .. } => {
                let design = design.ok_or_else(|| Error::invalid("design", "missing design"))?;
                (self.net.clone(), design_plan(&self.net, design, bits)?)
            }
            Method::Prune { spec, .. } if spec.kind == PruneKind::Filter => {
                let spec2 = filter_rewrite(self.spec, &self.net, spec.ratio)?;
                let net = spec2.build()?;
                let plan = NetworkPlan::uniform(&net, Some(bits), None);
                (net, plan)
            }
            Method::Prune {
                spec, area_rule, ..
            } => {
                let mut plan = dense_plan;
                for (l, layer) in self.net.layers.iter().enumerate() {
                    if conv_shape(layer).is_err() {
                        continue;
                    }
                    let scheme =
                        match self.weights.get(l) {
                            Some(Some(w)) => LayerScheme::Measured(Box::new(
                                measured_pruned_layer(layer, w, spec, &arch, self.accounting)?,
                            )),
                            _ => LayerScheme::Pruned(*spec),
                        };
                    let candidate = LayerPlan {
                        scheme,
                        w_bits: Some(bits),
                        a_bits: None,
                    };
                    let a_pruned = slot.layer_area(l, layer, &candidate, bits, &arch)?;
                    let a_dense = slot.layer_area(l, layer, &plan.layers[l], bits, &arch)?;
                    if a_pruned < a_dense || !area_rule {
                        plan.layers[l] = candidate;
                    }
                }
                (self.net.clone(), plan)
            }
        };
        self.run_plan(net, plan, &arch)
    }

    /// The dense network (`dense_plan`: all dense at some bits) on the chip (grown
    /// to fit), and that chip with its automatic buffer sizes pinned to the dense
    /// network's: every method at those bits runs on the same PE and tile.
    fn dense_chip(&self, dense_plan: &NetworkPlan) -> Result<(SimReport, Arch)> {
        let base_arch = fit_chip(&self.net, self.arch, self.accounting, dense_plan)?;
        let dense = simulate_plan(&self.net, &base_arch, self.accounting, dense_plan)?;
        let mut arch = base_arch;
        if arch.pe.inbuf_kb == BufSize::Auto {
            arch.pe.inbuf_kb = BufSize::Kb(dense.totals.pe_inbuf_kb);
        }
        if arch.tile.outbuf_kb == BufSize::Auto {
            arch.tile.outbuf_kb = BufSize::Kb(dense.totals.tile_outbuf_kb);
        }
        Ok((dense, arch))
    }

    /// Simulates `plan` on `net` (this context's network or a rewrite of it) on the
    /// pinned chip `arch`, grown to fit.
    fn run_plan(&self, net: Network, plan: NetworkPlan, arch: &Arch) -> Result<MethodResult> {
        let arch = fit_chip(&net, arch, self.accounting, &plan)?;
        let report = simulate_plan(&net, &arch, self.accounting, &plan)?;
        let stored = bits_per_weight(&net, &plan, &arch, self.accounting)?;
        // A rewritten network (filter pruning, a filter-pruned model): bits are
        // counted against this context's network's weights.
        let bpw = stored * weights(&net) as f64 / weights(&self.net).max(1) as f64;
        let quality = quality_proxy(&self.net, &net, &plan, &arch, self.accounting)?;
        Ok(MethodResult {
            report,
            bits_per_weight: bpw,
            quality_proxy: quality,
            plan,
        })
    }

    /// Evaluates a trained model as stored ([`model_plan`]: its epitomes, its
    /// pruning masks from its real weights, its bits) on the chip of this
    /// context's network at the model's largest weight bits. The model's network
    /// may be smaller than this context's (filter pruning); bits per weight are
    /// counted against this context's network.
    pub fn evaluate_model(&self, model: &crate::model::Model) -> Result<MethodResult> {
        let bits = model
            .arch()
            .weight_layers()
            .map(|l| l.w_bits.unwrap_or(32))
            .max()
            .unwrap_or(self.net.w_bits);
        let dense_plan = NetworkPlan::uniform(&self.net, Some(bits), None);
        let (_, arch) = self.dense_chip(&dense_plan)?;
        let net = model_network(model.arch(), &self.net.name)?.build()?;
        let plan = model_plan(model, &net, &arch, self.accounting)?;
        self.run_plan(net, plan, &arch)
    }
}

/// `arch`, or, when the planned network needs more tiles than the chip has, the same
/// hardware on the smallest square grid of tiles that holds it (a comparison is about
/// what a network costs, not whether it fits one chip; networks that fit are unchanged).
pub fn fit_chip(
    net: &Network,
    arch: &Arch,
    accounting: Accounting,
    plan: &NetworkPlan,
) -> Result<Arch> {
    let npe = (u64::from(arch.tile.pes_x) * u64::from(arch.tile.pes_y)).max(1);
    let dense = LayerPlan::default();
    let mut pes = 0u64;
    let mut tiles = 0u64;
    for (l, layer) in net.layers.iter().enumerate() {
        let p = plan.layers.get(l).unwrap_or(&dense);
        let m = map_planned(l, layer, p, plan.w_bits(net, l), arch, accounting)?;
        pes = pes.saturating_add(m.pes);
        tiles = tiles.saturating_add(m.pe_slots.div_ceil(npe));
    }
    let need = match accounting {
        Accounting::Mnsim => tiles,
        Accounting::Physical => pes.div_ceil(npe),
    };
    let have = u64::from(arch.chip.tiles_x) * u64::from(arch.chip.tiles_y);
    if need <= have {
        return Ok(arch.clone());
    }
    let mut side = (need as f64).sqrt().ceil() as u64;
    while side * side < need {
        side += 1;
    }
    let side = u32::try_from(side).map_err(|_| {
        Error::invalid(
            "chip",
            format!("{need} tiles cannot be laid out on a square grid"),
        )
    })?;
    let mut a = arch.clone();
    a.chip.tiles_x = side.max(arch.chip.tiles_x);
    a.chip.tiles_y = side.max(arch.chip.tiles_y);
    Ok(a)
}

fn weights(net: &Network) -> u64 {
    net.params()
}

/// Per-layer area as the totals count it, for the area rules: crossbar PEs (whole
/// tiles per layer in `mnsim`, PE slots of a tile in `physical`) plus table SRAMs.
pub struct SlotArea {
    tile_area_um2: f64,
    npe: u64,
    accounting: Accounting,
}

impl SlotArea {
    fn new(dense: &SimReport, arch: &Arch, accounting: Accounting) -> Self {
        SlotArea {
            tile_area_um2: dense.totals.tile_area_um2.value(),
            npe: u64::from(arch.tile.pes_x) * u64::from(arch.tile.pes_y),
            accounting,
        }
    }

    fn layer_area(
        &self,
        l: usize,
        layer: &crate::nets::Layer,
        plan: &LayerPlan,
        bits: u32,
        arch: &Arch,
    ) -> Result<f64> {
        let m = map_planned(l, layer, plan, bits, arch, self.accounting)?;
        let pes = match self.accounting {
            Accounting::Mnsim => (m.pes.div_ceil(self.npe) * self.npe) as f64,
            Accounting::Physical => m.pes as f64,
        };
        Ok(pes * self.tile_area_um2 / self.npe as f64 + table_area_um2(&m, arch)?)
    }
}

/// Divisors of the epitome menu: `e_out = ceil(c_out / d_o)`, `e_in = ceil(c_in / d_i)`.
const MENU: [usize; 15] = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64];

/// The epitome of `layer` for `epitome:ratio=R` (`None`: the layer stays dense).
///
/// Rule (docs/compare.md): the menu is every `e_out = ceil(c_out / d_o)`,
/// `e_in = ceil(c_in / d_i)` with `d_o, d_i` in {1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20,
/// 24, 32, 48, 64} (at most `c_out`, `c_in`), `e_h = k_h`, `e_w = k_w`, default offsets,
/// `rep = 1`. The target is the shape whose compression is closest to `R` in log scale
/// (ties: the smaller compression, then fewer groups). Then, among the menu shapes
/// with at most the target's compression (the dense layer included), the layer takes
/// the one with the least area (crossbar PEs + table SRAMs; ties: closest to `R`).
pub fn choose_epitome(
    layer: &crate::nets::Layer,
    ratio: f64,
    bits: u32,
    arch: &Arch,
    slot: &SlotArea,
) -> Result<Option<EpitomeLayout>> {
    let g = layer_geometry(layer)?;
    let w = (g.c_out * g.c_in * g.k_h * g.k_w) as f64;
    let mut menu: Vec<(usize, usize, f64)> = Vec::new();
    for &d_o in MENU.iter().filter(|&&d| d <= g.c_out) {
        for &d_i in MENU.iter().filter(|&&d| d <= g.c_in) {
            let e_out = g.c_out.div_ceil(d_o);
            let e_in = g.c_in.div_ceil(d_i);
            if menu.iter().any(|&(o, i, _)| o == e_out && i == e_in) {
                continue;
            }
            let c = w / (e_out * e_in * g.k_h * g.k_w) as f64;
            menu.push((e_out, e_in, c));
        }
    }
    let dist = |c: f64| (c.ln() - ratio.ln()).abs();
    let key = |&(o, _, c): &(usize, usize, f64)| (dist(c), c, g.c_out.div_ceil(o));
    let target = menu
        .iter()
        .min_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.total_cmp(&kb.0)
                .then(ka.1.total_cmp(&kb.1))
                .then(ka.2.cmp(&kb.2))
        })
        .map_or(1.0, |t| t.2);
    let mut best: Option<(f64, f64, Option<EpitomeLayout>)> = None;
    for &(e_out, e_in, c) in menu.iter().filter(|t| t.2 <= target * (1.0 + 1e-12)) {
        let layout = EpitomeLayout {
            shape: EpitomeShape {
                e_out,
                e_in,
                e_h: g.k_h,
                e_w: g.k_w,
            },
            offsets: None,
            rep: 1,
        };
        let spec = epitome_spec(layer, &layout)?;
        let identity = is_identity(&spec);
        let plan = LayerPlan {
            scheme: LayerScheme::Epitome(layout.clone()),
            w_bits: Some(bits),
            a_bits: None,
        };
        let area = slot.layer_area(0, layer, &plan, bits, arch)?;
        let better = match &best {
            None => true,
            Some((a, d, _)) => area < *a || (area == *a && dist(c) < *d),
        };
        if better {
            best = Some((area, dist(c), (!identity).then_some(layout)));
        }
    }
    Ok(best.and_then(|b| b.2))
}

/// The plan of an epitome design: listed layers as given, the rest dense at `bits`.
pub fn design_plan(net: &Network, design: &EpitomeDesign, bits: u32) -> Result<NetworkPlan> {
    let mut plan = NetworkPlan::uniform(net, Some(bits), None);
    for r in design.resolve(net)? {
        let (l, d) = (r.layer, r.design);
        let [e_out, e_in, e_h, e_w] = d.epitome;
        plan.layers[l] = LayerPlan {
            scheme: LayerScheme::Epitome(EpitomeLayout {
                shape: EpitomeShape {
                    e_out,
                    e_in,
                    e_h,
                    e_w,
                },
                offsets: d.offsets.clone(),
                rep: d.rep.unwrap_or(1),
            }),
            w_bits: Some(d.w_bits.unwrap_or(bits)),
            a_bits: d.a_bits,
        };
    }
    plan.validate(net)
        .map_err(|e| Error::invalid("design", e.to_string()))?;
    Ok(plan)
}

/// The network with filter pruning at `ratio`: every conv (one group) and fc layer
/// whose output feeds no add and no grouped convolution, and which is not the last
/// layer, keeps `c_out - round(ratio * c_out)` filters (at least one); consumers'
/// inputs shrink when the spec is rebuilt.
pub fn filter_rewrite(spec: &NetworkSpec, net: &Network, ratio: f64) -> Result<NetworkSpec> {
    PruneSpec::new(PruneKind::Filter, ratio).validate()?;
    let mut out = spec.clone();
    let n = net.layers.len();
    // Whether a layer's output (through pooling) reaches an add or a grouped conv.
    let mut blocked = vec![false; n];
    for l in (0..n).rev() {
        let layer = &net.layers[l];
        blocked[l] = l + 1 == n
            || layer.outputs.iter().any(|&o| {
                let c = &net.layers[l + o];
                match c.op {
                    Op::Add { .. } => true,
                    Op::Conv(g) => g.groups > 1,
                    Op::Pool { .. } => blocked[l + o],
                    Op::Fc { .. } => false,
                }
            });
    }
    for (l, layer) in net.layers.iter().enumerate() {
        if blocked[l] || layer_geometry(layer).is_err() {
            continue;
        }
        let keep = |c: usize| c - ((ratio * c as f64).round() as usize).min(c.saturating_sub(1));
        match &mut out.layers[l] {
            LayerSpec::Conv { c_out, .. } => *c_out = keep(*c_out),
            LayerSpec::Fc { out, .. } => *out = keep(*out),
            _ => {}
        }
    }
    Ok(out)
}

/// Stored bits per dense weight of a planned network: dense layers `w_bits` per
/// weight, epitome layers `w_bits` per epitome entry, pruned layers per stored cell
/// plus index tables and block bitmap; plus one 32-bit scale per crossbar column
/// (output channel, epitome row) when `w_bits < 32`.
pub fn bits_per_weight(
    net: &Network,
    plan: &NetworkPlan,
    arch: &Arch,
    accounting: Accounting,
) -> Result<f64> {
    let mut bits = 0u64;
    let mut total = 0u64;
    for (l, layer) in net.layers.iter().enumerate() {
        let w = layer.params();
        if w == 0 {
            continue;
        }
        total += w;
        let p = plan.layer(l);
        let b = u64::from(plan.w_bits(net, l));
        let scale = |cols: u64| if b < 32 { 32 * cols } else { 0 };
        let out_ch = layer.out_shape.c as u64;
        bits += match &p.scheme {
            LayerScheme::Dense => b * w + scale(out_ch),
            LayerScheme::Epitome(e) => {
                let s = e.shape;
                b * (s.e_out * s.e_in * s.e_h * s.e_w) as u64 + scale(s.e_out as u64)
            }
            LayerScheme::Pruned(spec) if spec.ratio == 0.0 => b * w + scale(out_ch),
            LayerScheme::Pruned(spec) => {
                let pl = pruned_layer(layer, spec, arch, accounting)?;
                pruned_bits(&pl, b) + scale(pl.kept_out_channels as u64)
            }
            LayerScheme::Measured(pl) => pruned_bits(pl, b) + scale(pl.kept_out_channels as u64),
        };
    }
    Ok(if total == 0 {
        0.0
    } else {
        bits as f64 / total as f64
    })
}

/// Stored bits of a pruned layer: kept cells at `w_bits` plus its index tables and
/// block bitmap (no scales).
fn pruned_bits(pl: &crate::prune::PrunedLayer, w_bits: u64) -> u64 {
    w_bits * pl.n_stored_weights
        + pl.input_index.bits()
        + pl.output_index.bits()
        + pl.block_bitmap_bits
}

/// Native only: proptest is not built for wasm (the lib's tests also build for
/// `wasm-pack test`).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod picks_tests {
    use super::*;
    use proptest::prelude::*;

    fn row(method: &str, area_um2: f64, accuracy_pct: Option<f64>) -> CompareRow {
        CompareRow {
            method: method.into(),
            crossbars: 1,
            pes: 1,
            tiles: 1,
            area_um2,
            latency_ns: 1.0,
            energy_pj: 1.0,
            power_mw: 1.0,
            bits_per_weight: 8.0,
            area_ratio: 1.0,
            near_paper_area_ratio: false,
            latency_ratio: 1.0,
            energy_ratio: 1.0,
            breakdown: RowBreakdown::default(),
            accuracy_pct,
            quality_proxy: 0.0,
        }
    }

    fn report(rows: Vec<CompareRow>) -> CompareReport {
        CompareReport {
            network: "n".into(),
            preset: "p".into(),
            accounting: "physical".into(),
            baseline: row("dense", 1.0, None),
            rows,
            paper: paper::PaperReference::default(),
        }
    }

    /// Oracle: the first index whose value no known row beats.
    fn first_extreme(
        rows: &[CompareRow],
        keep: impl Fn(&CompareRow) -> bool,
        key: impl Fn(&CompareRow) -> f64,
    ) -> Option<usize> {
        let known: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].accuracy_pct.is_some() && keep(&rows[i]))
            .collect();
        known
            .iter()
            .copied()
            .find(|&i| known.iter().all(|&j| key(&rows[j]) <= key(&rows[i])))
    }

    #[test]
    fn picks_name_rows_and_ties_go_to_the_first() {
        let r = report(vec![
            row("EPIM a", 5.0, Some(97.0)),
            row("dense", 3.0, Some(99.0)),
            row("no accuracy", 1.0, None),
            row("EPIM b", 4.0, Some(99.0)),
            row("EPIM c", 4.0, Some(90.0)),
        ]);
        let p = r.accuracy_picks().unwrap();
        assert_eq!(
            (p.most_accurate, p.smallest, p.smallest_epim),
            (1, 1, Some(3))
        );
        assert_eq!(report(vec![row("x", 1.0, None)]).accuracy_picks(), None);
        let p = report(vec![row("x", 1.0, Some(1.0))])
            .accuracy_picks()
            .unwrap();
        assert_eq!((p.most_accurate, p.smallest, p.smallest_epim), (0, 0, None));
        // The page reads them from the view.
        let v = serde_json::to_value(r.with_charts()).unwrap();
        assert_eq!(v["accuracy_picks"]["smallest_epim"], 3);
    }

    proptest! {
        #[test]
        fn picks_match_the_oracle(rows in prop::collection::vec((0u8..4, 0u8..4, prop::option::of(0u8..4)), 0..8)) {
            let rows: Vec<CompareRow> = rows.iter().map(|&(e, a, acc)| {
                row(if e % 2 == 0 { "EPIM x" } else { "dense" }, f64::from(a), acc.map(f64::from))
            }).collect();
            let neg_area = |r: &CompareRow| -r.area_um2;
            let got = report(rows.clone()).accuracy_picks();
            let want = first_extreme(&rows, |_| true, |r| r.accuracy_pct.unwrap()).map(|most_accurate| AccuracyPicks {
                most_accurate,
                smallest: first_extreme(&rows, |_| true, neg_area).unwrap(),
                smallest_epim: first_extreme(&rows, |r| r.method.starts_with("EPIM"), neg_area),
            });
            prop_assert_eq!(got, want);
        }
    }
}
