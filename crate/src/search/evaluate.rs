//! The real evaluator: genome -> per-layer plan -> simulator costs -> objectives or
//! an infeasible outcome (docs/search.md).
//!
//! **Objectives** (all minimised, [`OBJECTIVES`]): `area_um2`, `latency_ns`,
//! `energy_pj` and `quality_proxy`, the mean over searched layers of
//! `max(0, ln((P_dense * 8) / (P_stored * w_bits)))` (the log storage compression of
//! the layer against an 8-bit dense layer; 0 for a dense layer at >= 8 bits). It
//! stands in for accuracy, which needs training: the more a layer's weights are
//! squeezed (fewer epitome parameters, fewer bits), the larger it is.
//!
//! **Speed: per-layer costs are cached.** Evaluating a genome is a sum over its
//! layers of costs cached by (layer, gene), so it is not a re-simulation:
//!
//! - crossbars, PEs: exact ([`map_planned`] counts, additive);
//! - area: the layer's PE slots x (tile area / PEs per tile) + its table SRAMs (as
//!   the comparison's area rule counts it; the totals differ only by the rounding
//!   of the last tile and the global accumulator, constant across designs);
//! - energy: the layer's energy when the layer is simulated alone on the same chip
//!   (pinned buffers), summed;
//! - latency: the sum of the layers' stand-alone latencies, i.e. the latency of
//!   the network run layer after layer without pipelining. It is an upper bound on
//!   the pipelined latency the full simulator reports, so a design under the
//!   latency cap here is under it in the simulator too.
//!
//! [`Evaluator::exact`] runs the full simulator on a genome's plan; the CLI and the
//! docs report the front with those exact numbers.
//!
//! **Buffers.** As in [`crate::compare`], the chip is the dense network's at the
//! method bits (`bits`): automatic PE input and tile output buffer sizes are pinned
//! to the dense `bits`-bit network's, so a design's exact numbers equal what
//! `epim compare --method epitome:bits=B,design=FILE.json` reports for it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::genome::{decode_gene, idx, Gene, Genome, LayerChoice, SearchSpace, SpaceConfig};
use super::{InfeasibleClass, Outcome, SearchConfig};
use crate::compare::{DesignLayer, EpitomeDesign, Knobs, LayerRef};
use crate::epitome::EpitomeShape;
use crate::nets::{Layer, Network};
use crate::rng::Rng;
use crate::sim::plan::{map_planned, table_area_um2};
use crate::sim::{
    simulate_plan, Accounting, Arch, BufSize, EpitomeLayout, LayerPlan, LayerScheme, NetworkPlan,
    NetworkRef, SimReport,
};
use crate::{Error, Result};

/// Names of the objectives, in order.
pub const OBJECTIVES: [&str; 4] = ["area_um2", "latency_ns", "energy_pj", "quality_proxy"];

/// How objectives are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Fidelity {
    /// Sums of cached per-layer costs (fast: the browser's default).
    #[default]
    Cached,
    /// The full simulator for every candidate that passes the crossbar and chip
    /// checks (about 1 ms per resnet50-imagenet design natively).
    Exact,
}

crate::sim::hardware_request! {
    /// Everything a search on the simulator needs (JSON / JS; unknown keys are errors).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
    #[serde(deny_unknown_fields)]
    pub struct SearchRequest {
        /// A zoo name or a network spec.
        pub network: NetworkRef,
        /// The method bits B: the chip is the dense B-bit network's, and the design is
        /// compared as `epitome:bits=B,design=...` (default: the network's weight bits).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub bits: Option<u32>,
        /// Crossbar budget: designs needing more are infeasible.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub budget_crossbars: Option<u64>,
        /// Crossbar budget as a fraction of the dense 32-bit network's crossbars (used
        /// when `budget_crossbars` is absent; e.g. 1/30).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub budget_fraction_of_dense32: Option<f64>,
        /// Latency cap, ns (on the sequential latency, see the module docs).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub latency_cap_ns: Option<f64>,
        /// Cached (default) or exact objectives.
        #[serde(default)]
        pub fidelity: Fidelity,
        /// The menus.
        #[serde(default)]
        pub space: SpaceConfig,
        /// The search parameters.
        #[serde(default)]
        pub search: SearchConfig,
    }
}

impl SearchRequest {
    /// A request for a zoo network with every other field at its default.
    pub fn for_network(name: &str) -> Self {
        SearchRequest {
            network: NetworkRef::Name(name.to_string()),
            preset: None,
            accounting: None,
            config: None,
            knobs: Knobs::default(),
            bits: None,
            budget_crossbars: None,
            budget_fraction_of_dense32: None,
            latency_cap_ns: None,
            fidelity: Fidelity::Cached,
            space: SpaceConfig::default(),
            search: SearchConfig::default(),
        }
    }
}

/// Cached costs of one (layer, gene).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LayerCost {
    /// Physical crossbars.
    pub crossbars: u64,
    /// PEs.
    pub pes: u64,
    /// PE-slot area plus table SRAMs, µm².
    pub area_um2: f64,
    /// Stand-alone latency, ns.
    pub latency_ns: f64,
    /// Stand-alone energy, pJ.
    pub energy_pj: f64,
    /// This layer's term of the quality proxy.
    pub quality: f64,
}

/// The simulation-free part of a [`LayerCost`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Counts {
    crossbars: u64,
    pes: u64,
    area_um2: f64,
    quality: f64,
}

impl Counts {
    /// The full cost, given the simulated `(latency_ns, energy_pj)` of the layer.
    fn with_timing(self, (latency_ns, energy_pj): (f64, f64)) -> LayerCost {
        LayerCost {
            crossbars: self.crossbars,
            pes: self.pes,
            area_um2: self.area_um2,
            latency_ns,
            energy_pj,
            quality: self.quality,
        }
    }
}

/// Exact totals of a design (full simulator).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct ExactCosts {
    /// Physical crossbars.
    pub crossbars: u64,
    /// Tiles.
    pub tiles: u64,
    /// Chip area, µm².
    pub area_um2: f64,
    /// Pipelined latency of one image, ns.
    pub latency_ns: f64,
    /// Energy of one image, pJ.
    pub energy_pj: f64,
}

impl ExactCosts {
    fn of(r: &SimReport) -> Self {
        ExactCosts {
            crossbars: r.totals.crossbars,
            tiles: r.totals.tiles,
            area_um2: r.totals.area_um2.value(),
            latency_ns: r.totals.latency_ns.value(),
            energy_pj: r.totals.energy_pj.value(),
        }
    }
}

/// The simulator-backed evaluator with its per-layer cache.
#[derive(Debug, Clone)]
pub struct Evaluator {
    net: Network,
    arch: Arch,
    accounting: Accounting,
    bits: u32,
    space: SearchSpace,
    /// Counts per (layer, gene): crossbars, PEs, area, quality (no simulation).
    counts: Vec<HashMap<Gene, Counts>>,
    /// Stand-alone (latency, energy) per (layer, gene): one small simulation each,
    /// only for genes of candidates that pass the crossbar and chip checks.
    timing: Vec<HashMap<Gene, (f64, f64)>>,
    budget_crossbars: Option<u64>,
    latency_cap_ns: Option<f64>,
    fidelity: Fidelity,
    slot_area_um2: f64,
    npe: u64,
    max_tiles: u64,
    dense: ExactCosts,
    dense32_crossbars: u64,
    hits: u64,
    misses: u64,
}

fn solo(net: &Network, l: usize) -> Network {
    let layer = &net.layers[l];
    Network {
        name: format!("{}/{}", net.name, layer.name),
        input: layer.in_shape,
        w_bits: net.w_bits,
        a_bits: net.a_bits,
        layers: vec![Layer {
            inputs: vec![-1],
            outputs: vec![],
            ..layer.clone()
        }],
    }
}

impl Evaluator {
    /// Builds the network, the chip (buffers pinned to the dense `bits`-bit
    /// network's), the search space and the baselines.
    pub fn new(req: &SearchRequest) -> Result<Self> {
        let options = req.sim_options();
        let net = options.network(&req.network.spec()?)?;
        let mut arch = req.arch()?;
        let accounting = options.accounting();
        let bits = req.bits.unwrap_or(net.w_bits);
        if !(2..=32).contains(&bits) {
            return Err(Error::invalid(
                "bits",
                format!("must be in 2..=32, got {bits}"),
            ));
        }
        let dense_report = simulate_plan(
            &net,
            &arch,
            accounting,
            &NetworkPlan::uniform(&net, Some(bits), None),
        )?;
        if arch.pe.inbuf_kb == BufSize::Auto {
            arch.pe.inbuf_kb = BufSize::Kb(dense_report.totals.pe_inbuf_kb);
        }
        if arch.tile.outbuf_kb == BufSize::Auto {
            arch.tile.outbuf_kb = BufSize::Kb(dense_report.totals.tile_outbuf_kb);
        }
        let mut space = SearchSpace::from_network(&net, &req.space)?;
        // Grouped layers cannot be listed in a design file, so they stay at B bits.
        for m in space.layers.iter_mut().filter(|m| !m.epitome_allowed) {
            m.bits = vec![bits];
        }
        let npe = u64::from(arch.tile.pes_x) * u64::from(arch.tile.pes_y);
        let per_layer_xbars = |w_bits: u32| -> Result<u64> {
            let mut xb = 0u64;
            for (l, layer) in net.layers.iter().enumerate() {
                let p = LayerPlan {
                    scheme: LayerScheme::Dense,
                    w_bits: Some(w_bits),
                    a_bits: None,
                };
                let m = map_planned(l, layer, &p, w_bits, &arch, accounting)?;
                xb += m.pes * u64::from(arch.pe.groups) * u64::from(arch.pe.polarity);
            }
            Ok(xb)
        };
        let dense32_crossbars = per_layer_xbars(32)?;
        let budget_crossbars = match (req.budget_crossbars, req.budget_fraction_of_dense32) {
            (Some(b), _) => Some(b),
            (None, Some(f)) => {
                if !(f.is_finite() && f > 0.0) {
                    return Err(Error::invalid(
                        "budget_fraction_of_dense32",
                        format!("must be finite and > 0, got {f}"),
                    ));
                }
                Some((dense32_crossbars as f64 * f).floor() as u64)
            }
            (None, None) => None,
        };
        if let Some(c) = req.latency_cap_ns {
            if !(c.is_finite() && c > 0.0) {
                return Err(Error::invalid(
                    "latency_cap_ns",
                    format!("must be finite and > 0, got {c}"),
                ));
            }
        }
        // The pinned sizes are the automatic ones, so the tile is the dense report's.
        let tile_area = dense_report.totals.tile_area_um2.value();
        let max_tiles = u64::from(arch.chip.tiles_x) * u64::from(arch.chip.tiles_y);
        let n = space.layers.len();
        Ok(Evaluator {
            dense: ExactCosts::of(&dense_report),
            net,
            arch,
            accounting,
            bits,
            space,
            counts: vec![HashMap::new(); n],
            timing: vec![HashMap::new(); n],
            budget_crossbars,
            latency_cap_ns: req.latency_cap_ns,
            fidelity: req.fidelity,
            slot_area_um2: tile_area / npe as f64,
            npe,
            max_tiles,
            dense32_crossbars,
            hits: 0,
            misses: 0,
        })
    }

    /// The search space (grouped layers fixed at the method bits).
    pub fn space(&self) -> &SearchSpace {
        &self.space
    }

    /// The built network.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The method bits B.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The crossbar budget in force.
    pub fn budget_crossbars(&self) -> Option<u64> {
        self.budget_crossbars
    }

    /// Crossbars of the dense network at 32 bits.
    pub fn dense32_crossbars(&self) -> u64 {
        self.dense32_crossbars
    }

    /// Exact costs of the dense network at the method bits.
    pub fn dense(&self) -> ExactCosts {
        self.dense
    }

    /// Objective scales for the score: the dense network's area, latency and
    /// energy at the method bits, computed at the search's fidelity (so cached
    /// objectives are divided by cached dense costs), and 1 for the quality proxy.
    pub fn scales(&self) -> Result<Vec<f64>> {
        let (area, lat, en) = match self.fidelity {
            Fidelity::Exact => (
                self.dense.area_um2,
                self.dense.latency_ns,
                self.dense.energy_pj,
            ),
            Fidelity::Cached => {
                let (mut a, mut l, mut e) = (0.0, 0.0, 0.0);
                for i in 0..self.space.layers.len() {
                    let c = self.choice_cost(i, LayerChoice::Dense { w_bits: self.bits })?;
                    a += c.area_um2;
                    l += c.latency_ns;
                    e += c.energy_pj;
                }
                (a, l, e)
            }
        };
        Ok(vec![area.max(1e-9), lat.max(1e-9), en.max(1e-9), 1.0])
    }

    /// The fidelity in force.
    pub fn fidelity(&self) -> Fidelity {
        self.fidelity
    }

    /// (hits, misses) of the timing cache so far (a miss is one stand-alone layer
    /// simulation).
    pub fn cache_stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    fn layer_plan(&self, choice: &LayerChoice) -> LayerPlan {
        match *choice {
            LayerChoice::Dense { w_bits } => LayerPlan {
                scheme: LayerScheme::Dense,
                w_bits: Some(w_bits),
                a_bits: None,
            },
            LayerChoice::Epitome { shape, rep, w_bits } => LayerPlan {
                scheme: LayerScheme::Epitome(EpitomeLayout {
                    shape,
                    offsets: None,
                    rep,
                }),
                w_bits: Some(w_bits),
                a_bits: None,
            },
        }
    }

    /// The per-layer plan of a genome (unsearched layers dense at B bits).
    pub fn plan(&self, genome: &Genome) -> Result<NetworkPlan> {
        self.space.check(genome)?;
        let mut plan = NetworkPlan::uniform(&self.net, Some(self.bits), None);
        for (choice, m) in self.space.decode(genome).iter().zip(&self.space.layers) {
            plan.layers[m.layer] = self.layer_plan(choice);
        }
        Ok(plan)
    }

    /// The design file of a genome, in the comparison's format
    /// ([`EpitomeDesign`], `epim compare --method epitome:bits=B,design=FILE.json`):
    /// every epitome layer, and every dense layer whose bits differ from B (as the
    /// epitome equal to its weight shape, which is mapped as the dense layer).
    pub fn design(&self, genome: &Genome) -> Result<EpitomeDesign> {
        self.space.check(genome)?;
        let mut layers = Vec::new();
        for (choice, m) in self.space.decode(genome).iter().zip(&self.space.layers) {
            let g = m.geometry;
            match *choice {
                LayerChoice::Dense { w_bits } if w_bits == self.bits => {}
                LayerChoice::Dense { w_bits } => layers.push(DesignLayer {
                    layer: LayerRef::Index(m.layer),
                    epitome: [g.c_out, g.c_in, g.k_h, g.k_w],
                    offsets: None,
                    rep: None,
                    w_bits: Some(w_bits),
                    a_bits: None,
                }),
                LayerChoice::Epitome { shape, rep, w_bits } => layers.push(DesignLayer {
                    layer: LayerRef::Index(m.layer),
                    epitome: [shape.e_out, shape.e_in, shape.e_h, shape.e_w],
                    offsets: None,
                    rep: (rep != 1).then_some(rep),
                    w_bits: Some(w_bits),
                    a_bits: None,
                }),
            }
        }
        Ok(EpitomeDesign {
            network: Some(self.net.name.clone()),
            layers,
        })
    }

    /// Runs the full simulator on a genome's plan.
    pub fn exact(&self, genome: &Genome) -> Result<(ExactCosts, SimReport)> {
        let plan = self.plan(genome)?;
        let r = simulate_plan(&self.net, &self.arch, self.accounting, &plan)?;
        Ok((ExactCosts::of(&r), r))
    }

    fn counts_of(&self, i: usize, choice: &LayerChoice) -> Result<Counts> {
        let m = &self.space.layers[i];
        let plan = self.layer_plan(choice);
        let layer = &self.net.layers[m.layer];
        let w_bits = choice.w_bits();
        let map = map_planned(m.layer, layer, &plan, w_bits, &self.arch, self.accounting)?;
        let crossbars = map.pes * u64::from(self.arch.pe.groups) * u64::from(self.arch.pe.polarity);
        let area_um2 = map.pes as f64 * self.slot_area_um2 + table_area_um2(&map, &self.arch)?;
        let g = m.geometry;
        let dense_params = (g.c_out * g.c_in * g.k_h * g.k_w) as f64;
        let stored = match choice {
            LayerChoice::Dense { .. } => dense_params,
            LayerChoice::Epitome { shape, .. } => shape.len() as f64,
        };
        let quality = crate::compare::quality_term(dense_params, stored, w_bits);
        Ok(Counts {
            crossbars,
            pes: map.pes,
            area_um2,
            quality,
        })
    }

    fn timing_of(&self, i: usize, choice: &LayerChoice) -> Result<(f64, f64)> {
        let m = &self.space.layers[i];
        let one = solo(&self.net, m.layer);
        let r = simulate_plan(
            &one,
            &self.arch,
            self.accounting,
            &NetworkPlan {
                layers: vec![self.layer_plan(choice)],
            },
        )?;
        Ok((
            r.totals.latency_ns.value(),
            r.layers.first().map_or(0.0, |l| l.energy_pj.value()),
        ))
    }

    fn choice_cost(&self, i: usize, choice: LayerChoice) -> Result<LayerCost> {
        Ok(self
            .counts_of(i, &choice)?
            .with_timing(self.timing_of(i, &choice)?))
    }

    fn cached_counts(&mut self, i: usize, gene: &Gene) -> Result<Counts> {
        if let Some(c) = self.counts[i].get(gene) {
            return Ok(*c);
        }
        let c = self.counts_of(i, &decode_gene(&self.space.layers[i], gene))?;
        self.counts[i].insert(*gene, c);
        Ok(c)
    }

    fn cached_timing(&mut self, i: usize, gene: &Gene) -> Result<(f64, f64)> {
        if let Some(t) = self.timing[i].get(gene) {
            self.hits += 1;
            return Ok(*t);
        }
        self.misses += 1;
        let t = self.timing_of(i, &decode_gene(&self.space.layers[i], gene))?;
        self.timing[i].insert(*gene, t);
        Ok(t)
    }

    /// The cached per-layer costs of a genome, in space order.
    pub fn layer_costs(&mut self, genome: &Genome) -> Result<Vec<LayerCost>> {
        self.space.check(genome)?;
        let mut v = Vec::with_capacity(genome.0.len());
        for (i, gene) in genome.0.iter().enumerate() {
            let c = self.cached_counts(i, gene)?;
            v.push(c.with_timing(self.cached_timing(i, gene)?));
        }
        Ok(v)
    }

    /// (area, mean quality, crossbars, tiles) from the counts cache.
    fn counts_sum(&mut self, genome: &Genome) -> Result<(f64, f64, u64, u64)> {
        self.space.check(genome)?;
        let (mut area, mut q) = (0.0, 0.0);
        let (mut xb, mut pes, mut tiles) = (0u64, 0u64, 0u64);
        for (i, gene) in genome.0.iter().enumerate() {
            let c = self.cached_counts(i, gene)?;
            area += c.area_um2;
            q += c.quality;
            xb += c.crossbars;
            pes += c.pes;
            if self.accounting == Accounting::Mnsim {
                tiles += c.pes.div_ceil(self.npe);
            }
        }
        if self.accounting == Accounting::Physical {
            tiles = pes.div_ceil(self.npe);
        }
        Ok((area, q / genome.0.len().max(1) as f64, xb, tiles))
    }

    /// (sequential latency, energy) from the timing cache.
    fn timing_sum(&mut self, genome: &Genome) -> Result<(f64, f64)> {
        let (mut lat, mut en) = (0.0, 0.0);
        for (i, gene) in genome.0.iter().enumerate() {
            let (l, e) = self.cached_timing(i, gene)?;
            lat += l;
            en += e;
        }
        Ok((lat, en))
    }

    /// Cached objectives ([`OBJECTIVES`]), crossbars and tiles of a genome.
    pub fn costs(&mut self, genome: &Genome) -> Result<(Vec<f64>, u64, u64)> {
        let (area, q, xb, tiles) = self.counts_sum(genome)?;
        let (lat, en) = self.timing_sum(genome)?;
        Ok((vec![area, lat, en, q], xb, tiles))
    }

    /// Evaluates a genome: objectives, or infeasible with the first violated
    /// constraint (chip capacity, crossbar budget, latency cap; a design the
    /// simulator cannot map is `mapping`).
    pub fn evaluate(&mut self, genome: &Genome) -> Outcome {
        let mapping = |e: Error| Outcome::Infeasible {
            class: InfeasibleClass::Mapping,
            reason: e.to_string(),
            excess: 0.0,
        };
        let (area, q, xb, tiles) = match self.counts_sum(genome) {
            Ok(v) => v,
            Err(e) => return mapping(e),
        };
        if tiles > self.max_tiles {
            return Outcome::Infeasible {
                class: InfeasibleClass::ChipCapacity,
                reason: format!("needs {tiles} tiles, the chip has {}", self.max_tiles),
                excess: tiles as f64 / self.max_tiles as f64 - 1.0,
            };
        }
        if let Some(b) = self.budget_crossbars {
            if xb > b {
                return Outcome::Infeasible {
                    class: InfeasibleClass::CrossbarBudget,
                    reason: format!("needs {xb} crossbars, the budget is {b}"),
                    excess: xb as f64 / b.max(1) as f64 - 1.0,
                };
            }
        }
        let mut obj = vec![area, 0.0, 0.0, q];
        if self.fidelity == Fidelity::Cached {
            match self.timing_sum(genome) {
                Ok((lat, en)) => {
                    obj[1] = lat;
                    obj[2] = en;
                }
                Err(e) => return mapping(e),
            }
        }
        if self.fidelity == Fidelity::Exact {
            match self.exact(genome) {
                Ok((e, _)) => {
                    obj[0] = e.area_um2;
                    obj[1] = e.latency_ns;
                    obj[2] = e.energy_pj;
                }
                Err(e) => return mapping(e),
            }
        }
        if let Some(cap) = self.latency_cap_ns {
            if obj[1] > cap {
                let what = match self.fidelity {
                    Fidelity::Cached => "sequential latency",
                    Fidelity::Exact => "latency",
                };
                return Outcome::Infeasible {
                    class: InfeasibleClass::LatencyCap,
                    reason: format!("{what} {:.0} ns > cap {cap} ns", obj[1]),
                    excess: obj[1] / cap - 1.0,
                };
            }
        }
        Outcome::Evaluated { objectives: obj }
    }

    /// Crossbars of a genome (from the cache).
    pub fn crossbars(&mut self, genome: &Genome) -> Result<u64> {
        Ok(self.counts_sum(genome)?.2)
    }

    /// The gene of layer `i` that needs the fewest crossbars (ties: the lower quality
    /// proxy, then the smaller area, then the first in menu order), and its counts.
    ///
    /// Fast: the mapping's crossbar count grows with every epitome axis and with the
    /// weight bits (docs/epitome.md, crossbar mapping), so only the smallest shape
    /// (index 0 of every ascending axis) is tried, at every replication and every bit
    /// width, next to the dense layer at every bit width. The oracle,
    /// [`Evaluator::smallest_gene_exhaustive`], tries the whole menu.
    pub fn smallest_gene(&mut self, i: usize) -> Result<(Gene, u64)> {
        let (g, c) = self.smallest_counts(i)?;
        Ok((g, c.crossbars))
    }

    fn smallest_counts(&mut self, i: usize) -> Result<(Gene, Counts)> {
        let m = self.layer_menu(i)?;
        let mut genes: Vec<Gene> = (0..m.bits.len()).map(|b| Gene::dense(idx(b))).collect();
        if m.epitome_allowed {
            for b in 0..m.bits.len() {
                for r in 0..m.rep.len() {
                    genes.push(Gene {
                        epitome: true,
                        e_out: 0,
                        e_in: 0,
                        e_h: 0,
                        e_w: 0,
                        rep: idx(r),
                        bits: idx(b),
                    });
                }
            }
        }
        self.smallest_of(i, genes)
    }

    /// The slow oracle of the smallest gene: every gene of layer `i`'s menu, with the
    /// same order of preference as the fast path.
    pub fn smallest_gene_exhaustive(&mut self, i: usize) -> Result<(Gene, u64)> {
        let m = self.layer_menu(i)?;
        let mut genes: Vec<Gene> = (0..m.bits.len()).map(|b| Gene::dense(idx(b))).collect();
        if m.epitome_allowed {
            for b in 0..m.bits.len() {
                for r in 0..m.rep.len() {
                    for o in 0..m.e_out.len() {
                        for n in 0..m.e_in.len() {
                            for h in 0..m.e_h.len() {
                                for w in 0..m.e_w.len() {
                                    genes.push(Gene {
                                        epitome: true,
                                        e_out: idx(o),
                                        e_in: idx(n),
                                        e_h: idx(h),
                                        e_w: idx(w),
                                        rep: idx(r),
                                        bits: idx(b),
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        let (g, c) = self.smallest_of(i, genes)?;
        Ok((g, c.crossbars))
    }

    fn layer_menu(&self, i: usize) -> Result<&super::genome::LayerMenu> {
        self.space.layers.get(i).ok_or_else(|| {
            Error::invalid(
                "layer",
                format!(
                    "index {i} is out of range: the space has {} layers",
                    self.space.layers.len()
                ),
            )
        })
    }

    fn smallest_of(&mut self, i: usize, genes: Vec<Gene>) -> Result<(Gene, Counts)> {
        let mut best: Option<(Gene, Counts)> = None;
        let mut last_err = None;
        for g in genes {
            // A gene the simulator cannot map (e.g. a spatial size larger than the
            // crossbar in mnsim accounting) is skipped, as the search would skip it.
            let c = match self.cached_counts(i, &g) {
                Ok(c) => c,
                Err(e) => {
                    last_err = Some(e);
                    continue;
                }
            };
            let better = best.as_ref().is_none_or(|(_, b)| {
                c.crossbars
                    .cmp(&b.crossbars)
                    .then(c.quality.total_cmp(&b.quality))
                    .then(c.area_um2.total_cmp(&b.area_um2))
                    .is_lt()
            });
            if better {
                best = Some((g, c));
            }
        }
        match (best, last_err) {
            (Some(b), _) => Ok(b),
            (None, Some(e)) => Err(e),
            (None, None) => Err(Error::invalid(
                format!("space.layers[{i}]"),
                "has an empty menu",
            )),
        }
    }

    /// The design with the fewest crossbars the space holds (every layer at its
    /// [smallest gene](Self::smallest_gene)) and that count: no design of this
    /// search needs fewer crossbars (the counts are additive over layers).
    pub fn smallest(&mut self) -> Result<(Genome, u64)> {
        let mut genes = Vec::with_capacity(self.space.layers.len());
        let mut xb = 0u64;
        for i in 0..self.space.layers.len() {
            let (g, c) = self.smallest_gene(i)?;
            genes.push(g);
            xb = xb.saturating_add(c);
        }
        Ok((Genome(genes), xb))
    }

    /// Repairs `genome` toward the crossbar budget: layers, in an order drawn from
    /// `rng`, are replaced by their smallest gene until the design fits (or every layer
    /// is at its smallest). A design that already fits, or a search without a budget,
    /// is left as it is. The result meets the budget whenever any design does.
    pub fn repair(&mut self, genome: &mut Genome, rng: &mut Rng) -> Result<()> {
        let Some(budget) = self.budget_crossbars else {
            return Ok(());
        };
        let mut xb = self.crossbars(genome)?;
        let mut order: Vec<usize> = (0..genome.0.len()).collect();
        for k in (1..order.len()).rev() {
            order.swap(k, rng.below(k + 1));
        }
        for i in order {
            if xb <= budget {
                break;
            }
            let (small, c) = self.smallest_gene(i)?;
            let old = self.cached_counts(i, &genome.0[i])?;
            genome.0[i] = small;
            xb = xb.saturating_sub(old.crossbars).saturating_add(c);
        }
        Ok(())
    }

    /// The first generation of a search under a crossbar budget: the smallest design,
    /// then `n - 1` random designs, each repaired toward the budget
    /// ([`Evaluator::repair`]), all drawn from `rng`. Without a budget, no seeds (the
    /// search starts from random designs).
    pub fn seeds(&mut self, n: usize, rng: &mut Rng) -> Result<Vec<Genome>> {
        if self.budget_crossbars.is_none() || n == 0 {
            return Ok(Vec::new());
        }
        let mut seeds = vec![self.smallest()?.0];
        for _ in 1..n {
            let mut g = self.space.random_genome(rng);
            self.repair(&mut g, rng)?;
            seeds.push(g);
        }
        Ok(seeds)
    }
}

/// The epitome shape of a decoded choice, if any.
pub fn epitome_shape(c: &LayerChoice) -> Option<EpitomeShape> {
    match c {
        LayerChoice::Epitome { shape, .. } => Some(*shape),
        LayerChoice::Dense { .. } => None,
    }
}
