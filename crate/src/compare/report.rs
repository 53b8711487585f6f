//! The comparison's report: rows, ratios, component breakdowns, and the chart data
//! and picks derived from them (the page and `epim compare --svg` draw from these).

use serde::{Deserialize, Serialize};

use super::{paper, MethodResult};

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

/// One layer of a method's network: where its area, busy time and energy go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct RowLayer {
    /// Position in the method's network.
    pub index: usize,
    /// Layer name.
    pub name: String,
    /// `conv`, `fc`, `pool` or `add`.
    pub kind: String,
    /// Physical crossbars.
    pub crossbars: u64,
    /// Area, µm².
    pub area_um2: f64,
    /// Summed component busy time, ns (not the layer's share of the latency).
    pub busy_ns: f64,
    /// Time this layer adds after its first producer finishes, ns (MNSIM's
    /// "layer latency"): along a chain of layers these add up to the row's
    /// `latency_ns`; with branches (residual adds) they count overlapping
    /// spans more than once. Negative where the layer finishes before its
    /// producer (a pool that drops the producer's last row).
    pub latency_ns: f64,
    /// Energy of one image, pJ.
    pub energy_pj: f64,
    /// Component breakdowns.
    pub breakdown: RowBreakdown,
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
    /// Per layer of the method's network, in order (their energies and areas
    /// add up to the row's).
    #[serde(default)]
    pub layers: Vec<RowLayer>,
    /// Test accuracy in percent, when known (a trained model's recorded accuracy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_pct: Option<f64>,
    /// The compression-quality proxy (`compare::quality_proxy`; lower is better): how much
    /// the method squeezes the weights, a stand-in where no accuracy was measured.
    #[serde(default)]
    pub quality_proxy: f64,
}

/// The result of [`compare`](super::compare) (the `epim compare --json` object).
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

/// The report row of `method` (ratios against `base`, the baseline row if known).
pub(super) fn row(method: &str, r: &MethodResult, base: Option<&CompareRow>) -> CompareRow {
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
        breakdown: RowBreakdown::of(d),
        layers: r
            .report
            .layers
            .iter()
            .map(|l| RowLayer {
                index: l.index,
                name: l.name.clone(),
                kind: l.kind.clone(),
                crossbars: l.crossbars,
                area_um2: l.area_um2.value(),
                busy_ns: l.busy_ns.value(),
                latency_ns: l.latency_ns.value(),
                energy_pj: l.energy_pj.value(),
                breakdown: RowBreakdown::of(&l.detail),
            })
            .collect(),
        accuracy_pct: None,
    }
}

impl RowBreakdown {
    fn of(d: &crate::sim::Details) -> Self {
        RowBreakdown {
            area_um2: Components::from_parts(&d.area_um2.map(|v| v.value())),
            latency_ns: Components::from_parts(&d.latency_ns.map(|v| v.value())),
            energy_pj: Components::from_parts(&d.energy_pj.map(|v| v.value())),
        }
    }
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
            layers: Vec::new(),
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
