//! The other side of the ADC trade: what each ADC resolution costs in the
//! simulator ([`crate::compare`], physical accounting), and the chart of
//! accuracy against that cost (`epim pim-eval --sweep adc-bits=... --trade`,
//! the page's PIM accuracy section).
//!
//! The crossbar model takes any ADC resolution in `1..=16` bits; the simulator
//! only the converters of MNSIM's ADC table ([`crate::sim::tech::ADC_TABLE`]:
//! 1, 4, 6, 8 and 10 bits). Each resolution is costed with the simulator
//! preset's own ADC when it has that resolution, else the first row of the
//! table that has it; the DAC likewise. Resolutions without a converter have
//! no cost, and a chart leaves them out (and says which).

use serde::{Deserialize, Serialize};

use super::knobs::{adc_choices, dac_choices, PimKnobs};
use crate::compare::{compare_models, CompareRequest, ModelEntry};
use crate::error::{Error, Result};
use crate::plot::curve::{validate_curve, CurveData, CurvePoint, CurveSeries};
use crate::sim::{Accounting, Knobs};

/// One ADC resolution of one model in the simulator: the converter it was
/// costed with and the chip's totals (the per-image latency and energy).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct AdcCost {
    /// ADC resolution, bits.
    pub adc_bits: u32,
    /// The row of MNSIM's ADC table (1-based) it was costed with.
    pub adc_choice: u32,
    /// The row of MNSIM's DAC table (1-based) it was costed with.
    pub dac_choice: u32,
    /// `adc_choice` is the simulator preset's own ADC.
    pub own_adc: bool,
    /// `dac_choice` is the simulator preset's own DAC.
    pub own_dac: bool,
    /// Chip area, µm².
    pub area_um2: f64,
    /// Latency of one image, ns.
    pub latency_ns: f64,
    /// Energy of one image, pJ.
    pub energy_pj: f64,
}

/// One model's costs at every ADC resolution the simulator has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ModelAdcCosts {
    /// The model's label, as given.
    pub label: String,
    /// One entry per resolution, fewest bits first.
    pub costs: Vec<AdcCost>,
}

/// The ADC resolutions the simulator can cost (those of MNSIM's ADC table),
/// fewest bits first.
pub fn costed_adc_bits() -> Vec<u32> {
    let mut bits: Vec<u32> = crate::sim::tech::ADC_TABLE.iter().map(|r| r.0).collect();
    bits.sort_unstable();
    bits.dedup();
    bits
}

/// The simulator preset that costs the PIM preset `pim_preset`: `ideal` is
/// mnsim2's array with a wider ADC, so mnsim2; the others are their own.
pub fn sim_preset_of(pim_preset: &str) -> Result<&'static str> {
    match pim_preset {
        "mnsim2" | "ideal" => Ok("mnsim2"),
        "isaac" => Ok("isaac"),
        other => Err(Error::Unknown {
            kind: "PIM preset".into(),
            name: crate::limits::echo(other),
            known: super::PIM_PRESETS.join(", "),
        }),
    }
}

/// The converter of `bits` bits: the preset's own (`own`, a 1-based row of
/// `table`) when it has that resolution, else the first row that has it.
fn choice(own: u32, own_bits: u32, bits: u32, rows: Vec<u32>) -> Option<u32> {
    if own_bits == bits {
        Some(own)
    } else {
        rows.first().copied()
    }
}

/// The costs of `models` at every ADC resolution of [`costed_adc_bits`] on the
/// simulator preset `sim_preset` (physical accounting), with the knobs' cell
/// bits, crossbar rows and DAC resolution. Every model is costed on the chip
/// of the first model's network, as `epim compare --model` costs them.
/// Errors: a DAC resolution MNSIM's table does not have (names `dac_bits`),
/// knobs the simulator refuses, no models or more than `MAX_METHODS`.
pub fn adc_costs(
    sim_preset: &str,
    knobs: &PimKnobs,
    models: &[ModelEntry],
) -> Result<Vec<ModelAdcCosts>> {
    knobs.validate()?;
    let arch = crate::sim::preset(sim_preset)?;
    let own_adc = crate::sim::tech::adc(arch.interface.adc_choice)?.bits;
    let own_dac = crate::sim::tech::dac(arch.interface.dac_choice)?.bits;
    let dac_choice = choice(
        arch.interface.dac_choice,
        own_dac,
        knobs.dac_bits,
        dac_choices(knobs.dac_bits),
    )
    .ok_or_else(|| {
        Error::invalid(
            "dac_bits",
            format!(
                "MNSIM's DAC table has no {}-bit DAC, so the simulator cannot cost it",
                knobs.dac_bits
            ),
        )
    })?;
    let crossbar_size = u32::try_from(knobs.crossbar_rows)
        .map_err(|_| Error::invalid("crossbar_rows", "too large for the simulator"))?;
    let mut out: Vec<ModelAdcCosts> = models
        .iter()
        .map(|m| ModelAdcCosts {
            label: m.label.to_string(),
            costs: Vec::new(),
        })
        .collect();
    for bits in costed_adc_bits() {
        let Some(adc_choice) = choice(arch.interface.adc_choice, own_adc, bits, adc_choices(bits))
        else {
            continue;
        };
        let req = CompareRequest {
            network: None,
            baseline: "dense:bits=32".into(),
            methods: Vec::new(),
            designs: Default::default(),
            preset: Some(sim_preset.to_string()),
            accounting: Some(Accounting::Physical),
            config: None,
            knobs: Knobs {
                crossbar_size: Some(crossbar_size),
                cell_bits: Some(knobs.cell_bits),
                adc_choice: Some(adc_choice),
                dac_choice: Some(dac_choice),
                ..Knobs::default()
            },
        };
        let report = compare_models(&req, models)?;
        for (o, row) in out.iter_mut().zip(&report.rows) {
            o.costs.push(AdcCost {
                adc_bits: bits,
                adc_choice,
                dac_choice,
                own_adc: adc_choice == arch.interface.adc_choice,
                own_dac: dac_choice == arch.interface.dac_choice,
                area_um2: row.area_um2,
                latency_ns: row.latency_ns,
                energy_pj: row.energy_pj,
            });
        }
    }
    Ok(out)
}

/// A fraction `v` (an accuracy, `_0_to_1`) in percent; the error names `field`.
/// Shared by the trade chart and the page's curve (`pimCurve`).
pub fn percent(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(100.0 * v)
    } else {
        Err(Error::invalid(
            field,
            format!("must be a fraction in [0, 1], got {v}"),
        ))
    }
}

/// The cost a trade chart puts on its horizontal axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum TradeAxis {
    /// Energy of one image (µJ on the axis).
    Energy,
    /// Chip area (mm² on the axis).
    Area,
    /// Latency of one image (µs on the axis).
    Latency,
}

impl TradeAxis {
    /// Parses `energy`, `area` or `latency`; the error names `what`.
    pub fn parse(what: &str, text: &str) -> Result<Self> {
        match text {
            "energy" => Ok(TradeAxis::Energy),
            "area" => Ok(TradeAxis::Area),
            "latency" => Ok(TradeAxis::Latency),
            other => Err(Error::invalid(
                what,
                format!(
                    "must be energy, area or latency, got '{}'",
                    crate::limits::echo(other)
                ),
            )),
        }
    }

    /// The axis description, with its unit.
    pub fn desc(self) -> &'static str {
        match self {
            TradeAxis::Energy => "energy per image in the simulator (µJ)",
            TradeAxis::Area => "chip area in the simulator (mm²)",
            TradeAxis::Latency => "latency per image in the simulator (µs)",
        }
    }

    /// The cost's value in the axis's unit.
    pub fn value(self, c: &AdcCost) -> f64 {
        match self {
            TradeAxis::Energy => c.energy_pj / 1e6,
            TradeAxis::Area => c.area_um2 / 1e6,
            TradeAxis::Latency => c.latency_ns / 1e3,
        }
    }
}

/// One evaluated ADC resolution of one model: its accuracy (fractions, as
/// [`super::EvalResult`] has them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct TradePoint {
    /// ADC resolution, bits.
    pub adc_bits: u32,
    /// Mean accuracy over chips, 0..=1.
    pub mean_0_to_1: f64,
    /// Standard deviation over chips, 0..=1.
    #[serde(default)]
    pub std_0_to_1: f64,
}

/// One model of a trade chart: its costs ([`adc_costs`]) and its accuracies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct TradeSeries {
    /// Legend label.
    pub label: String,
    /// The simulator's cost per ADC resolution.
    pub costs: Vec<AdcCost>,
    /// Accuracy per ADC resolution (any order).
    pub points: Vec<TradePoint>,
}

/// A trade chart: its data and what it left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct TradeCurve {
    /// The chart data (for `drawCurve` or [`crate::plot::curve::render_curve_svg`]);
    /// one point per ADC resolution with both an accuracy and a cost, joined in
    /// order of bits, each labelled with its bits.
    pub curve: CurveData,
    /// Points over all series.
    pub point_count: usize,
    /// ADC resolutions with an accuracy but no cost (no such converter in
    /// MNSIM's table), fewest bits first.
    pub uncosted_adc_bits: Vec<u32>,
}

/// The chart of accuracy against the simulator's cost on `axis`, one line per
/// model through its ADC resolutions. Errors name the field
/// (`series[0].points[1].mean_0_to_1`): an accuracy that is not a fraction, a
/// resolution given twice, a cost that is not finite and non-negative, too
/// many series or points; and `series` when no resolution has both an
/// accuracy and a cost.
pub fn trade_curve(series: &[TradeSeries], axis: TradeAxis, title: &str) -> Result<TradeCurve> {
    use crate::plot::curve::{MAX_CURVE_POINTS, MAX_CURVE_SERIES};
    if series.len() > MAX_CURVE_SERIES {
        return Err(Error::invalid(
            "series",
            format!("at most {MAX_CURVE_SERIES} series, got {}", series.len()),
        ));
    }
    let max_bits = crate::limits::MAX_PIM_ADC_BITS;
    // Each resolution once per series: a seen-set indexed by bits (no pairwise search).
    let once = |seen: &mut [bool], at: String, bits: u32| -> Result<()> {
        if !(1..=max_bits).contains(&bits) {
            return Err(Error::invalid(
                at,
                format!("must be an integer in 1..={max_bits}, got {bits}"),
            ));
        }
        if std::mem::replace(&mut seen[bits as usize], true) {
            return Err(Error::invalid(at, format!("{bits} bits appear twice")));
        }
        Ok(())
    };
    let mut out = Vec::with_capacity(series.len());
    let mut uncosted = Vec::new();
    let mut point_count = 0;
    for (i, s) in series.iter().enumerate() {
        for (what, len) in [("costs", s.costs.len()), ("points", s.points.len())] {
            if len > MAX_CURVE_POINTS {
                return Err(Error::invalid(
                    format!("series[{i}].{what}"),
                    format!("at most {MAX_CURVE_POINTS}, got {len}"),
                ));
            }
        }
        let mut by_bits: Vec<Option<&AdcCost>> = vec![None; max_bits as usize + 1];
        let mut seen = vec![false; max_bits as usize + 1];
        for (j, c) in s.costs.iter().enumerate() {
            let ok = |v: f64| v.is_finite() && v >= 0.0;
            if !(ok(c.area_um2) && ok(c.latency_ns) && ok(c.energy_pj)) {
                return Err(Error::invalid(
                    format!("series[{i}].costs[{j}]"),
                    "area_um2, latency_ns and energy_pj must be finite and >= 0",
                ));
            }
            once(
                &mut seen,
                format!("series[{i}].costs[{j}].adc_bits"),
                c.adc_bits,
            )?;
            by_bits[c.adc_bits as usize] = Some(c);
        }
        let mut seen = vec![false; max_bits as usize + 1];
        let mut points: Vec<(u32, CurvePoint)> = Vec::with_capacity(s.points.len());
        for (j, p) in s.points.iter().enumerate() {
            let at = format!("series[{i}].points[{j}]");
            let frac = |name: &str, v: f64| percent(&format!("{at}.{name}"), v);
            let (y, spread) = (
                frac("mean_0_to_1", p.mean_0_to_1)?,
                frac("std_0_to_1", p.std_0_to_1)?,
            );
            once(&mut seen, format!("{at}.adc_bits"), p.adc_bits)?;
            match by_bits[p.adc_bits as usize] {
                Some(c) => points.push((
                    p.adc_bits,
                    CurvePoint {
                        x: axis.value(c),
                        y,
                        spread,
                        label: format!("{} b", p.adc_bits),
                    },
                )),
                None => uncosted.push(p.adc_bits),
            }
        }
        if points.is_empty() {
            continue;
        }
        points.sort_by_key(|(b, _)| *b);
        point_count += points.len();
        out.push(CurveSeries {
            label: s.label.clone(),
            points: points.into_iter().map(|(_, p)| p).collect(),
        });
    }
    uncosted.sort_unstable();
    uncosted.dedup();
    if out.is_empty() {
        return Err(Error::invalid(
            "series",
            "no ADC resolution has both an accuracy and a cost in the simulator",
        ));
    }
    let curve = CurveData {
        title: title.to_string(),
        x_desc: axis.desc().into(),
        y_desc: "accuracy (%), mean ± sd over chips".into(),
        series: out,
    };
    validate_curve(&curve)?;
    Ok(TradeCurve {
        curve,
        point_count,
        uncosted_adc_bits: uncosted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(bits: u32, energy_pj: f64) -> AdcCost {
        AdcCost {
            adc_bits: bits,
            adc_choice: 1,
            dac_choice: 1,
            own_adc: false,
            own_dac: true,
            area_um2: 1e6 * f64::from(bits),
            latency_ns: 1e3,
            energy_pj,
        }
    }

    fn point(bits: u32, mean: f64) -> TradePoint {
        TradePoint {
            adc_bits: bits,
            mean_0_to_1: mean,
            std_0_to_1: 0.0,
        }
    }

    #[test]
    fn the_table_resolutions_are_the_costed_ones() {
        assert_eq!(costed_adc_bits(), vec![1, 4, 6, 8, 10]);
    }

    #[test]
    fn a_trade_joins_accuracy_and_cost_by_bits_and_names_what_it_left_out() {
        let s = TradeSeries {
            label: "m".into(),
            costs: vec![cost(8, 3e6), cost(4, 1e6), cost(6, 2e6)],
            points: vec![point(6, 0.9), point(5, 0.7), point(4, 0.5), point(8, 0.95)],
        };
        let t = trade_curve(std::slice::from_ref(&s), TradeAxis::Energy, "t").unwrap();
        let p = &t.curve.series[0].points;
        assert_eq!(
            p.iter().map(|p| (p.x, p.y)).collect::<Vec<_>>(),
            vec![(1.0, 50.0), (2.0, 90.0), (3.0, 95.0)]
        );
        assert_eq!(p[1].label, "6 b");
        assert_eq!(t.uncosted_adc_bits, vec![5]);
        assert_eq!(t.point_count, 3);
        let a = trade_curve(&[s], TradeAxis::Area, "").unwrap();
        assert_eq!(a.curve.series[0].points[2].x, 8.0);
    }

    #[test]
    fn bad_trade_inputs_name_the_field() {
        let mut s = TradeSeries {
            label: "m".into(),
            costs: vec![cost(4, 1e6)],
            points: vec![point(4, 1.5)],
        };
        let e = trade_curve(&[s.clone()], TradeAxis::Energy, "").unwrap_err();
        assert!(
            e.to_string().contains("series[0].points[0].mean_0_to_1"),
            "{e}"
        );
        s.points = vec![point(4, 0.5), point(4, 0.6)];
        let e = trade_curve(&[s.clone()], TradeAxis::Energy, "").unwrap_err();
        assert!(
            e.to_string().contains("series[0].points[1].adc_bits"),
            "{e}"
        );
        s.points = vec![point(4, 0.5)];
        s.costs[0].energy_pj = f64::NAN;
        let e = trade_curve(&[s.clone()], TradeAxis::Energy, "").unwrap_err();
        assert!(e.to_string().contains("series[0].costs[0]"), "{e}");
        s.costs[0].energy_pj = 1.0;
        s.points = vec![point(5, 0.5)];
        let e = trade_curve(&[s], TradeAxis::Energy, "").unwrap_err();
        assert!(e.to_string().contains("series"), "{e}");
        assert!(TradeAxis::parse("--trade", "power").is_err());
    }
}
