//! A functional model of the epitome datapath that walks the tables.
//!
//! For every input image, pattern and output pixel:
//!
//! 1. **IFAT + IFRT (digital input stage).** Each word line is driven with the
//!    sum of the activation codes its IFAT entry lists (out-of-map reads are
//!    0); word lines in IFRT get several codes summed, so the drive value has
//!    up to `ceil(log2 fan_in)` extra bits.
//! 2. **Crossbars.** Word lines are packed by whole epitome channels,
//!    `floor(rows / (e_h*e_w))` channels per crossbar; columns are cut into
//!    chunks of `cols`. Each weight code is stored in two polarities
//!    (positive and negative crossbars) as `slices = ceil((bits-1)/cell_bits)`
//!    cells of `cell_bits` bits. Inputs are fed bit-serially, `dac_bits` per
//!    cycle. Every (crossbar, slice, polarity, cycle) read gives one integer
//!    column sum per column, converted by the ADC: a sum above
//!    `2^adc_bits - 1` clips to it (and is counted).
//! 3. **Shift-add.** ADC outputs are shifted by `cycle*dac_bits +
//!    slice*cell_bits`, signed by polarity and added into an `i128` partial sum
//!    per column, across crossbars.
//! 4. **OFAT.** Column `r`'s sum times `s_w[r] * s_a`, plus `bias[o]`, is
//!    written to every output channel the OFAT lists.
//!
//! With a lossless ADC ([`CrossbarConfig::lossless_adc_bits`]) the result is
//! the reference convolution of the dequantized weights and activations.

use serde::{Deserialize, Serialize};

use crate::epitome::materialize::check_len;
use crate::epitome::spec::EpitomeSpec;
use crate::epitome::tables::DatapathTables;
use crate::error::{Error, Result};
use crate::nn::Tensor4;
use crate::quant::{ActivationParams, QuantizedEpitome};

/// The crossbar and converter parameters the executor models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossbarConfig {
    /// Word lines per crossbar.
    pub rows: usize,
    /// Bit lines (columns) per crossbar.
    pub cols: usize,
    /// Bits stored per cell (1..=8).
    pub cell_bits: u32,
    /// Input bits applied per cycle (1..=8).
    pub dac_bits: u32,
    /// ADC resolution in bits (1..=32); `None` means lossless (never clips).
    #[serde(default)]
    pub adc_bits: Option<u32>,
}

impl Default for CrossbarConfig {
    /// 128x128 crossbars, 2-bit cells, 1-bit DAC, lossless ADC.
    fn default() -> Self {
        CrossbarConfig {
            rows: 128,
            cols: 128,
            cell_bits: 2,
            dac_bits: 1,
            adc_bits: None,
        }
    }
}

impl CrossbarConfig {
    fn validate(&self, spec: &EpitomeSpec) -> Result<()> {
        let ehw = spec.epitome.e_h * spec.epitome.e_w;
        if self.rows < ehw {
            return Err(Error::invalid(
                "crossbar.rows",
                format!(
                    "must be >= e_h*e_w = {ehw} (channels are packed whole), got {}",
                    self.rows
                ),
            ));
        }
        if self.cols == 0 {
            return Err(Error::invalid("crossbar.cols", "must be at least 1, got 0"));
        }
        for (field, v, max) in [
            ("crossbar.cell_bits", self.cell_bits, 8),
            ("crossbar.dac_bits", self.dac_bits, 8),
            ("crossbar.adc_bits", self.adc_bits.unwrap_or(1), 32),
        ] {
            if v == 0 || v > max {
                return Err(Error::invalid(
                    field,
                    format!("must be in 1..={max}, got {v}"),
                ));
            }
        }
        Ok(())
    }

    /// Word lines actually used in one crossbar: whole epitome channels,
    /// `min(e_in, floor(rows / (e_h*e_w))) * e_h*e_w`.
    pub fn used_rows(&self, spec: &EpitomeSpec) -> usize {
        let ehw = spec.epitome.e_h * spec.epitome.e_w;
        (self.rows / ehw.max(1)).min(spec.epitome.e_in) * ehw
    }

    /// The smallest ADC resolution that never clips: the bits of the largest
    /// column sum, `used_rows * (2^dac_bits - 1) * (2^cell_bits - 1)`.
    pub fn lossless_adc_bits(&self, spec: &EpitomeSpec) -> u32 {
        let max = self.used_rows(spec) as u64
            * ((1u64 << self.dac_bits) - 1)
            * ((1u64 << self.cell_bits) - 1);
        (u64::BITS - max.leading_zeros()).max(1)
    }
}

/// The executor's result and its action counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecReport {
    /// Output `[n, c_out, h_out, w_out]`.
    pub output: Tensor4,
    /// Sequential crossbar activations per output pixel and image:
    /// `ceil(patterns / rep)` (the `rep` copies run patterns in parallel).
    pub activations_per_pixel: usize,
    /// Crossbar reads (crossbar x slice x polarity x input cycle).
    pub n_xbar_reads: u64,
    /// ADC conversions (one per column per read).
    pub n_adc_conversions: u64,
    /// Conversions whose column sum exceeded the ADC range and clipped.
    pub n_adc_clipped: u64,
}

/// Activation codes of a layer input `[n, c_in, h, w]` with their scale.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedInput<'a> {
    /// Shape `[n, c_in, h, w]`.
    pub shape: [usize; 4],
    /// Codes, row-major, each `<= 2^bits - 1`.
    pub codes: &'a [u32],
    /// Bits and scale.
    pub params: ActivationParams,
}

/// Runs the layer on the crossbar model, walking `tables` (built from `spec`).
pub fn execute(
    spec: &EpitomeSpec,
    tables: &DatapathTables,
    weights: &QuantizedEpitome,
    input: &QuantizedInput<'_>,
    bias: Option<&[f32]>,
    cfg: &CrossbarConfig,
) -> Result<ExecReport> {
    let (h_out, w_out) = check_execute(spec, tables, weights, input, bias, cfg)?;
    let (l, es) = (&spec.layer, &spec.epitome);
    let [n, c_in, h_in, w_in] = input.shape;
    let ehw = es.e_h * es.e_w;
    let n_wl = es.e_in * ehw;
    let rows_per_xbar = cfg.used_rows(spec);
    let n_row_xbars = n_wl.div_ceil(rows_per_xbar);
    let n_col_xbars = es.e_out.div_ceil(cfg.cols);
    let slices = (weights.bits - 1).div_ceil(cfg.cell_bits);
    let max_fan_in = tables.ifrt.iter().map(|r| r.fan_in).max().unwrap_or(1) as u64;
    let max_drive = u64::from(input.params.q_max()) * max_fan_in;
    let in_bits = (u64::BITS - max_drive.leading_zeros()).max(1);
    let cycles = in_bits.div_ceil(cfg.dac_bits);
    let dac_mask = (1u64 << cfg.dac_bits) - 1;
    let adc_max = cfg.adc_bits.map(|b| (1u64 << b) - 1);

    let cells = program_cells(weights, es.e_out, n_wl, slices, cfg.cell_bits);

    let mut out = Tensor4::zeros([n, l.c_out, h_out, w_out]);
    let mut drive = vec![0u64; n_wl];
    let mut acc = vec![0i128; es.e_out];
    let mut report = ExecReport {
        output: Tensor4::zeros([0, 0, 0, 0]),
        activations_per_pixel: tables.patterns.div_ceil(spec.rep),
        n_xbar_reads: 0,
        n_adc_conversions: 0,
        n_adc_clipped: 0,
    };
    let scale_a = f64::from(input.params.scale);
    let idx = |b: usize, i: usize, y: usize, x: usize| ((b * c_in + i) * h_in + y) * w_in + x;
    for b in 0..n {
        for pid in 0..tables.patterns {
            let ifat = tables.ifat.iter().filter(|f| f.pattern == pid);
            let ifat: Vec<_> = ifat.collect();
            for oy in 0..h_out {
                for ox in 0..w_out {
                    // 1. Digital input stage: IFAT addresses, IFRT sums.
                    drive.iter_mut().for_each(|d| *d = 0);
                    for f in &ifat {
                        let mut v = 0u64;
                        for &[i, dy, dx] in &f.inputs {
                            let iy = (oy * l.stride + dy) as isize - l.padding as isize;
                            let ix = (ox * l.stride + dx) as isize - l.padding as isize;
                            if iy >= 0 && ix >= 0 && (iy as usize) < h_in && (ix as usize) < w_in {
                                v += u64::from(input.codes[idx(b, i, iy as usize, ix as usize)]);
                            }
                        }
                        drive[f.word_line] = v;
                    }
                    // 2-3. Crossbar reads, ADC, shift-add.
                    acc.iter_mut().for_each(|a| *a = 0);
                    for xr in 0..n_row_xbars {
                        let wl_range = xr * rows_per_xbar..((xr + 1) * rows_per_xbar).min(n_wl);
                        for xc in 0..n_col_xbars {
                            let col_range = xc * cfg.cols..((xc + 1) * cfg.cols).min(es.e_out);
                            for pol in 0..2usize {
                                for s in 0..slices as usize {
                                    for t in 0..cycles {
                                        report.n_xbar_reads += 1;
                                        let shift = t * cfg.dac_bits + s as u32 * cfg.cell_bits;
                                        for r in col_range.clone() {
                                            let base =
                                                ((pol * slices as usize + s) * es.e_out + r) * n_wl;
                                            let mut sum = 0u64;
                                            for wl in wl_range.clone() {
                                                let bitsv =
                                                    (drive[wl] >> (t * cfg.dac_bits)) & dac_mask;
                                                sum += bitsv * cells[base + wl];
                                            }
                                            report.n_adc_conversions += 1;
                                            if let Some(m) = adc_max {
                                                if sum > m {
                                                    sum = m;
                                                    report.n_adc_clipped += 1;
                                                }
                                            }
                                            let v = i128::from(sum) << shift;
                                            acc[r] += if pol == 0 { v } else { -v };
                                        }
                                    }
                                }
                            }
                        }
                    }
                    // 4. OFAT: write each column to its channels.
                    for f in tables.ofat.iter().filter(|f| f.pattern == pid) {
                        let v =
                            acc[f.column] as f64 * f64::from(weights.scales[f.column]) * scale_a;
                        for &o in &f.channels {
                            let b0 = bias.map_or(0.0, |bb| f64::from(bb[o]));
                            let k = out.index(b, o, oy, ox);
                            out.data_mut()[k] = (v + b0) as f32;
                        }
                    }
                }
            }
        }
    }
    report.output = out;
    Ok(report)
}

/// The checks [`execute`] makes before running: spec, crossbar, weight and input
/// codes in range, lengths, tables built from `spec`. Returns the output size.
fn check_execute(
    spec: &EpitomeSpec,
    tables: &DatapathTables,
    weights: &QuantizedEpitome,
    input: &QuantizedInput<'_>,
    bias: Option<&[f32]>,
    cfg: &CrossbarConfig,
) -> Result<(usize, usize)> {
    spec.validate()?;
    cfg.validate(spec)?;
    crate::quant::weights::check_weight_bits(weights.bits)?;
    let (l, es) = (&spec.layer, &spec.epitome);
    check_len("weights.codes", weights.codes.len(), spec.param_count())?;
    check_len("weights.scales", weights.scales.len(), es.e_out)?;
    if let Some(k) = weights.codes.iter().position(|q| q.abs() > weights.q_max()) {
        return Err(Error::invalid(
            format!("weights.codes[{k}]"),
            format!("magnitude must be <= {}", weights.q_max()),
        ));
    }
    let [n, c_in, h_in, w_in] = input.shape;
    if c_in != l.c_in {
        return Err(Error::shape(
            "input.shape[1] (channels)",
            format!("c_in = {}", l.c_in),
            c_in,
        ));
    }
    check_len("input.codes", input.codes.len(), n * c_in * h_in * w_in)?;
    if !(1..=16).contains(&input.params.bits) {
        return Err(Error::invalid(
            "activation bits",
            format!("must be in 1..=16, got {}", input.params.bits),
        ));
    }
    if let Some(k) = input.codes.iter().position(|&q| q > input.params.q_max()) {
        return Err(Error::invalid(
            format!("input.codes[{k}]"),
            format!("must be <= {}", input.params.q_max()),
        ));
    }
    if let Some(b) = bias {
        check_len("bias", b.len(), l.c_out)?;
    }
    if *tables != DatapathTables::build(spec)? {
        return Err(Error::invalid("tables", "were not built from this spec"));
    }
    let (h_out, w_out) = spec.output_size(h_in, w_in)?;
    crate::nn::check_elements("output", &[n, l.c_out, h_out, w_out])?;
    Ok((h_out, w_out))
}

/// Cell values `[polarity][slice][column][word line]`, as stored: each weight's
/// positive and negative part cut into `slices` slices of `cell_bits` bits.
fn program_cells(
    weights: &QuantizedEpitome,
    e_out: usize,
    n_wl: usize,
    slices: u32,
    cell_bits: u32,
) -> Vec<u64> {
    let cell_mask = (1i64 << cell_bits) - 1;
    let mut cells = vec![0u64; 2 * slices as usize * e_out * n_wl];
    for r in 0..e_out {
        for wl in 0..n_wl {
            let q = i64::from(weights.codes[r * n_wl + wl]);
            for (pol, mag) in [q.max(0), (-q).max(0)].into_iter().enumerate() {
                for s in 0..slices as usize {
                    let v = (mag >> (s as u32 * cell_bits)) & cell_mask;
                    cells[((pol * slices as usize + s) * e_out + r) * n_wl + wl] = v as u64;
                }
            }
        }
    }
    cells
}
