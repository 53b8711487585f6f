//! The mapping of a model onto crossbars and the fast path.
//!
//! Built once per model and knobs ([`PimModel::new`]): per weight layer, the
//! stored code matrix (rows: word lines, `(e*e_h + p)*e_w + q` for epitome
//! element `(e, p, q)`, or `(i*k + y)*k + x` for a dense kernel; a row-pruned
//! (`xrs`) layer keeps only the rows holding a non-zero code, compacted in
//! order; columns: stored output rows), the word-line drive map of every
//! offset pattern (which input codes each word line sums) and the output
//! channels of every column. Per seed ([`PimModel::program`]): the fixed-point
//! conductance of every cell. Per image ([`PimModel::logits`]): for every
//! pattern, output pixel and row block, the rows with a non-zero drive add
//! their conductance rows into one accumulator per input cycle (so zero inputs
//! and zero input bits cost nothing), then each (cycle, slice, polarity,
//! column) sum is converted once and shifted into the column's block result.

use crate::error::{check_finite, Error, Result};
use crate::model::frame::{self, max_pool_chw, LayerFrame};
use crate::model::runtime::check_image_len;
use crate::model::{LayerSpec, Model, WeightLayerSpec, WeightValues};
use crate::pim::cell::{adc_code, adc_inv_step, cell_conductance, max_code, step_levels, CellAddr};
use crate::pim::groups::{list_groups, GroupCells, GROUP, SUBSETS};
use crate::pim::planes::{
    add_slices, list_bits, slice_major, Conversion, PlaneLayer, PlaneRead, PlaneScratch,
};
use crate::pim::tables::{CodeTables, TableLayer};
use crate::pim::PimKnobs;
use crate::prune::PruneKind;

/// Most cells (all slices and polarities) of one model's mapping.
pub const MAX_PIM_CELLS: usize = 1 << 26;

/// The most `u16` entries of grouped cells one chip keeps, and all the chips
/// of one [`PimModel::program_seeds`] together ([`Chip::grouped_layers`]):
/// 32 MiB; layers past it read row by row.
pub const MAX_GROUP_CELLS: usize = 1 << 24;

/// One offset pattern of a layer: the drive of every matrix row and the output
/// channels of every column.
#[derive(Debug, Clone)]
struct Unit {
    /// Per matrix row: the `(channel, dy, dx)` input taps it sums.
    taps: Vec<Vec<(u32, u32, u32)>>,
    /// The same taps as offsets `(channel * h + dy) * w + dx` into the input,
    /// row `r`'s from `ends[r - 1]` to `ends[r]` (for pixels whose window is
    /// inside the input: [`XbarLayer::drive`]).
    offsets: Vec<u32>,
    ends: Vec<u32>,
    /// Every row has exactly one tap (no input wrapping, no pruned taps):
    /// row `r`'s offset is `offsets[r]`.
    one_tap: bool,
    /// Otherwise, when no row has more than [`MAX_FAN`] taps: the most taps
    /// of a row, `fan` (0: more), and per row `fan` pairs `(offset, mask)`,
    /// a row with fewer taps padded with `(0, 0)` (the drive adds
    /// `code & mask`: no loop of its own per row).
    fan: usize,
    padded: Vec<[u32; 2]>,
    /// Per column: the output channels it is written to (empty: unused).
    outs: Vec<Vec<usize>>,
    /// When every column feeds at most one output channel: that channel
    /// (`usize::MAX`: none), for [`XbarLayer::write`].
    out_of: Option<Vec<usize>>,
}

impl Unit {
    fn new(taps: Vec<Vec<(u32, u32, u32)>>, outs: Vec<Vec<usize>>, [h, w]: [usize; 2]) -> Self {
        let mut offsets = Vec::new();
        let mut ends = Vec::with_capacity(taps.len());
        for row in &taps {
            for &(ch, dy, dx) in row {
                // Inside the input (h * w * c_in is bounded by the model's
                // activation limit, well under 2^32).
                offsets.push(((ch as usize * h + dy as usize) * w + dx as usize) as u32);
            }
            ends.push(offsets.len() as u32);
        }
        let one_tap = taps.iter().all(|t| t.len() == 1);
        let most = taps.iter().map(Vec::len).max().unwrap_or(0);
        let fan = if one_tap || most > MAX_FAN { 0 } else { most };
        let mut padded = Vec::with_capacity(fan * taps.len());
        if fan > 0 {
            let mut start = 0usize;
            for (row, &end) in taps.iter().zip(&ends) {
                let end = end as usize;
                padded.extend(offsets[start..end].iter().map(|&o| [o, u32::MAX]));
                padded.extend(std::iter::repeat_n([0, 0], fan - row.len()));
                start = end;
            }
        }
        let out_of = outs.iter().all(|o| o.len() <= 1).then(|| {
            outs.iter()
                .map(|o| o.first().copied().unwrap_or(usize::MAX))
                .collect()
        });
        Unit {
            taps,
            offsets,
            ends,
            one_tap,
            fan,
            padded,
            outs,
            out_of,
        }
    }
}

/// The most taps per word line that [`XbarLayer::drive`] adds without a loop
/// per row (EPIM layers: 2 or 3 input channels per epitome channel in the
/// shipped models).
const MAX_FAN: usize = 4;

/// The drives of `F` taps per row (`padded`, see [`Unit::padded`]) over the
/// codes from a window's corner.
#[inline(always)]
fn drive_fixed<const F: usize>(codes: &[u32], padded: &[[u32; 2]], drive: &mut [u32]) {
    for (d, taps) in drive.iter_mut().zip(padded.chunks_exact(F)) {
        let mut v = 0u32;
        for &[o, m] in taps {
            v += codes[o as usize] & m;
        }
        *d = v;
    }
}

/// A weight layer on crossbars.
#[derive(Debug, Clone)]
pub(crate) struct XbarLayer {
    index: usize,
    /// Sizes and input quantizer.
    f: LayerFrame,
    /// Matrix rows and columns.
    rows: usize,
    cols: usize,
    /// Signed codes, `rows x cols`.
    codes: Vec<i32>,
    /// Cells per code per polarity.
    slices: usize,
    /// Input cycles per read, `ceil(in_bits / dac_bits)`.
    cycles: usize,
    /// `s_x * s_w[col]`.
    mul: Vec<f32>,
    units: Vec<Unit>,
    bias: Vec<f32>,
    relu: bool,
    /// Output rows and columns a later step reads: a max pool that follows
    /// (through ReLUs) reads `(h_out / k) * k` of them and drops the rest
    /// (the MNIST CNN's 7x7 third convolution: 6x6 of its 49 pixels).
    /// `[h_out, w_out]` where nothing is dropped.
    used: [usize; 2],
}

type Step = frame::Step<Box<XbarLayer>>;

/// A model mapped onto crossbars under fixed knobs ([`PimModel::new`]).
#[derive(Debug, Clone)]
pub struct PimModel {
    knobs: PimKnobs,
    input: [usize; 3],
    classes: usize,
    steps: Vec<Step>,
    /// Largest activation buffer.
    act_len: usize,
}

/// The conductances of one chip: per weight layer, `rows x (cols*slices*2)`
/// fixed-point values, slice-major within a row as
/// `(slice*2 + polarity)*cols + col` (the row-by-row read's order,
/// `planes::slice_major`; the faster reads are built from the mapping's
/// order, `(col*slices + slice)*2 + polarity`); and one ADC `1/step` per row
/// block.
#[derive(Debug, Clone)]
pub struct Chip {
    seed: u64,
    g: Vec<Cells>,
    /// Per layer: column sums need `i64`.
    wide: Vec<bool>,
    /// Per layer: the largest conductance.
    g_max: Vec<i32>,
    /// Per layer read in `u16` lanes, per row block: the conversion of its
    /// sums by multiply-add-shift (`None`: in `f64`, as `adc_code`).
    narrow_conv: Vec<Vec<Option<BlockConv>>>,
    /// Per layer, when every conversion of the layer is exact (see
    /// [`Chip::linear_layers`]): the effective integer weights `rows x cols`.
    linear: Vec<Option<Linear>>,
    /// Per layer, when every conductance is a whole number of levels above
    /// one common offset (see [`Chip::plane_layers`]): its bit-planes.
    planes: Vec<Option<PlaneLayer>>,
    /// Per layer, when its row blocks are small and the DAC has 1 bit (see
    /// [`Chip::table_layers`]): the codes of every drive pattern.
    tables: Vec<Option<CodeTables>>,
    inv_step: Vec<Vec<f64>>,
    /// [`ReadPaths::repeated_windows`].
    repeats: bool,
    /// Per layer read row by row in `u16` lanes: its grouped cells
    /// ([`Chip::grouped_layers`]).
    groups: Vec<Option<GroupCells>>,
}

/// A row block's conversion by multiply-add-shift ([`Conversion::fit_upto`]):
/// equal to `adc_code` on every sum the block can produce (`whole`: up to its
/// rows times the layer's largest conductance), or only on `u16` sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BlockConv {
    conv: Conversion,
    whole: bool,
}

impl BlockConv {
    /// The conversion of a block of `rows` word lines (1-bit DAC) whose
    /// largest conductance is `g_max`.
    fn fit(inv: f64, top: i64, rows: usize, g_max: i32) -> Option<Self> {
        let u16_sums = u32::from(u16::MAX);
        let bound = rows as u64 * u64::try_from(g_max.max(0)).unwrap_or(0);
        let n_max = u32::try_from(bound).unwrap_or(u32::MAX).max(u16_sums);
        if let Some(conv) = Conversion::fit_upto(inv, top, n_max) {
            return Some(BlockConv { conv, whole: true });
        }
        // (With n_max = u16_sums the same fit was just refused.)
        (n_max > u16_sums)
            .then(|| Conversion::fit_upto(inv, top, u16_sums))
            .flatten()
            .map(|conv| BlockConv { conv, whole: false })
    }
}

/// One layer's conductances ([`Chip`]): `u16` where every one fits (the
/// row-by-row read then adds twice as many per SIMD register), else `i32`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cells {
    Wide(Vec<i32>),
    Narrow(Vec<u16>),
}

/// Which faster reads a chip may use ([`PimModel::program_paths`]); every
/// one gives the same logits as the row-by-row read (tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadPaths {
    /// The exact shortcut ([`Chip::linear_layers`]).
    pub exact_shortcut: bool,
    /// The bit-plane read ([`Chip::plane_layers`]).
    pub bit_planes: bool,
    /// Within the bit-plane read, the byte read where it applies
    /// ([`Chip::byte_blocks`]); without it every read counts by popcounts.
    pub byte_rows: bool,
    /// In the row-by-row read, conductances kept as `u16` where they fit and
    /// column sums added in `u16` lanes where no sum of a read can pass
    /// `u16::MAX` ([`Chip::narrow_layers`]).
    pub narrow_rows: bool,
    /// Code tables for layers of small row blocks under a 1-bit DAC
    /// ([`Chip::table_layers`]).
    pub code_tables: bool,
    /// An output pixel whose word-line drives equal the previous pixel's (a
    /// window in a uniform region: the background of a digit) takes the
    /// previous pixel's column results instead of reading the crossbars again
    /// (a read is a function of the chip and the drives).
    pub repeated_windows: bool,
    /// In the row-by-row read in `u16` lanes under a 1-bit DAC, word lines in
    /// groups of four whose subsets' sums are computed once per chip
    /// ([`Chip::grouped_layers`]).
    pub row_groups: bool,
}

impl ReadPaths {
    /// Every read ([`PimModel::program`]).
    pub const ALL: ReadPaths = ReadPaths {
        exact_shortcut: true,
        bit_planes: true,
        byte_rows: true,
        narrow_rows: true,
        code_tables: true,
        repeated_windows: true,
        row_groups: true,
    };
}

impl Chip {
    /// The seed the chip was drawn with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// How many layers read exactly: every ADC step is one level, no column
    /// sum can reach the top code and every conductance is a whole number of
    /// levels (no variation, infinite on/off ratio; stuck cells allowed). Each
    /// conversion then returns its sum, and shift-and-add over cycles and
    /// slices gives `sum_r x_r * w_eff[r][c]` with
    /// `w_eff = sum_j 2^(j*cell_bits) * (G+_j - G-_j)` in levels: such a
    /// layer runs as one integer product with `w_eff`, with the same result.
    pub fn linear_layers(&self) -> usize {
        self.linear.iter().filter(|l| l.is_some()).count()
    }

    /// How many layers taking the exact shortcut compute their product in
    /// `i32` (no column's products can add past `i32::MAX` for any drive the
    /// layer's input cycles allow; the others in `i64`).
    pub fn narrow_linear_layers(&self) -> usize {
        self.linear
            .iter()
            .filter(|l| matches!(l, Some(Linear::Narrow(_))))
            .count()
    }

    /// How many layers (not taking the exact shortcut) read by code tables:
    /// under a 1-bit DAC, every row block has at most 12 word lines (the
    /// shipped models' first convolution: 9), so the codes of each of a
    /// block's drive patterns are computed once per chip
    /// (`crate::pim::tables`), whatever the conductances.
    pub fn table_layers(&self) -> usize {
        self.tables.iter().filter(|t| t.is_some()).count()
    }

    /// How many layers (not taking the exact shortcut or code tables) read by
    /// bit-planes: every cell conducts a whole number of levels above one
    /// offset common to the layer (no variation; stuck cells and a finite
    /// on/off ratio allowed), so a column sum is a sum of popcounts
    /// (`crate::pim::planes`).
    pub fn plane_layers(&self) -> usize {
        self.linear
            .iter()
            .zip(&self.planes)
            .filter(|(l, p)| l.is_none() && p.is_some())
            .count()
    }

    /// How many row blocks of the bit-plane layers keep their cells for the
    /// byte read (`crate::pim::planes`: no off-state conductance, a 1-bit
    /// DAC, an ADC conversion by multiply-add-shift equal to its table).
    pub fn byte_blocks(&self) -> usize {
        self.planes.iter().flatten().map(|p| p.byte_blocks()).sum()
    }

    /// How many layers read row by row keep their conductances as `u16`
    /// (every one is below 65,536 fixed-point units: 64 levels): a read whose
    /// column sums cannot pass `u16::MAX` (driven rows x largest digit x
    /// largest conductance) then adds them in `u16` lanes.
    pub fn narrow_layers(&self) -> usize {
        self.linear
            .iter()
            .zip(&self.planes)
            .zip(&self.g)
            .filter(|((l, p), g)| l.is_none() && p.is_none() && matches!(g, Cells::Narrow(_)))
            .count()
    }

    /// How many layers read row by row in `u16` lanes (under a 1-bit DAC)
    /// also keep grouped cells: per group of four word lines the column sums
    /// of each of its 16 subsets of rows, so that a cycle adds one subset's
    /// sums per group it drives instead of one row per driven row (4x the
    /// layer's cells, up to [`MAX_GROUP_CELLS`] per chip).
    pub fn grouped_layers(&self) -> usize {
        self.groups.iter().filter(|g| g.is_some()).count()
    }

    /// Whether `other` has the same conductances (then it classifies every
    /// image the same way: a chip without random knobs is the same chip
    /// whatever its seed).
    pub fn same_cells(&self, other: &Chip) -> bool {
        self.g == other.g
    }
}

/// The size of one layer's mapping ([`PimModel::layers`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct LayerMapping {
    /// Weight layer index.
    pub index: usize,
    /// Word lines (matrix rows) and weight columns.
    pub rows: usize,
    /// Weight columns (stored output rows).
    pub cols: usize,
    /// Cells per code per polarity.
    pub slices: usize,
    /// Input cycles per read.
    pub cycles: usize,
    /// Row blocks (`ceil(rows / crossbar_rows)`).
    pub row_blocks: usize,
    /// Crossbars: row blocks x column blocks x slices x 2.
    pub crossbars: usize,
    /// Offset patterns (activations per output pixel).
    pub patterns: usize,
}

/// Bits of `v` (at least 1).
fn bits_of(v: u64) -> u32 {
    (64 - v.leading_zeros()).max(1)
}

/// The matrix rows of a layer that are kept on the crossbars: all, or for a
/// row-pruned (`xrs`) layer the rows with a non-zero code.
pub(crate) fn kept_rows(l: &WeightLayerSpec, codes: &[i32], rows: usize, cols: usize) -> Vec<bool> {
    let xrs = l
        .prune
        .as_ref()
        .is_some_and(|p| p.kind == PruneKind::Xrs && p.ratio > 0.0);
    (0..rows)
        .map(|r| !xrs || (0..cols).any(|c| codes[c * rows + r] != 0))
        .collect()
}

fn xbar_layer(
    index: usize,
    l: &WeightLayerSpec,
    v: &WeightValues,
    [c, h, w]: [usize; 3],
    relu: bool,
    knobs: &PimKnobs,
) -> Result<XbarLayer> {
    let at = |f: &str| format!("{}.{f}", l.name);
    let act = l.act.ok_or_else(|| {
        Error::invalid(
            at("act"),
            "the crossbar model needs quantized inputs (a model with activation bits)",
        )
    })?;
    let q = v.codes.as_ref().ok_or_else(|| {
        Error::invalid(
            at("w_bits"),
            "the crossbar model needs quantized weights (a model with w_bits)",
        )
    })?;
    let f = LayerFrame::new(l, &act, [c, h, w])?;
    let spec = l.epitome_spec();
    let es = spec.epitome;
    let (e_in, e_h, e_w) = (es.e_in, es.e_h, es.e_w);
    // The stored tensor as a matrix: column r = stored row r, row = its element.
    let full_rows = e_in * e_h * e_w;
    let cols = es.e_out;
    if q.codes.len() != full_rows * cols {
        return Err(Error::shape(at("codes"), full_rows * cols, q.codes.len()));
    }
    let keep = kept_rows(l, &q.codes, full_rows, cols);
    let mut compact = vec![usize::MAX; full_rows];
    let mut rows = 0usize;
    for (r, k) in keep.iter().enumerate() {
        if *k {
            compact[r] = rows;
            rows += 1;
        }
    }
    let mut codes = vec![0i32; rows * cols];
    for col in 0..cols {
        for r in 0..full_rows {
            if compact[r] != usize::MAX {
                codes[compact[r] * cols + col] = q.codes[col * full_rows + r];
            }
        }
    }
    let slices = ((q.bits - 1).div_ceil(knobs.cell_bits)) as usize;
    let pidx = spec.pattern_index();
    let k = l.k;
    let mut units = Vec::with_capacity(pidx.patterns.len());
    let mut fan_in = 1usize;
    for (pid, &[a, b, cc]) in pidx.patterns.iter().enumerate() {
        let mut taps: Vec<Vec<(u32, u32, u32)>> = vec![Vec::new(); rows];
        // Fan-in of a word line: the input channels sharing its epitome channel.
        let mut per_channel = vec![0usize; e_in];
        for i in 0..l.c_in {
            per_channel[(a + i) % e_in] += 1;
        }
        fan_in = fan_in.max(per_channel.iter().copied().max().unwrap_or(1));
        for i in 0..l.c_in {
            let e = (a + i) % e_in;
            for y in 0..k {
                for x in 0..k {
                    let r = (e * e_h + b + y) * e_w + cc + x;
                    let cr = compact.get(r).copied().unwrap_or(usize::MAX);
                    if cr != usize::MAX {
                        taps[cr].push((i as u32, y as u32, x as u32));
                    }
                }
            }
        }
        let mut outs = vec![Vec::new(); cols];
        for (g, &gp) in pidx.group_pattern.iter().enumerate() {
            if gp == pid {
                for (col, o) in outs.iter_mut().enumerate() {
                    let ch = g * cols + col;
                    if ch < l.c_out {
                        o.push(ch);
                    }
                }
            }
        }
        units.push(Unit::new(taps, outs, [h, w]));
    }
    let in_bits = bits_of(fan_in as u64 * u64::from(act.q_max()));
    let cycles = in_bits.div_ceil(knobs.dac_bits) as usize;
    let mul = q.scales.iter().map(|s| act.scale * s).collect();
    Ok(XbarLayer {
        index,
        f,
        rows,
        cols,
        codes,
        slices,
        cycles,
        mul,
        units,
        bias: v.bias.clone(),
        relu,
        used: [f.h_out, f.w_out],
    })
}

impl PimModel {
    /// Maps `model` onto crossbars under `knobs` (validated). Errors: a knob
    /// out of bounds (named), a layer without quantized weights or inputs, or a
    /// mapping over [`MAX_PIM_CELLS`] cells.
    pub fn new(model: &Model, knobs: &PimKnobs) -> Result<Self> {
        knobs.validate()?;
        let arch = model.arch();
        let [mut c, mut h, mut w] = arch.input;
        let mut steps = Vec::new();
        let mut wi = 0usize;
        let mut act_len = c * h * w;
        let mut cells = 0usize;
        let mut layers = arch.layers.iter().peekable();
        while let Some(layer) = layers.next() {
            match layer {
                LayerSpec::Conv(l) | LayerSpec::Dense(l) => {
                    let v = model.values().get(wi).ok_or_else(|| {
                        Error::invalid("model", "fewer weight values than layers")
                    })?;
                    let relu = matches!(layers.peek(), Some(LayerSpec::Relu));
                    if relu {
                        layers.next();
                    }
                    let x = xbar_layer(wi, l, v, [c, h, w], relu, knobs)?;
                    wi += 1;
                    cells = cells.saturating_add(x.rows * x.cols * x.slices * 2);
                    if cells > MAX_PIM_CELLS {
                        return Err(Error::invalid(
                            "model",
                            format!("maps to more than {MAX_PIM_CELLS} crossbar cells"),
                        ));
                    }
                    [c, h, w] = x.f.output();
                    steps.push(Step::Weight(Box::new(x)));
                }
                LayerSpec::Relu => steps.push(Step::Relu),
                LayerSpec::MaxPool { k } => {
                    if let Some((x, used)) = frame::pool_reads(&mut steps, *k, [h, w]) {
                        x.used = used;
                    }
                    steps.push(Step::MaxPool { k: *k, c, h, w });
                    [h, w] = [h / k, w / k];
                }
                LayerSpec::Flatten => [c, h, w] = [c * h * w, 1, 1],
            }
            act_len = act_len.max(c * h * w);
        }
        Ok(PimModel {
            knobs: *knobs,
            input: arch.input,
            classes: arch.classes,
            steps,
            act_len,
        })
    }

    /// The knobs the model was mapped with.
    pub fn knobs(&self) -> &PimKnobs {
        &self.knobs
    }

    fn xbar_layers(&self) -> impl Iterator<Item = &XbarLayer> {
        self.steps.iter().filter_map(|s| match s {
            Step::Weight(l) => Some(l.as_ref()),
            _ => None,
        })
    }

    /// The size of every weight layer's mapping.
    pub fn layers(&self) -> Vec<LayerMapping> {
        let n = self.knobs.crossbar_rows;
        self.xbar_layers()
            .map(|l| {
                let row_blocks = l.rows.div_ceil(n).max(1);
                LayerMapping {
                    index: l.index,
                    rows: l.rows,
                    cols: l.cols,
                    slices: l.slices,
                    cycles: l.cycles,
                    row_blocks,
                    crossbars: row_blocks * l.cols.div_ceil(n) * l.slices * 2,
                    patterns: l.units.len(),
                }
            })
            .collect()
    }

    /// Draws the chip of `seed`: every cell's conductance
    /// ([`cell_conductance`]) and every row block's ADC step.
    pub fn program(&self, seed: u64) -> Chip {
        self.program_with(seed, true)
    }

    /// The chips of `seeds` ([`PimModel::program`]), with grouped cells
    /// ([`Chip::grouped_layers`]) only where all of them together stay within
    /// [`MAX_GROUP_CELLS`] (counted before any is allocated): many seeds of a
    /// large model read row by row instead.
    pub fn program_seeds(&self, seeds: &[u64]) -> Vec<Chip> {
        let n = self.knobs.crossbar_rows;
        let per_chip: usize = self
            .xbar_layers()
            .map(|l| GroupCells::len(l.rows, l.cols * l.slices * 2, n))
            .sum();
        let paths = ReadPaths {
            row_groups: per_chip.saturating_mul(seeds.len()) <= MAX_GROUP_CELLS,
            ..ReadPaths::ALL
        };
        seeds
            .iter()
            .map(|&s| self.program_paths(s, paths))
            .collect()
    }

    /// [`PimModel::program`]; with `exact_shortcut` false every layer reads
    /// bit-serially even where its conversions are exact
    /// ([`Chip::linear_layers`]), for testing the bit-serial path.
    pub fn program_with(&self, seed: u64, exact_shortcut: bool) -> Chip {
        self.program_paths(
            seed,
            ReadPaths {
                exact_shortcut,
                ..ReadPaths::ALL
            },
        )
    }

    /// [`PimModel::program`] with only the faster reads in `paths` (for
    /// testing each read against the reference).
    pub fn program_paths(&self, seed: u64, paths: ReadPaths) -> Chip {
        let k = &self.knobs;
        let cb = k.cell_bits;
        let mask = k.max_level() as i32;
        let mut g = Vec::new();
        let mut inv_step = Vec::new();
        let mut wide = Vec::new();
        let mut g_maxes = Vec::new();
        let mut narrow_conv = Vec::new();
        let mut linear = Vec::new();
        let mut planes = Vec::new();
        let mut tables = Vec::new();
        let mut groups = Vec::new();
        let mut group_cells = 0usize;
        let dmax = i64::from((1u32 << k.dac_bits) - 1);
        for l in self.xbar_layers() {
            let width = l.cols * l.slices * 2;
            let mut gl = vec![0i32; l.rows * width];
            for r in 0..l.rows {
                for c in 0..l.cols {
                    let code = l.codes[r * l.cols + c];
                    for j in 0..l.slices {
                        for p in 0..2 {
                            let mag = if p == 0 { code.max(0) } else { (-code).max(0) };
                            let level = ((mag >> (j as u32 * cb)) & mask) as u32;
                            let addr = CellAddr {
                                layer: l.index,
                                row: r,
                                col: c,
                                slice: j,
                                pol: p,
                            };
                            let v = cell_conductance(k, seed, addr, level);
                            gl[r * width + (c * l.slices + j) * 2 + p] =
                                i32::try_from(v).unwrap_or(i32::MAX);
                        }
                    }
                }
            }
            let g_max = gl.iter().copied().max().unwrap_or(0);
            let bound = i64::from(g_max) * (l.rows.min(k.crossbar_rows) as i64) * dmax;
            let is_wide = bound > i64::from(i32::MAX);
            wide.push(is_wide);
            let n = k.crossbar_rows;
            let inv: Vec<f64> = (0..l.rows.div_ceil(n).max(1))
                .map(|b| adc_inv_step(k, (l.rows - b * n).min(n)))
                .collect();
            let lin = if paths.exact_shortcut {
                l.linear_weights(k, &gl, &inv)
            } else {
                None
            };
            let table = if paths.code_tables && lin.is_none() && k.dac_bits == 1 && l.cycles <= 32 {
                CodeTables::new(&TableLayer {
                    g: &gl,
                    rows: l.rows,
                    cols: l.cols,
                    slices: l.slices,
                    cb,
                    block_rows: n,
                    inv: &inv,
                    top: max_code(k),
                })
            } else {
                None
            };
            planes.push(if paths.bit_planes && lin.is_none() && table.is_none() {
                PlaneLayer::new(
                    &gl,
                    l.rows,
                    width,
                    l.slices,
                    n,
                    &inv,
                    max_code(k),
                    dmax,
                    paths.byte_rows,
                )
            } else {
                None
            });
            let rows_only =
                lin.is_none() && table.is_none() && planes.last().is_some_and(|p| p.is_none());
            tables.push(table);
            // The row-by-row read keeps its cells slice-major (its shift-and-add
            // then runs along contiguous columns: `add_slices`).
            let mut sm = vec![0i32; gl.len()];
            for (src, dst) in gl.chunks_exact(width).zip(sm.chunks_exact_mut(width)) {
                for (w, &v) in src.iter().enumerate() {
                    dst[slice_major(w, l.cols, l.slices)] = v;
                }
            }
            let gl = sm;
            let cells = match gl.iter().map(|&v| u16::try_from(v).ok()).collect() {
                Some(narrow) if paths.narrow_rows && rows_only => Cells::Narrow(narrow),
                _ => Cells::Wide(gl),
            };
            let mut convs: Vec<Option<BlockConv>> = Vec::new();
            if matches!(cells, Cells::Narrow(_)) {
                for (b, &v) in inv.iter().enumerate() {
                    // Blocks of the same step (and so the same rows) share
                    // one (all but maybe the last).
                    let c = match b.checked_sub(1) {
                        Some(p) if inv[p] == v => convs[p],
                        _ => BlockConv::fit(v, max_code(k), (l.rows - b * n).min(n), g_max),
                    };
                    convs.push(c);
                }
            }
            let grouped = match &cells {
                Cells::Narrow(g)
                    if paths.row_groups
                        && k.dac_bits == 1
                        && !is_wide
                        && u16_codes_fit(max_code(k), l.cycles) =>
                {
                    let len = GroupCells::len(l.rows, width, n);
                    (group_cells + len <= MAX_GROUP_CELLS)
                        .then(|| GroupCells::new(g, l.rows, width, n))
                        .flatten()
                        .inspect(|_| group_cells += len)
                }
                _ => None,
            };
            groups.push(grouped);
            narrow_conv.push(convs);
            linear.push(lin);
            g.push(cells);
            g_maxes.push(g_max);
            inv_step.push(inv);
        }
        Chip {
            seed,
            g,
            wide,
            g_max: g_maxes,
            narrow_conv,
            linear,
            planes,
            tables,
            inv_step,
            repeats: paths.repeated_windows,
            groups,
        }
    }

    /// Logits `[n, classes]` (flat) of `n` images (flat `[n, c, h, w]`) on
    /// `chip`. Errors: the image buffer has the wrong length or a non-finite
    /// value, or `chip` was not drawn from this model.
    pub fn logits(&self, chip: &Chip, images: &[f32], n: usize) -> Result<Vec<f32>> {
        check_image_len(images, n, self.input)?;
        let [c, h, w] = self.input;
        let len = c * h * w;
        check_finite("images", images)?;
        if chip.g.len() != self.xbar_layers().count() {
            return Err(Error::invalid("chip", "was programmed from another model"));
        }
        let mut s = Scratch::new(self);
        let mut out = Vec::with_capacity(n * self.classes);
        for img in images.chunks_exact(len) {
            out.extend_from_slice(self.run_image(chip, &mut s, img));
        }
        Ok(out)
    }

    fn run_image<'a>(&self, chip: &Chip, s: &'a mut Scratch, image: &[f32]) -> &'a [f32] {
        s.a[..image.len()].copy_from_slice(image);
        let mut li = 0usize;
        for step in &self.steps {
            if let Step::Weight(l) = step {
                self.run_weight(chip, li, l, s);
                li += 1;
                std::mem::swap(&mut s.a, &mut s.b);
            } else {
                other_step(step, s);
            }
        }
        &s.a[..self.classes]
    }

    /// Weight layer `li` (`l`) on `chip`: `s.a` -> `s.b`, by the read the
    /// chip chose for it.
    fn run_weight(&self, chip: &Chip, li: usize, l: &XbarLayer, s: &mut Scratch) {
        s.repeats = chip.repeats;
        match (&chip.linear[li], &chip.tables[li], &chip.planes[li]) {
            (Some(Linear::Narrow(weff)), _, _) => l.run_linear(weff, s),
            (Some(Linear::Wide(weff)), _, _) => l.run_linear(weff, s),
            (None, Some(t), _) => l.run_tables(&self.knobs, t, s),
            (None, None, Some(p)) => l.run_planes(&self.knobs, p, s),
            (None, None, None) => match (&chip.groups[li], &chip.g[li]) {
                // Grouped cells exist only where the u16 read applies.
                (Some(gc), Cells::Narrow(_)) => l.run_grouped(
                    &self.knobs,
                    gc,
                    chip.g_max[li],
                    &chip.narrow_conv[li],
                    &chip.inv_step[li],
                    s,
                ),
                _ => l.run(
                    &self.knobs,
                    &chip.g[li],
                    chip.g_max[li],
                    &chip.narrow_conv[li],
                    &chip.inv_step[li],
                    chip.wide[li],
                    s,
                ),
            },
        }
    }

    /// Per weight layer, how far its outputs on `chip` are from the digital
    /// executor's on the same input, over `n` images (flat `[n, c, h, w]`):
    /// each layer gets the input the chip's previous layers gave it, and is run
    /// both on the chip and as the digital executor runs it (its integer codes,
    /// exact arithmetic; the chip's result under ideal knobs), so a layer's
    /// error is its own, not its predecessors'. Outputs are compared as the
    /// layer writes them (after its ReLU where one follows). Errors as
    /// [`PimModel::logits`].
    pub fn layer_error_sums(
        &self,
        chip: &Chip,
        images: &[f32],
        n: usize,
    ) -> Result<Vec<ErrorSums>> {
        check_image_len(images, n, self.input)?;
        check_finite("images", images)?;
        if chip.g.len() != self.xbar_layers().count() {
            return Err(Error::invalid("chip", "was programmed from another model"));
        }
        let digital: Vec<Vec<i64>> = self
            .xbar_layers()
            .map(|l| l.codes.iter().map(|&c| i64::from(c)).collect())
            .collect();
        let mut sums = vec![ErrorSums::default(); digital.len()];
        let [c, h, w] = self.input;
        let (mut s, mut d) = (Scratch::new(self), Scratch::new(self));
        // Every output pixel: the errors compare them all.
        (s.full, d.full) = (true, true);
        for img in images.chunks_exact(c * h * w) {
            s.a[..img.len()].copy_from_slice(img);
            let mut li = 0usize;
            for step in &self.steps {
                let Step::Weight(l) = step else {
                    other_step(step, &mut s);
                    continue;
                };
                let n_in = l.f.c_in * l.f.h * l.f.w;
                d.a[..n_in].copy_from_slice(&s.a[..n_in]);
                l.run_linear(&digital[li], &mut d);
                self.run_weight(chip, li, l, &mut s);
                let n_out = l.f.c_out * l.f.h_out * l.f.w_out;
                sums[li].add_outputs(&s.b[..n_out], &d.b[..n_out]);
                li += 1;
                std::mem::swap(&mut s.a, &mut s.b);
            }
        }
        Ok(sums)
    }
}

/// A step without weights: `s.a` in place, or through `s.b` and back.
fn other_step(step: &Step, s: &mut Scratch) {
    match step {
        Step::Relu => s.a.iter_mut().for_each(|v| *v = relu(*v)),
        Step::MaxPool { k, c, h, w } => {
            max_pool_chw(&s.a, &mut s.b, *k, [*c, *h, *w]);
            std::mem::swap(&mut s.a, &mut s.b);
        }
        Step::Weight(_) => {}
    }
}

/// Sums of one weight layer's output error against the digital executor's
/// ([`PimModel::layer_error_sums`]); they add up over images and chips.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ErrorSums {
    /// Output values compared.
    pub values: u64,
    /// Sum of `y - y_digital`.
    pub sum_error: f64,
    /// Sum of `(y - y_digital)^2`.
    pub sum_error_sq: f64,
    /// Sum of `y_digital^2`.
    pub sum_digital_sq: f64,
}

impl ErrorSums {
    /// Adds `other`'s sums.
    pub fn add(&mut self, other: &ErrorSums) {
        self.values += other.values;
        self.sum_error += other.sum_error;
        self.sum_error_sq += other.sum_error_sq;
        self.sum_digital_sq += other.sum_digital_sq;
    }

    fn add_outputs(&mut self, chip: &[f32], digital: &[f32]) {
        self.values += chip.len() as u64;
        for (&y, &yd) in chip.iter().zip(digital) {
            let e = f64::from(y) - f64::from(yd);
            self.sum_error += e;
            self.sum_error_sq += e * e;
            self.sum_digital_sq += f64::from(yd) * f64::from(yd);
        }
    }

    /// `sqrt(sum (y - y_digital)^2 / sum y_digital^2)`: 0 when the layer reads
    /// exactly, 1 when its error is as large as its output (0 with no signal
    /// and no error; infinite when every digital output is 0 and some
    /// crossbar output is not).
    pub fn rel_rms_error(&self) -> f64 {
        ratio(self.sum_error_sq.sqrt(), self.sum_digital_sq.sqrt())
    }

    /// The mean error over the digital outputs' root mean square: the part of
    /// the error that is a systematic shift (negative: the chip reads low).
    pub fn rel_mean_error(&self) -> f64 {
        let n = self.values.max(1) as f64;
        ratio(self.sum_error / n, (self.sum_digital_sq / n).sqrt())
    }
}

/// `a / b`, 0 for `0 / 0`.
fn ratio(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// `max(v, 0)` as a comparison (`f32::max` is a call in the wasm build; the
/// sign of a zero does not matter: it quantizes to code 0).
#[inline(always)]
fn relu(v: f32) -> f32 {
    if v > 0.0 {
        v
    } else {
        0.0
    }
}

/// Buffers of one forward pass.
#[derive(Debug)]
struct Scratch {
    a: Vec<f32>,
    b: Vec<f32>,
    codes: Vec<u32>,
    drive: Vec<u32>,
    /// The previous output pixel's drives, and whether the chip being run
    /// reuses its results ([`ReadPaths::repeated_windows`]).
    prev_drive: Vec<u32>,
    repeats: bool,
    /// Whether weight layers compute every output pixel (the per-layer
    /// errors compare them all) or only those a later step reads
    /// ([`XbarLayer::used`]; the others keep what the buffer held).
    full: bool,
    /// Row by row: per input cycle its driven rows (`row | digit << 16`).
    driven: Vec<u32>,
    /// Row by row: how many rows (or groups) each cycle drives.
    lens: Vec<usize>,
    /// The grouped read's pixels ([`XbarLayer::run_grouped`]).
    grouped: GroupScratch,
    /// Row by row: per column, its shifted codes.
    codes_out: Vec<i64>,
    /// Row by row in `u16` lanes: per column, its shifted codes.
    codes_u32: Vec<u32>,
    /// Row by row: shift-and-add over slices, per column (`add_slices`).
    acc: Vec<i64>,
    col: Vec<f64>,
    planes: PlaneScratch,
}

impl Scratch {
    fn new(m: &PimModel) -> Self {
        let mut drive = 0;
        let mut drive_cycles = 0;
        let mut cycles = 0;
        let mut sums = 0;
        let mut col = 0;
        for l in m.xbar_layers() {
            drive = drive.max(l.rows);
            drive_cycles = drive_cycles.max(l.cycles * l.rows.min(m.knobs.crossbar_rows));
            cycles = cycles.max(l.cycles);
            sums = sums.max((l.cols * l.slices * 2).div_ceil(U16_TILE) * U16_TILE);
            col = col.max(l.cols);
        }
        Scratch {
            a: vec![0.0; m.act_len],
            b: vec![0.0; m.act_len],
            codes: vec![0; m.act_len],
            drive: vec![0; drive],
            prev_drive: vec![0; drive],
            repeats: false,
            full: false,
            driven: vec![0; drive_cycles],
            lens: vec![0; cycles],
            grouped: GroupScratch::default(),
            codes_out: vec![0; sums],
            codes_u32: vec![0; sums],
            acc: vec![0; col],
            col: vec![0.0; col],
            planes: PlaneScratch::default(),
        }
    }
}

/// Buffers of the grouped read's pixels ([`XbarLayer::run_grouped`]), per
/// pixel of a run of pixels: per row block its listed groups (`lists`), per
/// block and cycle their count and driven rows (`lens`, `rows`), per block
/// whether any cycle drives a row (`any`), the pixel it repeats or itself
/// (`src`), one block's shifted codes (`codes`) and the column results
/// (`cols`).
#[derive(Debug, Default)]
struct GroupScratch {
    lists: Vec<u32>,
    lens: Vec<usize>,
    rows: Vec<usize>,
    any: Vec<bool>,
    src: Vec<usize>,
    codes: Vec<u32>,
    cols: Vec<f64>,
}

/// The grouped read's runs of pixels: at most this many pixels, and at most
/// [`RUN_VALUES`] listed groups and shifted codes each, so a run's lists and
/// codes and one tile's grouped cells stay in a core's cache.
const RUN_PIXELS: usize = 64;

/// See [`RUN_PIXELS`].
const RUN_VALUES: usize = 1 << 15;

/// The effective integer weights of a layer read by the exact shortcut,
/// `rows x cols` ([`Chip::linear_layers`]).
#[derive(Debug, Clone)]
enum Linear {
    /// No column's products can add past `i32::MAX` (every shipped model).
    Narrow(Vec<i32>),
    Wide(Vec<i64>),
}

/// The integer type of the exact shortcut's product ([`XbarLayer::run_linear`]).
trait LinearAcc: Copy + Default + std::ops::AddAssign + std::ops::Mul<Output = Self> {
    /// A word line's drive (below `2^31` wherever `Self` is `i32`).
    fn from_drive(x: u32) -> Self;
    fn to_f64(self) -> f64;
}

impl LinearAcc for i32 {
    fn from_drive(x: u32) -> Self {
        x as i32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl LinearAcc for i64 {
    fn from_drive(x: u32) -> Self {
        i64::from(x)
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl XbarLayer {
    /// The effective weights when every conversion of this layer is exact
    /// ([`Chip::linear_layers`]), else `None`.
    fn linear_weights(&self, k: &PimKnobs, g: &[i32], inv: &[f64]) -> Option<Linear> {
        let one = 1i64 << crate::pim::CONDUCTANCE_FRACTION_BITS;
        if inv.iter().any(|&v| step_levels(v) != 1.0) || g.iter().any(|&v| i64::from(v) % one != 0)
        {
            return None;
        }
        let width = self.cols * self.slices * 2;
        let dmax = i64::from((1u32 << k.dac_bits) - 1);
        let top = max_code(k);
        for r0 in (0..self.rows).step_by(k.crossbar_rows) {
            let r1 = (r0 + k.crossbar_rows).min(self.rows);
            for w in 0..width {
                let s: i64 = (r0..r1).map(|r| i64::from(g[r * width + w])).sum();
                // The largest sum converts below the top code (one level is `one`).
                if s * dmax >= top * one {
                    return None;
                }
            }
        }
        let mut weff = vec![0i64; self.rows * self.cols];
        for r in 0..self.rows {
            for c in 0..self.cols {
                let mut v = 0i64;
                for j in 0..self.slices {
                    let w = r * width + (c * self.slices + j) * 2;
                    let levels = (i64::from(g[w]) - i64::from(g[w + 1])) / one;
                    v += levels << (j as u32 * k.cell_bits);
                }
                weff[r * self.cols + c] = v;
            }
        }
        // A drive is below 2^(cycles x dac_bits); where no column's products
        // can add past i32::MAX, the product runs in i32 (4 lanes per wasm
        // SIMD register, where i64 has 2 and no native multiply).
        let drive_bits = self.cycles as u32 * k.dac_bits;
        let xmax = if drive_bits >= 63 {
            i64::MAX
        } else {
            (1i64 << drive_bits) - 1
        };
        let narrow = (0..self.cols).all(|c| {
            let s: i64 = (0..self.rows).map(|r| weff[r * self.cols + c].abs()).sum();
            s.saturating_mul(xmax) <= i64::from(i32::MAX)
        });
        Some(if narrow {
            Linear::Narrow(weff.iter().map(|&v| v as i32).collect())
        } else {
            Linear::Wide(weff)
        })
    }

    /// [`XbarLayer::run`] for a layer whose conversions are all exact: one
    /// integer product per output pixel, in `T` (`i32` where
    /// [`XbarLayer::linear_weights`] found that no sum can overflow it).
    fn run_linear<T: LinearAcc>(&self, weff: &[T], s: &mut Scratch) {
        let Scratch {
            a,
            b,
            codes,
            drive,
            prev_drive,
            repeats,
            full,
            col,
            ..
        } = s;
        let n_in = self.f.c_in * self.f.h * self.f.w;
        self.f.quantize_input(&a[..n_in], &mut codes[..n_in]);
        let p_len = self.f.h_out * self.f.w_out;
        let [h_run, w_run] = self.extent(*full);
        let mut acc = vec![T::default(); self.cols];
        let (mut drive, mut prev) = (&mut drive[..self.rows], &mut prev_drive[..self.rows]);
        for u in &self.units {
            let mut have_prev = false;
            for oy in 0..h_run {
                for ox in 0..w_run {
                    self.drive(u, codes, oy, ox, drive);
                    // The previous pixel's drives: `col` still holds its result.
                    if !(*repeats && have_prev && drive == prev) {
                        acc.fill(T::default());
                        for (r, &x) in drive.iter().enumerate() {
                            if x == 0 {
                                continue;
                            }
                            let x = T::from_drive(x);
                            for (a, &wv) in acc.iter_mut().zip(&weff[r * self.cols..][..self.cols])
                            {
                                *a += x * wv;
                            }
                        }
                        for (cv, a) in col[..self.cols].iter_mut().zip(&acc) {
                            *cv = a.to_f64();
                        }
                        std::mem::swap(&mut drive, &mut prev);
                        have_prev = true;
                    }
                    self.write(u, col, oy, ox, p_len, b);
                }
            }
        }
    }

    /// The output rows and columns to compute: all of them, or those a later
    /// step reads ([`XbarLayer::used`]).
    fn extent(&self, full: bool) -> [usize; 2] {
        if full {
            [self.f.h_out, self.f.w_out]
        } else {
            self.used
        }
    }

    /// The drive of every word line of pattern `u` at output pixel `(oy, ox)`.
    fn drive(&self, u: &Unit, codes: &[u32], oy: usize, ox: usize, drive: &mut [u32]) {
        let (h, w) = (self.f.h, self.f.w);
        let (y0, x0) = (oy * self.f.stride, ox * self.f.stride);
        let k = self.f.k;
        // A window inside the input: every tap is at a fixed offset from its corner.
        if y0 >= self.f.pad
            && y0 + k <= h + self.f.pad
            && x0 >= self.f.pad
            && x0 + k <= w + self.f.pad
        {
            let base = (y0 - self.f.pad) * w + (x0 - self.f.pad);
            let codes = &codes[base..];
            if u.one_tap {
                for (d, &o) in drive[..self.rows].iter_mut().zip(&u.offsets) {
                    *d = codes[o as usize];
                }
                return;
            }
            let drive = &mut drive[..self.rows];
            match u.fan {
                1 => return drive_fixed::<1>(codes, &u.padded, drive),
                2 => return drive_fixed::<2>(codes, &u.padded, drive),
                3 => return drive_fixed::<3>(codes, &u.padded, drive),
                4 => return drive_fixed::<4>(codes, &u.padded, drive),
                _ => {}
            }
            let mut start = 0usize;
            for (d, &end) in drive[..self.rows].iter_mut().zip(&u.ends) {
                let end = end as usize;
                *d = u.offsets[start..end]
                    .iter()
                    .map(|&o| codes[o as usize])
                    .sum();
                start = end;
            }
            return;
        }
        for (d, taps) in drive[..self.rows].iter_mut().zip(&u.taps) {
            let mut v = 0u32;
            for &(ch, dy, dx) in taps {
                let y = (oy * self.f.stride + dy as usize).wrapping_sub(self.f.pad);
                let x = (ox * self.f.stride + dx as usize).wrapping_sub(self.f.pad);
                if y < h && x < w {
                    v += codes[(ch as usize * h + y) * w + x];
                }
            }
            *d = v;
        }
    }

    /// Dequantizes the column results of pattern `u` at one pixel into `b`.
    fn write(&self, u: &Unit, col: &[f64], oy: usize, ox: usize, p_len: usize, b: &mut [f32]) {
        let px = oy * self.f.w_out + ox;
        if let Some(out_of) = &u.out_of {
            for ((&cv, &o), &mul) in col.iter().zip(out_of).zip(&self.mul) {
                if o != usize::MAX {
                    let y = (cv as f32) * mul + self.bias[o];
                    b[o * p_len + px] = if self.relu { relu(y) } else { y };
                }
            }
            return;
        }
        for (c, outs) in u.outs.iter().enumerate() {
            let m = (col[c] as f32) * self.mul[c];
            for &o in outs {
                let y = m + self.bias[o];
                b[o * p_len + px] = if self.relu { relu(y) } else { y };
            }
        }
    }

    /// Quantizes the input `a`, then per pattern and output pixel drives the word
    /// lines, sums the columns into `col` by `read(block, rows, drive, outs, col)` per row
    /// block of `block_rows` rows, and writes the pixel into `b` (`[c_out, h_out,
    /// w_out]`). [`XbarLayer::run`] and [`XbarLayer::run_planes`] differ only in `read`.
    /// With `repeats`, a pixel whose drives equal the previous pixel's (of the
    /// same pattern) is written from the previous result without a read
    /// ([`ReadPaths::repeated_windows`]); `prev` holds those drives.
    #[allow(clippy::too_many_arguments)]
    fn sweep(
        &self,
        block_rows: usize,
        a: &[f32],
        b: &mut [f32],
        codes: &mut [u32],
        (drive, prev, repeats, full): (&mut [u32], &mut [u32], bool, bool),
        col: &mut [f64],
        mut read: impl FnMut(usize, std::ops::Range<usize>, &[u32], &[Vec<usize>], &mut [f64]),
    ) {
        let n_in = self.f.c_in * self.f.h * self.f.w;
        self.f.quantize_input(&a[..n_in], &mut codes[..n_in]);
        let p_len = self.f.h_out * self.f.w_out;
        let [h_run, w_run] = self.extent(full);
        let (mut drive, mut prev) = (&mut drive[..self.rows], &mut prev[..self.rows]);
        for u in &self.units {
            let mut have_prev = false;
            for oy in 0..h_run {
                for ox in 0..w_run {
                    self.drive(u, codes, oy, ox, drive);
                    // The previous pixel's drives: `col` still holds its result.
                    if !(repeats && have_prev && drive == prev) {
                        col[..self.cols].fill(0.0);
                        for (bi, r0) in (0..self.rows).step_by(block_rows).enumerate() {
                            let r1 = (r0 + block_rows).min(self.rows);
                            read(bi, r0..r1, &drive[r0..r1], &u.outs, &mut col[..self.cols]);
                        }
                        std::mem::swap(&mut drive, &mut prev);
                        have_prev = true;
                    }
                    self.write(u, col, oy, ox, p_len, b);
                }
            }
        }
    }

    /// `s.a` (input) -> `s.b` (`[c_out, h_out, w_out]`).
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        knobs: &PimKnobs,
        g: &Cells,
        g_max: i32,
        convs: &[Option<BlockConv>],
        inv_step: &[f64],
        wide: bool,
        s: &mut Scratch,
    ) {
        let Scratch {
            a,
            b,
            codes,
            drive,
            prev_drive,
            repeats,
            full,
            driven,
            lens,
            codes_out,
            codes_u32,
            acc,
            col,
            ..
        } = s;
        let width = self.cols * self.slices * 2;
        let top = max_code(knobs);
        self.sweep(
            knobs.crossbar_rows,
            a,
            b,
            codes,
            (drive, prev_drive, *repeats, *full),
            col,
            |bi, rows, drive, _, col| {
                let cells = rows.start * width..rows.end * width;
                let rd = Read {
                    drive,
                    width,
                    dac: knobs.dac_bits,
                    slices: self.slices,
                    cb: knobs.cell_bits,
                    inv: inv_step[bi],
                    top,
                };
                let lens = &mut lens[..self.cycles];
                if !rd.list(driven, lens) {
                    return;
                }
                let lens = &*lens;
                match g {
                    Cells::Narrow(g) => {
                        let g = &g[cells];
                        let conv = convs.get(bi).copied().flatten();
                        if knobs.dac_bits == 1
                            && !wide
                            && rd.block_u16(
                                &RowSrc { g, width },
                                conv,
                                u16_rows(g_max),
                                (lens, lens, drive.len()),
                                driven,
                                codes_u32,
                                acc,
                                col,
                            )
                        {
                            return;
                        }
                        let longest = lens.iter().max().copied().unwrap_or(0) as i64;
                        let dmax = i64::from((1u32 << knobs.dac_bits) - 1);
                        if longest * dmax * i64::from(g_max) <= i64::from(u16::MAX) {
                            rd.block::<u16, u16>(g, lens, driven, codes_out, acc, col);
                        } else if wide {
                            rd.block::<u16, i64>(g, lens, driven, codes_out, acc, col);
                        } else {
                            rd.block::<u16, i32>(g, lens, driven, codes_out, acc, col);
                        }
                    }
                    Cells::Wide(g) => {
                        let g = &g[cells];
                        if wide {
                            rd.block::<i32, i64>(g, lens, driven, codes_out, acc, col);
                        } else {
                            rd.block::<i32, i32>(g, lens, driven, codes_out, acc, col);
                        }
                    }
                }
            },
        );
    }

    /// [`XbarLayer::run`] for a layer with grouped cells
    /// ([`Chip::grouped_layers`]): the same reads ([`Read::block_u16`] with
    /// [`GroupSrc`]), ordered for the cache. Per run of pixels ([`RUN_PIXELS`])
    /// it lists every pixel's driven groups first, then reads tile by tile,
    /// every pixel of the run in turn, so one tile's grouped cells (16 subsets
    /// x 64 columns x 2 bytes per group: 72 KiB for 144 rows) are loaded once
    /// per run instead of once per pixel. Pixels whose drives repeat the
    /// previous pixel's take its result ([`ReadPaths::repeated_windows`]).
    #[allow(clippy::too_many_arguments)]
    fn run_grouped(
        &self,
        knobs: &PimKnobs,
        gc: &GroupCells,
        g_max: i32,
        convs: &[Option<BlockConv>],
        inv_step: &[f64],
        s: &mut Scratch,
    ) {
        let Scratch {
            a,
            b,
            codes,
            drive,
            prev_drive,
            repeats,
            full,
            acc,
            grouped: gs,
            ..
        } = s;
        let n_in = self.f.c_in * self.f.h * self.f.w;
        self.f.quantize_input(&a[..n_in], &mut codes[..n_in]);
        let p_len = self.f.h_out * self.f.w_out;
        // The pixels read, row-major over the extent (`pixel`: its position).
        let [h_run, w_run] = self.extent(*full);
        let n_run = h_run * w_run;
        let pixel = |p: usize| (p / w_run, p % w_run);
        let width = self.cols * self.slices * 2;
        let padded = width.div_ceil(U16_TILE) * U16_TILE;
        let cycles = self.cycles;
        let block_rows = knobs.crossbar_rows;
        // Per block: its rows, groups and where its lists start in a pixel's.
        let mut blocks = Vec::new();
        let mut per_pixel = 0;
        for r0 in (0..self.rows).step_by(block_rows) {
            let r1 = (r0 + block_rows).min(self.rows);
            let groups = (r1 - r0).div_ceil(GROUP);
            blocks.push((r0..r1, groups, per_pixel));
            per_pixel += cycles * groups;
        }
        let nb = blocks.len();
        let run = RUN_PIXELS
            .min(RUN_VALUES / per_pixel.max(1))
            .min(RUN_VALUES / padded)
            .clamp(1, n_run.max(1));
        gs.lists.resize(run * per_pixel, 0);
        gs.lens.resize(run * nb * cycles, 0);
        gs.rows.resize(run * nb * cycles, 0);
        gs.any.resize(run * nb, false);
        gs.src.resize(run, 0);
        gs.codes.resize(run * padded, 0);
        gs.cols.resize(run * self.cols, 0.0);
        let top = max_code(knobs);
        let most = u16_rows(g_max);
        let (mut drive, mut prev) = (&mut drive[..self.rows], &mut prev_drive[..self.rows]);
        for u in &self.units {
            let mut have_prev = false;
            for p0 in (0..n_run).step_by(run) {
                let n = run.min(n_run - p0);
                // Every pixel's drives and lists; a repeat of the previous
                // pixel (within the run) points at the pixel it repeats.
                for i in 0..n {
                    let (oy, ox) = pixel(p0 + i);
                    self.drive(u, codes, oy, ox, drive);
                    if *repeats && have_prev && i > 0 && drive == prev {
                        gs.src[i] = gs.src[i - 1];
                        continue;
                    }
                    gs.src[i] = i;
                    for (bi, (rows, groups, at)) in blocks.iter().enumerate() {
                        let k = (i * nb + bi) * cycles;
                        gs.any[i * nb + bi] = list_groups(
                            &drive[rows.clone()],
                            &mut gs.lists[i * per_pixel + at..][..cycles * groups],
                            &mut gs.lens[k..k + cycles],
                            &mut gs.rows[k..k + cycles],
                        );
                    }
                    std::mem::swap(&mut drive, &mut prev);
                    have_prev = true;
                }
                gs.cols[..n * self.cols].fill(0.0);
                for (bi, (_, groups, at)) in blocks.iter().enumerate() {
                    let src = GroupSrc {
                        cells: gc.block(bi),
                        tile_len: groups * SUBSETS * U16_TILE,
                    };
                    let rd = Read {
                        drive: &[],
                        width,
                        dac: 1,
                        slices: self.slices,
                        cb: knobs.cell_bits,
                        inv: inv_step[bi],
                        top,
                    };
                    let conv = convs.get(bi).copied().flatten();
                    let read = |i: usize| gs.src[i] == i && gs.any[i * nb + bi];
                    for tile in 0..padded / U16_TILE {
                        for i in (0..n).filter(|&i| read(i)) {
                            let k = (i * nb + bi) * cycles;
                            rd.tile_u16_into(
                                &src,
                                conv,
                                most,
                                (&gs.lens[k..k + cycles], &gs.rows[k..k + cycles], *groups),
                                &gs.lists[i * per_pixel + at..][..cycles * groups],
                                tile,
                                &mut gs.codes[i * padded + tile * U16_TILE..][..U16_TILE],
                            );
                        }
                    }
                    for i in (0..n).filter(|&i| read(i)) {
                        add_slices(
                            &gs.codes[i * padded..][..padded],
                            self.slices,
                            knobs.cell_bits,
                            step_levels(inv_step[bi]),
                            acc,
                            &mut gs.cols[i * self.cols..][..self.cols],
                        );
                    }
                }
                for i in 0..n {
                    let (oy, ox) = pixel(p0 + i);
                    let col = &gs.cols[gs.src[i] * self.cols..][..self.cols];
                    self.write(u, col, oy, ox, p_len, b);
                }
            }
        }
    }

    /// [`XbarLayer::run`] for a layer read by code tables
    /// ([`Chip::table_layers`]).
    fn run_tables(&self, knobs: &PimKnobs, t: &CodeTables, s: &mut Scratch) {
        let Scratch {
            a,
            b,
            codes,
            drive,
            prev_drive,
            repeats,
            full,
            codes_out,
            col,
            ..
        } = s;
        let cycles = self.cycles;
        self.sweep(
            knobs.crossbar_rows,
            a,
            b,
            codes,
            (drive, prev_drive, *repeats, *full),
            col,
            |bi, _, drive, outs, col| t.read_block(bi, drive, cycles, outs, codes_out, col),
        );
    }

    /// [`XbarLayer::run`] for a layer read by bit-planes
    /// ([`Chip::plane_layers`]): the same conversions, counted by popcounts.
    fn run_planes(&self, knobs: &PimKnobs, p: &PlaneLayer, s: &mut Scratch) {
        let Scratch {
            a,
            b,
            codes,
            drive,
            prev_drive,
            repeats,
            full,
            col,
            planes,
            ..
        } = s;
        p.fit(planes, self.cycles, knobs.dac_bits);
        let top = max_code(knobs);
        self.sweep(
            knobs.crossbar_rows,
            a,
            b,
            codes,
            (drive, prev_drive, *repeats, *full),
            col,
            |bi, _, drive, outs, col| {
                let rd = PlaneRead {
                    block: bi,
                    drive,
                    cycles: self.cycles,
                    dac: knobs.dac_bits,
                    slices: self.slices,
                    cb: knobs.cell_bits,
                    top,
                    outs,
                };
                p.read_block(&rd, planes, col);
            },
        );
    }
}

/// A column-sum accumulator: `u16` when no sum of a read can pass it, `i32`
/// when no sum of the layer can overflow it, else `i64` (narrower lanes are
/// faster).
trait Acc: Copy + Default + std::ops::AddAssign + std::ops::Mul<Output = Self> {
    /// A DAC digit (below `2^dac_bits`, at most 8 bits).
    fn digit(d: u32) -> Self;
    /// The ADC code of a column sum.
    fn code(self, inv: f64, top: i64) -> i64;
}
impl Acc for u16 {
    #[inline(always)]
    fn digit(d: u32) -> Self {
        d as u16
    }
    /// [`adc_code`] of the sum, as for `i32`.
    #[inline(always)]
    fn code(self, inv: f64, top: i64) -> i64 {
        let top = i32::try_from(top).unwrap_or(i32::MAX);
        i64::from(((f64::from(self) * inv + 0.5) as i32).clamp(0, top))
    }
}
impl Acc for i32 {
    #[inline(always)]
    fn digit(d: u32) -> Self {
        d as i32
    }
    /// [`adc_code`] of the sum (the same code: a sum converts within `i32`
    /// before the clamp, and saturates past it as `i64` would clamp).
    #[inline(always)]
    fn code(self, inv: f64, top: i64) -> i64 {
        let top = i32::try_from(top).unwrap_or(i32::MAX);
        i64::from(((f64::from(self) * inv + 0.5) as i32).clamp(0, top))
    }
}
impl Acc for i64 {
    #[inline(always)]
    fn digit(d: u32) -> Self {
        i64::from(d)
    }
    #[inline(always)]
    fn code(self, inv: f64, top: i64) -> i64 {
        adc_code(self, inv, top)
    }
}

/// One row block of one output pixel: the word lines' drives, their
/// conductance rows and how to read the columns.
struct Read<'a> {
    drive: &'a [u32],
    width: usize,
    dac: u32,
    slices: usize,
    cb: u32,
    inv: f64,
    top: i64,
}

impl Read<'_> {
    /// Lists the driven rows of every input cycle (`driven`, `row | digit <<
    /// 16`, `cycles x rows`) and how many each cycle has (`lens`, one per
    /// cycle); `false` when no cycle drives a row.
    fn list(&self, driven: &mut [u32], lens: &mut [usize]) -> bool {
        let (dac, n) = (self.dac, self.drive.len());
        if dac == 1 {
            list_bits(self.drive, driven, lens, |r| r as u32 | 1 << 16);
        } else {
            let dmask = (1u32 << dac) - 1;
            lens.fill(0);
            for (r, &x) in self.drive.iter().enumerate() {
                if x == 0 {
                    continue;
                }
                // Without a branch per digit, as `list_bits`.
                for (t, len) in lens.iter_mut().enumerate() {
                    let d = (x >> (t as u32 * dac)) & dmask;
                    driven[t * n + *len] = r as u32 | d << 16;
                    *len += usize::from(d != 0);
                }
            }
        }
        lens.iter().any(|&l| l != 0)
    }

    /// With the driven rows listed ([`Read::list`]), per tile of [`G_TILE`]
    /// columns and cycle sums the driven rows' conductances `g` (this block's,
    /// times the digit) in registers of `A`, converts every sum and adds the
    /// shifted codes (`codes`), and last adds every used column's codes, times
    /// the ADC step, to `col`. `A` must hold every sum of the read. Not
    /// inlined, as [`PlaneLayer::read_block`].
    #[inline(never)]
    fn block<G: Copy, A: Acc + From<G>>(
        &self,
        g: &[G],
        lens: &[usize],
        driven: &[u32],
        codes: &mut [i64],
        acc: &mut [i64],
        col: &mut [f64],
    ) {
        let (width, dac, n) = (self.width, self.dac, self.drive.len());
        let (inv, top) = (self.inv, self.top);
        for (tile, out) in codes[..width.div_ceil(G_TILE) * G_TILE]
            .chunks_exact_mut(G_TILE)
            .enumerate()
        {
            let c0 = tile * G_TILE;
            let w = G_TILE.min(width - c0);
            out.fill(0);
            for (t, &len) in lens.iter().enumerate() {
                if len == 0 {
                    continue;
                }
                let mut sum = [A::default(); G_TILE];
                let rows = &driven[t * n..][..len];
                if w == G_TILE && dac == 1 {
                    // Whole tile, digits of 1: plain additions in registers.
                    for &rd in rows {
                        let at = (rd & 0xffff) as usize * width + c0;
                        if let Some(src) = g[at..].first_chunk::<G_TILE>() {
                            for i in 0..G_TILE {
                                sum[i] += A::from(src[i]);
                            }
                        }
                    }
                } else {
                    for &rd in rows {
                        let (r, k) = ((rd & 0xffff) as usize, A::digit(rd >> 16));
                        let src = &g[r * width + c0..][..w];
                        for (s, &v) in sum.iter_mut().zip(src) {
                            *s += k * A::from(v);
                        }
                    }
                }
                let shift = t as u32 * dac;
                for (o, s) in out.iter_mut().zip(sum) {
                    *o += s.code(inv, top) << shift;
                }
            }
        }
        add_slices(codes, self.slices, self.cb, step_levels(self.inv), acc, col);
    }

    /// [`Read::block`] with a 1-bit DAC and `u16` conductances read from
    /// `src` (rows, or subsets of groups of rows: [`TileSrc`]), with per cycle
    /// `lens.0` entries listed (`driven`, `lens.2` apart) driving `lens.1`
    /// rows: a cycle of at most `most` driven rows (no sum can pass
    /// `u16::MAX`) is summed in `u16` lanes and converted by the block's
    /// multiply-add-shift where it has one (equal to `adc_code` on every
    /// `u16` sum, [`BlockConv`]), in `u32` lanes, else as `adc_code` in `f64`
    /// lanes; other cycles sum `most` rows at a time in `u16` lanes, add the
    /// parts in `u32` (no sum of a layer read this way can pass `i32::MAX`:
    /// [`Chip`]'s `wide` is false) and convert by the block's
    /// multiply-add-shift where it holds for every sum of the block, else as
    /// `adc_code`. `false` (nothing done) when the shifted codes of the
    /// read's cycles may not fit a `u32` ([`u16_codes_fit`]).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn block_u16<S: TileSrc>(
        &self,
        src: &S,
        conv: Option<BlockConv>,
        most: usize,
        (lens, rows, stride): (&[usize], &[usize], usize),
        driven: &[u32],
        codes: &mut [u32],
        acc: &mut [i64],
        col: &mut [f64],
    ) -> bool {
        let width = self.width;
        if !u16_codes_fit(self.top, lens.len()) {
            return false;
        }
        for (tile, out) in codes[..width.div_ceil(U16_TILE) * U16_TILE]
            .chunks_exact_mut(U16_TILE)
            .enumerate()
        {
            out.copy_from_slice(&self.tile_u16(
                src,
                conv,
                most,
                (lens, rows, stride),
                driven,
                tile,
            ));
        }
        add_slices(codes, self.slices, self.cb, step_levels(self.inv), acc, col);
        true
    }

    /// [`Read::tile_u16`] into `out`. Not inlined (inlined into
    /// [`XbarLayer::run_grouped`], its conversions were compiled partly
    /// scalar, through the stack: measured slower).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn tile_u16_into(
        &self,
        src: &GroupSrc,
        conv: Option<BlockConv>,
        most: usize,
        lens: (&[usize], &[usize], usize),
        driven: &[u32],
        tile: usize,
        out: &mut [u32],
    ) {
        out.copy_from_slice(&self.tile_u16(src, conv, most, lens, driven, tile));
    }

    /// One tile of [`Read::block_u16`]: the shifted codes of its
    /// [`U16_TILE`] columns summed over the cycles.
    #[inline(always)]
    fn tile_u16<S: TileSrc>(
        &self,
        src: &S,
        conv: Option<BlockConv>,
        most: usize,
        (lens, rows, stride): (&[usize], &[usize], usize),
        driven: &[u32],
        tile: usize,
    ) -> [u32; U16_TILE] {
        // Entries per u16 pass of a cycle of more than `most` rows.
        let per_pass = (most / S::ROWS).max(1);
        // Whether a sum of u16::MAX or more converts to the top code: then a
        // saturated lane's code is its true sum's (conversions are monotone).
        let sat_top = i32::from(u16::MAX).code(self.inv, self.top) == self.top;
        let mut acc = [0u32; U16_TILE];
        for (t, (&len, &n_rows)) in lens.iter().zip(rows).enumerate() {
            if len == 0 {
                continue;
            }
            let entries = &driven[t * stride..][..len];
            // A cycle of at most `most` rows sums in u16 lanes. A longer one
            // first sums in saturating u16 lanes: a lane below u16::MAX is
            // its column's exact sum (cells are never negative, so a lane
            // that saturates stays saturated). The row bound counts the
            // layer's largest conductance for every row, and a column's
            // cells are rarely all that: on the shipped MNIST models at sigma
            // 0.1, none of the 15-28 % of cycles past the bound saturated.
            // A saturated lane is exact after conversion where u16::MAX
            // converts to the top code (`sat_top`); elsewhere a cycle with
            // one sums again in passes. (Saturating adds only where needed:
            // in V8 they were slower than wrapping ones, measured.)
            let sum: [u16; U16_TILE] = if n_rows <= most {
                src.sum(entries, tile)
            } else {
                src.sum_sat(entries, tile)
            };
            if n_rows <= most || sat_top || sum.iter().fold(0, |m, &s| m.max(s)) < u16::MAX {
                if let Some(BlockConv { conv, .. }) = conv {
                    for (a, s) in acc.iter_mut().zip(sum) {
                        *a += conv.code(u32::from(s)) << t;
                    }
                } else {
                    for (a, s) in acc.iter_mut().zip(sum) {
                        *a += (i32::from(s).code(self.inv, self.top) as u32) << t;
                    }
                }
            } else {
                // In u16 lanes `per_pass` entries at a time, then in u32.
                let mut sum = [0u32; U16_TILE];
                for entries in entries.chunks(per_pass) {
                    let part: [u16; U16_TILE] = src.sum(entries, tile);
                    for (s, p) in sum.iter_mut().zip(part) {
                        *s += u32::from(p);
                    }
                }
                match conv {
                    Some(BlockConv { conv, whole: true }) => {
                        for (a, s) in acc.iter_mut().zip(sum) {
                            *a += conv.code(s) << t;
                        }
                    }
                    _ => {
                        for (a, s) in acc.iter_mut().zip(sum) {
                            // Below i32::MAX (see above).
                            *a += ((s as i32).code(self.inv, self.top) as u32) << t;
                        }
                    }
                }
            }
        }
        acc
    }
}

/// How many rows of `u16` conductances (at most `g_max` each) sum without
/// passing `u16::MAX` ([`Read::block_u16`]'s `most`).
fn u16_rows(g_max: i32) -> usize {
    usize::from(u16::MAX / u16::try_from(g_max.max(1)).unwrap_or(u16::MAX))
}

/// Whether the shifted codes of `cycles` cycles of an ADC whose top code is
/// `top` fit a `u32` ([`Read::block_u16`]).
fn u16_codes_fit(top: i64, cycles: usize) -> bool {
    cycles < 32 && (top << cycles) <= i64::from(u32::MAX)
}

/// Where [`Read::block_u16`] reads a tile's sums from.
trait TileSrc {
    /// The most rows one entry adds.
    const ROWS: usize;
    /// The sums of tile `tile`'s [`U16_TILE`] columns over the listed
    /// entries, in lanes of `A`, which must hold every sum (or saturate).
    fn sum<A: Lane>(&self, entries: &[u32], tile: usize) -> [A; U16_TILE];

    /// [`TileSrc::sum`] in `u16` lanes that saturate: `min(sum, u16::MAX)`.
    #[inline(always)]
    fn sum_sat(&self, entries: &[u32], tile: usize) -> [u16; U16_TILE] {
        self.sum::<Sat16>(entries, tile).map(|s| s.0)
    }
}

/// A lane of [`TileSrc::sum`].
trait Lane: Copy + Default + std::ops::AddAssign + From<u16> {}

impl<T: Copy + Default + std::ops::AddAssign + From<u16>> Lane for T {}

/// A `u16` lane whose additions saturate at `u16::MAX`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(transparent)]
struct Sat16(u16);

impl From<u16> for Sat16 {
    fn from(v: u16) -> Self {
        Sat16(v)
    }
}

impl std::ops::AddAssign for Sat16 {
    #[inline(always)]
    fn add_assign(&mut self, v: Self) {
        self.0 = self.0.saturating_add(v.0);
    }
}

/// Rows of conductances (`width` columns): entries `row | 1 << 16`.
struct RowSrc<'a> {
    g: &'a [u16],
    width: usize,
}

impl TileSrc for RowSrc<'_> {
    const ROWS: usize = 1;

    #[inline(always)]
    fn sum<A: Lane>(&self, rows: &[u32], tile: usize) -> [A; U16_TILE] {
        let (g, width) = (self.g, self.width);
        let c0 = tile * U16_TILE;
        let w = U16_TILE.min(width - c0);
        let mut sum = [A::default(); U16_TILE];
        if w == U16_TILE {
            // Whole tiles: the sums stay in registers.
            for &rd in rows {
                let at = (rd & 0xffff) as usize * width + c0;
                let src = &g[at..at + U16_TILE];
                for i in 0..U16_TILE {
                    sum[i] += A::from(src[i]);
                }
            }
        } else {
            for &rd in rows {
                let at = (rd & 0xffff) as usize * width + c0;
                for (s, &v) in sum.iter_mut().zip(&g[at..][..w]) {
                    *s += A::from(v);
                }
            }
        }
        sum
    }
}

/// One row block's grouped cells ([`GroupCells`]), `tile_len` entries per
/// tile: entries `group * 16 + subset` ([`list_groups`]).
struct GroupSrc<'a> {
    cells: &'a [u16],
    tile_len: usize,
}

impl TileSrc for GroupSrc<'_> {
    const ROWS: usize = GROUP;

    // Not inlined: in wasm, V8 keeps the sums in registers in a small
    // function; inlined into `block_u16` the grouped read was no faster than
    // the row read (measured), not inlined 12-17 % faster than it.
    #[inline(never)]
    fn sum<A: Lane>(&self, entries: &[u32], tile: usize) -> [A; U16_TILE] {
        let cells = &self.cells[tile * self.tile_len..][..self.tile_len];
        let mut sum = [A::default(); U16_TILE];
        for &e in entries {
            let at = e as usize * U16_TILE;
            let src = &cells[at..at + U16_TILE];
            for i in 0..U16_TILE {
                sum[i] += A::from(src[i]);
            }
        }
        sum
    }
}

/// Columns of one tile of the row-by-row read: 32 sums (two 512-bit or eight
/// 128-bit registers of `i32`) and their 32 codes.
const G_TILE: usize = 32;

/// Columns of one tile of the row-by-row read in `u16` lanes
/// ([`Read::block_u16`]): 64 sums (eight 128-bit registers).
pub(crate) const U16_TILE: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pim::cell::adc_code;

    /// A max pool reads `(h / k) * k` rows and columns of the layer before it:
    /// the MNIST CNN's third convolution (7x7, then a 2x2 pool) computes 6x6
    /// of its pixels, the other layers all of theirs; the per-layer errors
    /// compute every pixel. (That the logits stay the reference's is
    /// `tests/pim.rs`'s.)
    #[test]
    fn layers_compute_only_the_pixels_a_later_pool_reads() {
        let bytes = include_bytes!("../../../models/mnist-cnn-dense-8b.safetensors");
        let m = crate::model::Model::from_bytes(bytes).unwrap();
        let pm = PimModel::new(&m, &PimKnobs::default()).unwrap();
        let extents: Vec<_> = pm
            .xbar_layers()
            .map(|l| (l.extent(false), l.extent(true)))
            .collect();
        assert_eq!(
            extents,
            [
                ([28, 28], [28, 28]),
                ([14, 14], [14, 14]),
                ([6, 6], [7, 7]),
                ([1, 1], [1, 1])
            ]
        );
    }

    fn assert_equals_adc_code(c: Conversion, inv: f64, top: i64, sums: impl Iterator<Item = u32>) {
        for n in sums {
            assert_eq!(
                i64::from(c.code(n)),
                adc_code(i64::from(n), inv, top),
                "sum {n}"
            );
        }
    }

    #[test]
    fn block_conversions_cover_every_sum_of_the_block_or_say_they_do_not() {
        let k = PimKnobs {
            adc_bits: 6,
            ..PimKnobs::preset("mnsim2").unwrap()
        };
        let (inv, top) = (adc_inv_step(&k, 256), max_code(&k));
        // Sigma 0.1: the largest conductance is about 1,700 units, so a
        // 256-row block sums up to 435,200.
        let c = BlockConv::fit(inv, top, 256, 1700).unwrap();
        assert!(c.whole);
        assert_equals_adc_code(c.conv, inv, top, (0..=256 * 1700).step_by(11));
        // Sums that can pass 2^20: a conversion of `u16` sums only (longer
        // cycles convert in f64).
        let c = BlockConv::fit(inv, top, 256, 60_000).unwrap();
        assert!(!c.whole);
        assert_equals_adc_code(c.conv, inv, top, 0..=u32::from(u16::MAX));
    }
}
