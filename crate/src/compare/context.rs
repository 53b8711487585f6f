//! How a method becomes a per-layer plan on one network and chip: the evaluation
//! context, the epitome choice, filter pruning's rewrite, bits per weight and the chip fit.

use super::{quality_proxy, Method, MethodResult};
use crate::design::EpitomeDesign;
use crate::epitome::EpitomeShape;
use crate::model::stored::{model_network, model_plan};
use crate::nets::{LayerSpec, Network, NetworkSpec, Op};
use crate::prune::{PruneKind, PruneSpec};
use crate::sim::plan::{
    conv_shape, epitome_spec, is_identity, layer_geometry, map_planned, measured_pruned_layer,
    pruned_layer, table_area_um2, EpitomeLayout, LayerPlan, LayerScheme, NetworkPlan,
};
use crate::sim::{simulate_plan, Accounting, Arch, BufSize, SimReport};
use crate::{Error, Result};

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
        let (net, plan) = self.compile(method, design, dense_plan, &arch, &slot)?;
        self.run_plan(net, plan, &arch)
    }

    /// The network and per-layer plan of a compressing `method` at the bits of
    /// `dense_plan`, on the pinned chip `arch` whose dense layer areas `slot` holds:
    /// epitomes chosen per layer by ratio or taken from the design, filter pruning as a
    /// rewritten network, other pruning per layer (measured masks where the context has
    /// real weights) where it takes less area than the dense layer.
    fn compile(
        &self,
        method: &Method,
        design: Option<&EpitomeDesign>,
        dense_plan: NetworkPlan,
        arch: &Arch,
        slot: &SlotArea,
    ) -> Result<(Network, NetworkPlan)> {
        let bits = method.bits().unwrap_or(self.net.w_bits);
        Ok(match method {
            Method::Dense { .. } => (self.net.clone(), dense_plan),
            Method::EpitomeRatio { ratio, .. } => {
                let mut plan = dense_plan;
                for (l, layer) in self.net.layers.iter().enumerate() {
                    if layer_geometry(layer).is_ok() {
                        let layout = choose_epitome(layer, *ratio, bits, arch, slot)?;
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
                                measured_pruned_layer(layer, w, spec, arch, self.accounting)?,
                            )),
                            _ => LayerScheme::Pruned(*spec),
                        };
                    let candidate = LayerPlan {
                        scheme,
                        w_bits: Some(bits),
                        a_bits: None,
                    };
                    let a_pruned = slot.layer_area(l, layer, &candidate, bits, arch)?;
                    let a_dense = slot.layer_area(l, layer, &plan.layers[l], bits, arch)?;
                    if a_pruned < a_dense || !area_rule {
                        plan.layers[l] = candidate;
                    }
                }
                (self.net.clone(), plan)
            }
        })
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
