//! The cost model: mapping counts -> area, latency (event-driven pixel pipeline),
//! power and energy, in either accounting (docs/mnsim-model.md, mapping to area, for
//! `mnsim`; docs/simulator.md for `physical`).
//!
//! Internally every quantity is a plain `f64` in µm², ns, mW or pJ; the report wraps
//! them in the unit newtypes.

use super::config::{Arch, BufSize, CellType};
use super::mapping::{Accounting, LayerMap};
use super::placement::{distances, position, Cell};
use super::plan::{map_planned, LayerPlan, NetworkPlan};
use super::report::{
    AccumulatorReport, Details, LayerReport, MappingReport, Parts, SimReport, Totals,
};
use super::tech;
use crate::nets::{Layer, Network, Op};
use crate::units::{AreaUm2, EnergyPj, PowerMw, TimeNs};
use crate::{Error, Result};

type P = Parts<f64>;

/// Most pixel events per simulation (one `f64` finish time each).
const MAX_EVENTS: u64 = 1 << 26;

/// Constants derived from the hardware description
/// (docs/mnsim-model.md#derived-constants, docs/mnsim-model.md#component-tables).
struct Hw {
    n_sub: f64,
    dac_g: f64,
    adc_g: f64,
    demux: u64,
    mux: u64,
    xb: f64,
    npe: u64,
    t_clk: f64,
    adc: tech::AdcSpec,
    dac: tech::DacSpec,
    t_xbar: f64,
    t_dec: f64,
    t_mux: f64,
    p_cell: f64,
    p_reg: f64,
    a_reg: f64,
    p_sr: f64,
    a_sr: f64,
    p_jm: f64,
    a_jm: f64,
    p_add8: f64,
    a_add8: f64,
    p_pool: f64,
    a_pool: f64,
    p_demux: f64,
    a_demux: f64,
    p_mux: f64,
    a_mux: f64,
    buf_w_bits: f64,
    cycle: f64,
}

impl Hw {
    fn new(a: &Arch) -> Result<Self> {
        let r = f64::from(a.crossbar.rows);
        let s = f64::from(a.crossbar.subarray_rows);
        let c = u64::from(a.crossbar.cols);
        let n_dac = u64::from(a.pe.dacs_per_subarray);
        let n_adc = u64::from(a.pe.adcs_per_subarray);
        let n_sub = r / s;
        let demux = u64::from(a.crossbar.subarray_rows).div_ceil(n_dac);
        let mux = c.div_ceil(n_adc);
        let tt = a.crossbar.transistor_tech_nm;
        let (p_reg, a_reg) = tech::reg(a.digital.reg_tech_nm);
        let (p_sr, a_sr) = tech::shiftreg(a.digital.shiftreg_tech_nm);
        let (p_jm, a_jm) = tech::jointmodule(a.digital.jointmodule_tech_nm);
        let (p_pool, a_pool) =
            tech::pooling(a.tile.pool_tech_nm, a.tile.pool_window, a.tile.pool_units);
        let (p_demux, a_demux) = tech::selector(demux, tt);
        let (p_mux, a_mux) = tech::selector(mux, tt);
        Ok(Hw {
            n_sub,
            dac_g: n_dac as f64 * n_sub,
            adc_g: n_adc as f64 * n_sub,
            demux,
            mux,
            xb: if a.pe.polarity == 2 { 2.0 } else { 1.0 },
            npe: u64::from(a.tile.pes_x) * u64::from(a.tile.pes_y),
            t_clk: 1000.0 / a.digital.clock_mhz,
            adc: tech::adc(a.interface.adc_choice)?,
            dac: tech::dac(a.interface.dac_choice)?,
            t_xbar: tech::xbar_read_latency(
                a.device.read_latency_ns,
                a.crossbar.rows,
                a.crossbar.cols,
            )
            .value(),
            t_dec: tech::mux_levels(demux) as f64 * tech::DEMUX_LEVEL_NS,
            t_mux: tech::mux_levels(mux) as f64 * tech::MUX_LEVEL_NS,
            p_cell: tech::cell_read_power(
                a.device.read_voltage_min_v,
                a.device.read_voltage_max_v,
                a.device.hrs_ohm,
                a.device.lrs_ohm,
            )
            .value(),
            p_reg: p_reg.value(),
            a_reg: a_reg.value(),
            p_sr: p_sr.value(),
            a_sr: a_sr.value(),
            p_jm: p_jm.value(),
            a_jm: a_jm.value(),
            p_add8: tech::adder_power(a.digital.adder_tech_nm, 8).value(),
            a_add8: tech::adder_area(a.digital.adder_tech_nm, 8).value(),
            p_pool: p_pool.value(),
            a_pool: a_pool.value(),
            p_demux: p_demux.value(),
            a_demux: a_demux.value(),
            p_mux: p_mux.value(),
            a_mux: a_mux.value(),
            buf_w_bits: f64::from(a.buffer.bitwidth_bits),
            cycle: a.buffer.cycle_ns,
        })
    }

    /// Buffer access time for `bytes`: whole bus words x the buffer cycle.
    fn lat(&self, bytes: f64) -> f64 {
        (bytes * 8.0 / self.buf_w_bits).ceil() * self.cycle
    }

    /// Bus words moved for `bytes` (the access count).
    fn words(&self, bytes: f64) -> f64 {
        (bytes * 8.0 / self.buf_w_bits).ceil()
    }
}

/// One SRAM buffer instance: size, per-access energies, powers, area.
#[derive(Debug, Clone, Copy, Default)]
struct Buf {
    kb: f64,
    read_pj: f64,
    write_pj: f64,
    leak_mw: f64,
    p_read: f64,
    p_write: f64,
    area: f64,
}

fn buffer(kb: f64, arch: &Arch, what: &str) -> Result<Buf> {
    let e = tech::sram(kb, arch.buffer.bitwidth_bits, arch.buffer.tech_nm).ok_or_else(|| {
        Error::invalid(
            "buffer.bitwidth_bits",
            format!(
                "no SRAM table entry for a {kb} KB {what} with a {}-bit bus (2 KB buffers allow <= 256 bits)",
                arch.buffer.bitwidth_bits
            ),
        )
    })?;
    let (p_read, p_write) = if kb > 0.0 {
        (
            e.read_pj / arch.buffer.cycle_ns + e.leak_mw,
            e.write_pj / arch.buffer.cycle_ns + e.leak_mw,
        )
    } else {
        (0.0, 0.0)
    };
    Ok(Buf {
        kb,
        read_pj: e.read_pj,
        write_pj: e.write_pj,
        leak_mw: e.leak_mw,
        p_read,
        p_write,
        area: e.area_um2,
    })
}

/// 2^ceil(log2(x)) / 1024, with MNSIM's ln/ln2 rounding.
fn pow2_kb(bytes: f64) -> f64 {
    if bytes <= 0.0 {
        return 0.0;
    }
    2f64.powf((bytes.ln() / 2f64.ln()).ceil()) / 1024.0
}

/// Where a layer sits: its tiles and the derived per-tile quantities.
#[derive(Debug, Clone, Default)]
struct Place {
    start: u64,
    tiles: u64,
    max_pe: u64,
    cells: Vec<Cell>,
}

/// The per-event latency parts of a layer for each pixel case, and the events.
struct Events {
    /// (count, parts, duration) per case.
    cases: Vec<(u64, P, f64)>,
    /// Buffer bytes per case: (PE in write, PE in read, out write, out read) for physical energy.
    traffic: Vec<[f64; 4]>,
}

impl Events {
    /// The cases with the buffer bytes of each: its own PE-input `(write, read)`
    /// bytes, then the layer's `[out write, out read]` bytes, the same for every case.
    fn new(cases: Vec<(u64, P, f64)>, traffic: &[[f64; 2]], out_bytes: [f64; 2]) -> Self {
        Events {
            cases,
            traffic: traffic
                .iter()
                .map(|t| [t[0], t[1], out_bytes[0], out_bytes[1]])
                .collect(),
        }
    }
}

/// PE and joint-module latency terms of one conv/fc event (docs/mnsim-model.md#pe-terms,
/// docs/mnsim-model.md#tile-terms); also returns `multiple_time`.
fn conv_like_terms(hw: &Hw, m: &LayerMap, max_pe: u64, a_bits: u32) -> (P, f64) {
    let r = m.max_row as f64;
    let c = m.max_col as f64;
    let b = f64::from(a_bits);
    let rs = (r / hw.dac_g).ceil();
    let cs = (c / (hw.adc_g / hw.n_sub)).ceil();
    let mt = (b / f64::from(hw.dac.bits)).ceil() * rs * cs;
    let t = hw.t_clk;
    let g = m.max_group.max(1) as f64;
    let mut p = P {
        xbar: mt * hw.t_xbar,
        dac: mt * hw.dac.latency_ns,
        adc: mt * hw.adc.latency_ns,
        ireg: rs * cs * t + mt * t,
        shiftreg: mt * t,
        input_demux: mt * hw.t_dec,
        adder: cs * g.log2().ceil() * t,
        output_mux: mt * hw.t_mux,
        oreg: cs * t,
        ..P::default()
    };
    let lev = (max_pe as f64).log2().ceil();
    p.jointmodule = lev * t;
    (p, mt)
}

/// The schedule of one layer's events.
struct LayerTiming {
    /// Finish time of every event (one per output pixel; `out_features` copies for fc).
    finish: Vec<f64>,
    /// Latest finish.
    last: f64,
    /// Finish of the first event.
    first_finish: f64,
    /// Busy fraction of [first begin, last finish].
    occupancy: f64,
}

/// Which of the per-layer event kinds output pixel (i, j) is
/// (docs/mnsim-model.md#line-buffer-traffic, docs/mnsim-model.md#pooling-events): conv
/// has four line-buffer cases, pooling three (no special first row), add and fc one.
fn pixel_case(op: &Op, i: usize, j: usize) -> usize {
    match op {
        Op::Conv(_) => match (i > 0, j > 0) {
            (false, false) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (true, true) => 3,
        },
        Op::Pool { .. } => {
            if j > 0 {
                2
            } else if i > 0 {
                1
            } else {
                0
            }
        }
        Op::Fc { .. } | Op::Add { .. } => 0,
    }
}

/// Raster index, in a producer output of `h x w`, of the pixel that completes the
/// receptive field of output (i, j) (docs/mnsim-model.md#pipeline): the last row
/// and column the window touches, clipped to the input. A 1x1 conv uses MNSIM's
/// unclipped `i·s·w + j·s`.
fn need(
    i: usize,
    j: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    h: usize,
    w: usize,
) -> usize {
    if kernel == 1 {
        return i * stride * w + j * stride;
    }
    let a = kernel.saturating_sub(padding).max(1);
    ((a + stride * i).min(h) - 1) * w + (a + stride * j).min(w) - 1
}

/// Schedules layer `l`'s events after its producers (`finish[p]` for every earlier
/// layer): each starts when its producers' needed pixels and its own previous event
/// are done (docs/mnsim-model.md#pipeline).
fn schedule_layer(net: &Network, l: usize, ev: &Events, finish: &[Vec<f64>]) -> LayerTiming {
    let layer = &net.layers[l];
    let producers: Vec<usize> = layer
        .inputs
        .iter()
        .filter_map(|&o| net.producer(l, o))
        .collect();
    let (oh, ow) = (layer.out_shape.h, layer.out_shape.w);
    let mut fin: Vec<f64>;
    let (mut first_begin, mut busy_union) = (0.0, 0.0);
    if let Op::Fc { out_features, .. } = layer.op {
        // One event, after the producers' last elements.
        let mut ready: f64 = 0.0;
        for &p in &producers {
            ready = ready.max(finish[p].last().copied().unwrap_or(0.0));
        }
        let f = ev.cases[0].2 + ready;
        fin = vec![f; out_features];
        first_begin = ready;
        busy_union = f - ready;
    } else {
        fin = Vec::with_capacity(oh * ow);
        let (k, s, p) = match layer.op {
            Op::Conv(g) => (g.kernel, g.stride, g.padding),
            Op::Pool {
                kernel,
                stride,
                padding,
                ..
            } => (kernel, stride, padding),
            _ => (1, 1, 0),
        };
        let is_add = matches!(layer.op, Op::Add { .. });
        let (h_in, w_in) = (layer.in_shape.h, layer.in_shape.w);
        let mut prev = 0.0;
        let (mut lo, mut hi) = (0.0, 0.0);
        for i in 0..oh {
            for j in 0..ow {
                let d = ev.cases[pixel_case(&layer.op, i, j)].2;
                let q = if is_add {
                    i * ow + j
                } else {
                    need(i, j, k, s, p, h_in, w_in)
                };
                let mut ready: f64 = 0.0;
                for &pr in &producers {
                    let list = &finish[pr];
                    if let Some(v) = list.get(q.min(list.len().saturating_sub(1))) {
                        ready = ready.max(*v);
                    }
                }
                let bgn = if ready > prev { ready } else { prev };
                let f = d + bgn;
                // Occupancy: merge the (already sorted) busy intervals on the fly.
                if fin.is_empty() {
                    first_begin = bgn;
                    lo = bgn;
                    hi = f;
                } else if bgn > hi {
                    busy_union += hi - lo;
                    lo = bgn;
                    hi = f;
                } else if f > hi {
                    hi = f;
                }
                fin.push(f);
                prev = f;
            }
        }
        busy_union += hi - lo;
    }
    let last = fin.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let first_finish = fin.first().copied().unwrap_or(0.0);
    let occupancy = match layer.op {
        Op::Fc { .. } => 1.0,
        _ if last - first_begin > 0.0 => busy_union / (last - first_begin),
        _ => 1.0,
    };
    LayerTiming {
        finish: fin,
        last,
        first_finish,
        occupancy,
    }
}

/// The element-wise add's reference input: its first input that is not itself an add
/// (`src` in docs/mnsim-model.md#buffer-sizes-and-the-global-accumulator).
fn src_of(net: &Network, l: usize) -> Option<usize> {
    let layer = &net.layers[l];
    let ps: Vec<usize> = layer
        .inputs
        .iter()
        .filter_map(|&o| net.producer(l, o))
        .collect();
    ps.iter()
        .copied()
        .find(|&p| !matches!(net.layers[p].op, Op::Add { .. }))
        .or_else(|| ps.first().copied())
}

/// What every layer's event construction needs.
struct Ctx<'a> {
    hw: &'a Hw,
    arch: &'a Arch,
    /// Activation bits per layer.
    a_bits: &'a [u32],
}

/// The per-event latency parts and durations of layer `l`, one entry per pixel case
/// (docs/mnsim-model.md#event-latency), with the buffer traffic of each case.
fn layer_events(
    ctx: &Ctx,
    net: &Network,
    l: usize,
    m: &LayerMap,
    pl: &Place,
    hops: (f64, f64),
) -> Events {
    let layer = &net.layers[l];
    let a_bits = ctx.a_bits[l];
    match layer.op {
        Op::Conv(_) | Op::Fc { .. } => conv_like_events(ctx, layer, a_bits, m, pl, hops),
        Op::Pool {
            kernel,
            stride,
            padding,
            ..
        } => pool_events(ctx, layer, a_bits, (kernel, stride, padding), hops.1),
        Op::Add { n_inputs } => add_events(ctx, net, l, n_inputs, hops.1),
    }
}

/// The crossbar activation and the tile's partial-sum path of an epitome layer run
/// once per round: their latency parts times `rounds`.
fn repeat_per_round(base: &mut P, rounds: f64) {
    for v in [
        &mut base.xbar,
        &mut base.dac,
        &mut base.adc,
        &mut base.ireg,
        &mut base.shiftreg,
        &mut base.input_demux,
        &mut base.adder,
        &mut base.output_mux,
        &mut base.oreg,
        &mut base.jointmodule,
        &mut base.intra_tile,
    ] {
        *v *= rounds;
    }
}

/// Table lookups: one access of the input-side tables (IFAT and IFRT read in
/// parallel, or a pruned layer's input index) before the DACs and one of the
/// output-side table after the ADCs, per round.
fn table_lookup_ns(hw: &Hw, m: &LayerMap, rounds: u64) -> f64 {
    let t_in = if m.tables[0].read_bits > 0 || m.tables[1].read_bits > 0 {
        hw.cycle
    } else {
        0.0
    };
    let t_out = if m.tables[2].read_bits > 0 {
        hw.cycle
    } else {
        0.0
    };
    rounds as f64 * (t_in + t_out)
}

/// Events of a conv or fc layer: the PE, tile and merge terms, then one case per
/// pixel position (conv) or a single case (fc).
fn conv_like_events(
    ctx: &Ctx,
    layer: &Layer,
    a_bits: u32,
    m: &LayerMap,
    pl: &Place,
    (gather, send): (f64, f64),
) -> Events {
    let (hw, arch) = (ctx.hw, ctx.arch);
    let b = f64::from(a_bits);
    let bw_e = arch.tile.inter_tile_bandwidth_gbps;
    let bw_i = arch.tile.intra_tile_bandwidth_gbps;
    // Wrapped inputs summed before the DAC need extra input bits (IFRT).
    let (mut base, _mt) =
        conv_like_terms(hw, m, pl.max_pe, a_bits.saturating_add(m.extra_input_bits));
    let c = m.max_col as f64;
    let m_pe = pl.max_pe as f64;
    let lev = m_pe.log2().ceil();
    let ltot = (hw.npe as f64).log2().ceil();
    let adc_bits = f64::from(hw.adc.bits);
    base.intra_tile = (ltot * (adc_bits + lev) - lev * (lev + 1.0) / 2.0) * c / bw_i;
    let out_w_bytes = (adc_bits + lev) * c * m_pe / 8.0;
    let out_r_bytes = c * b * m_pe / 8.0;
    let mut tile_w = hw.lat(out_w_bytes);
    // An epitome layer repeats the crossbar activation and the tile's partial-sum
    // path once per round (ceil(patterns / rep)); inputs arrive and results
    // leave once per pixel.
    let rounds = m.rounds.max(1);
    if rounds > 1 {
        let k = rounds as f64;
        repeat_per_round(&mut base, k);
        tile_w *= k;
    }
    if m.has_tables() {
        base.tables = table_lookup_ns(hw, m, rounds);
    }
    let tile_r = hw.lat(out_r_bytes);
    let c_out = layer.out_shape.c as f64;
    base.merge = tile_r + gather * (hw.t_clk + c * m_pe * b / bw_e);
    base.transfer = send * (c_out * b / bw_e);
    let computing = base.dac + base.xbar + base.adc;
    let pe_digital =
        base.ireg + base.shiftreg + base.input_demux + base.adder + base.output_mux + base.oreg;
    let event = |indata: f64, rdata: f64| -> (P, f64) {
        let pe_w = hw.lat(indata);
        let pe_r = hw.lat(rdata);
        let pe_latency = pe_w + pe_r + computing + pe_digital;
        let tile_latency = pe_latency + base.jointmodule + base.intra_tile + tile_w + base.tables;
        let d = tile_latency + base.merge + base.transfer;
        let mut p = base;
        p.buffer_read = tile_r + pe_r;
        p.buffer_write = tile_w + pe_w;
        (p, d)
    };
    let (traffic, counts) = match layer.op {
        Op::Conv(geom) => {
            let k = geom.kernel as f64;
            let s = geom.stride as f64;
            let kp = (k - geom.padding as f64).max(0.0);
            let cpe = m.max_row as f64 / (k * k);
            let row = m.max_row as f64 * b / 8.0;
            let skc = s * k * cpe * b / 8.0;
            let traffic = vec![
                [cpe * kp * kp * b / 8.0, row],
                [cpe * s * kp * b / 8.0, row],
                [cpe * s * k * b / 8.0, skc],
                [cpe * s * s * b / 8.0, skc],
            ];
            let (oh1, ow1) = (
                (layer.out_shape.h - 1) as u64,
                (layer.out_shape.w - 1) as u64,
            );
            (traffic, vec![1, oh1, ow1, oh1 * ow1])
        }
        _ => {
            let bytes = m.max_row as f64 * b / 8.0;
            (vec![[bytes, bytes]], vec![1])
        }
    };
    let cases = counts
        .iter()
        .zip(&traffic)
        .map(|(&cnt, tr)| {
            let (p, d) = event(tr[0], tr[1]);
            (cnt, p, d)
        })
        .collect();
    Events::new(cases, &traffic, [out_w_bytes, out_r_bytes])
}

/// Events of a pooling layer: one case per pixel position.
fn pool_events(
    ctx: &Ctx,
    layer: &Layer,
    a_bits: u32,
    (kernel, stride, padding): (usize, usize, usize),
    send: f64,
) -> Events {
    let (hw, arch) = (ctx.hw, ctx.arch);
    let b = f64::from(a_bits);
    let bw_e = arch.tile.inter_tile_bandwidth_gbps;
    let (oh, ow) = (layer.out_shape.h, layer.out_shape.w);
    let c_in = layer.in_shape.c as f64;
    let c_out = layer.out_shape.c as f64;
    let k = kernel as f64;
    let s = stride as f64;
    let kp = (k - padding as f64).max(0.0);
    let unit = arch.tile.pool_step_latency_ns
        * (c_in / f64::from(arch.tile.pool_units)).ceil()
        * (k * k / f64::from(arch.tile.pool_window)).ceil();
    let out_w_bytes = c_in * b / 8.0;
    let out_r_bytes = c_out * b / 8.0;
    let out_w = hw.lat(out_w_bytes);
    let out_r = hw.lat(out_r_bytes);
    let transfer = send * (c_out * b / bw_e);
    let traffic = [
        [c_in * kp * kp * b / 8.0, c_in * k * k * b / 8.0],
        [c_in * s * kp * b / 8.0, c_in * k * k * b / 8.0],
        [c_in * s * s * b / 8.0, s * k * c_in * b / 8.0],
    ];
    let counts = [1, (oh - 1) as u64, (oh * (ow - 1)) as u64];
    let cases = counts
        .iter()
        .zip(&traffic)
        .map(|(&cnt, tr)| {
            let in_w = hw.lat(tr[0]);
            let in_r = hw.lat(tr[1]);
            let pool_latency = in_w + in_r + unit + out_r + out_w;
            let d = pool_latency + out_r + transfer;
            let p = P {
                buffer_read: in_r + out_r,
                buffer_write: in_w + out_w,
                pooling: unit,
                merge: out_r,
                transfer,
                ..P::default()
            };
            (cnt, p, d)
        })
        .collect();
    Events::new(cases, &traffic, [out_w_bytes, out_r_bytes])
}

/// Events of an element-wise add: one case for every output pixel.
fn add_events(ctx: &Ctx, net: &Network, l: usize, n_inputs: usize, send: f64) -> Events {
    let (hw, arch) = (ctx.hw, ctx.arch);
    let layer = &net.layers[l];
    let b = f64::from(ctx.a_bits[l]);
    let bw_e = arch.tile.inter_tile_bandwidth_gbps;
    let src = src_of(net, l);
    let ch = src.map_or(layer.in_shape.c, |p| net.layers[p].out_shape.c) as f64;
    let transfer = send * (ch * b / bw_e);
    let bytes = n_inputs as f64 * b * ch / 8.0;
    let gl = hw.lat(bytes);
    let add_t = arch.digital.add_latency_ns;
    let d = add_t + 0.0 + transfer + gl + gl;
    let p = P {
        buffer_read: gl,
        buffer_write: gl,
        accumulator: add_t,
        transfer,
        ..P::default()
    };
    let pixels = (layer.out_shape.h * layer.out_shape.w) as u64;
    Events::new(vec![(pixels, p, d)], &[[bytes, bytes]], [0.0, 0.0])
}

/// Simulates `net` on `arch`, every layer dense.
pub fn evaluate(net: &Network, arch: &Arch, accounting: Accounting) -> Result<SimReport> {
    evaluate_plan(net, arch, accounting, &NetworkPlan::default())
}

/// Simulates `net` on `arch` with a per-layer plan (dense, epitome or pruned layers,
/// per-layer bits): map, place, size the buffers, build the tile, run the pixel
/// pipeline, then account area, power and energy per layer and in total.
pub fn evaluate_plan(
    net: &Network,
    arch: &Arch,
    accounting: Accounting,
    plan: &NetworkPlan,
) -> Result<SimReport> {
    plan.validate(net)?;
    let hw = Hw::new(arch)?;
    let a_bits: Vec<u32> = (0..net.layers.len()).map(|l| plan.a_bits(net, l)).collect();
    let maps = map_layers(net, arch, accounting, plan)?;
    let tables = table_buffers(&maps, arch)?;
    let (mut places, tiles_used) = assign_tiles(net, arch, accounting, &maps, hw.npe)?;
    check_event_bound(net)?;
    place_cells(net, arch, accounting, &mut places, tiles_used);
    let cells: Vec<Vec<Cell>> = places.iter().map(|p| p.cells.clone()).collect();
    let dist = distances(net, &cells, arch.chip.tiles_x);
    let bufs = size_buffers(net, arch, &maps, &places, &a_bits)?;
    let tile_area = tile_area(&hw, arch, &bufs);
    let ctx = Ctx {
        hw: &hw,
        arch,
        a_bits: &a_bits,
    };
    let (finish, timed) = run_pipeline(&ctx, net, &maps, &places, &dist);
    let sim = Simulated {
        net,
        arch,
        accounting,
        hw: &hw,
        a_bits: &a_bits,
        maps: &maps,
        tables: &tables,
        places: &places,
        dist: &dist,
        bufs: &bufs,
        tile_area,
        tiles_used,
        entire: entire_latency(&finish),
        finish: &finish,
        total_pe_slots: maps.iter().map(|m| m.pes).sum(),
        last_pe_layer: maps.iter().rposition(|m| m.pes > 0),
    };
    let layers = timed
        .iter()
        .enumerate()
        .map(|(l, t)| sim.layer_report(l, t))
        .collect();
    Ok(sim.report(layers))
}

/// Step 1, counts: every layer mapped onto crossbars and PEs as its plan says.
fn map_layers(
    net: &Network,
    arch: &Arch,
    accounting: Accounting,
    plan: &NetworkPlan,
) -> Result<Vec<LayerMap>> {
    let dense = LayerPlan::default();
    net.layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let p = plan.layers.get(i).unwrap_or(&dense);
            map_planned(i, l, p, plan.w_bits(net, i), arch, accounting)
        })
        .collect()
}

/// The SRAM of each layer's three lookup tables (IFAT, IFRT, output side).
fn table_buffers(maps: &[LayerMap], arch: &Arch) -> Result<Vec<[Buf; 3]>> {
    maps.iter()
        .map(|m| -> Result<[Buf; 3]> {
            let mut out = [Buf::default(); 3];
            for (o, t) in out.iter_mut().zip(&m.tables) {
                if t.bits > 0 {
                    *o = buffer(t.bits as f64 / 8.0 / 1024.0, arch, "lookup table")?;
                }
            }
            Ok(out)
        })
        .collect()
}

/// Step 2, tiles: each layer's first tile, tile count and PEs per tile, and the
/// tiles used in all; errors if the chip has fewer.
fn assign_tiles(
    net: &Network,
    arch: &Arch,
    accounting: Accounting,
    maps: &[LayerMap],
    npe: u64,
) -> Result<(Vec<Place>, u64)> {
    let mut places = vec![Place::default(); maps.len()];
    let tiles_used = match accounting {
        Accounting::Mnsim => {
            let mut start = 0;
            for (p, m) in places.iter_mut().zip(maps) {
                p.start = start;
                p.tiles = m.pe_slots.div_ceil(npe);
                p.max_pe = m.pe_slots.min(npe);
                start = start.saturating_add(p.tiles);
            }
            start
        }
        Accounting::Physical => {
            let mut slot = 0;
            for (p, m) in places.iter_mut().zip(maps) {
                if m.pes > 0 {
                    p.start = slot / npe;
                    p.tiles = slot.saturating_add(m.pes).div_ceil(npe) - slot / npe;
                    p.max_pe = m.pes.min(npe);
                } else {
                    p.max_pe = 1;
                }
                slot = slot.saturating_add(m.pes);
            }
            slot.div_ceil(npe)
        }
    };
    let capacity = u64::from(arch.chip.tiles_x) * u64::from(arch.chip.tiles_y);
    if tiles_used > capacity {
        return Err(Error::Sim {
            layer: None,
            reason: format!(
                "network '{}' needs {tiles_used} tiles, the chip has {capacity} ({}x{}); \
                 use a larger chip.tiles_x/tiles_y or bigger crossbars",
                net.name, arch.chip.tiles_x, arch.chip.tiles_y
            ),
        });
    }
    Ok((places, tiles_used))
}

/// One finish time is kept per output pixel: bound the memory.
fn check_event_bound(net: &Network) -> Result<()> {
    let events: u64 = net
        .layers
        .iter()
        .map(|l| match l.op {
            Op::Fc { out_features, .. } => out_features as u64,
            _ => (l.out_shape.h * l.out_shape.w) as u64,
        })
        .fold(0u64, u64::saturating_add);
    if events > MAX_EVENTS {
        return Err(Error::Sim {
            layer: None,
            reason: format!(
                "network '{}' has {events} output pixels; the simulator handles at most {MAX_EVENTS}",
                net.name
            ),
        });
    }
    Ok(())
}

/// The chip cells of every layer's tiles (sorted); in the physical accounting,
/// pooling and adds run next to their producer: its last tile.
fn place_cells(
    net: &Network,
    arch: &Arch,
    accounting: Accounting,
    places: &mut [Place],
    tiles_used: u64,
) {
    let grid: Vec<Cell> = (0..tiles_used)
        .map(|t| position(t, arch.chip.placement, arch.chip.tiles_x, arch.chip.tiles_y))
        .collect();
    for p in places.iter_mut() {
        p.cells = (p.start..p.start + p.tiles)
            .map(|t| grid[t as usize])
            .collect();
        p.cells.sort_unstable();
    }
    if accounting == Accounting::Physical {
        for l in 0..places.len() {
            if places[l].tiles == 0 {
                let producer = net.layers[l]
                    .inputs
                    .iter()
                    .find_map(|&o| net.producer(l, o))
                    .and_then(|p| places[p].cells.last().copied());
                places[l].cells = vec![producer.unwrap_or((0, 0))];
            }
        }
    }
}

/// The chip's buffers and global accumulator.
struct Buffers {
    /// PE input buffer.
    inbuf: Buf,
    /// Tile output buffer.
    outbuf: Buf,
    /// Global buffer of the element-wise adds.
    gbuf: Buf,
    /// Its size before the SRAM lookup.
    gbuf_kb: f64,
    /// Adders of the global accumulator.
    g_adders: u64,
    /// Power and area of one global adder.
    p_gadd: f64,
    a_gadd: f64,
}

/// Step 3, buffer sizes (docs/mnsim-model.md#buffer-sizes-and-the-global-accumulator):
/// the largest need of any layer unless the architecture fixes a size.
fn size_buffers(
    net: &Network,
    arch: &Arch,
    maps: &[LayerMap],
    places: &[Place],
    a_bits: &[u32],
) -> Result<Buffers> {
    let mut max_in: f64 = 0.0;
    let mut max_out: f64 = 0.0;
    let mut gbuf_kb = 0.0;
    let mut g_adders: u64 = 0;
    let mut g_bits: u32 = 8;
    for (l, layer) in net.layers.iter().enumerate() {
        let m = &maps[l];
        let b = f64::from(a_bits[l]);
        let tiles = places[l].tiles.max(1) as f64;
        let (data_in, data_out) = match layer.op {
            Op::Conv(g) => (
                (layer.in_shape.w * g.kernel * g.c_in) as f64 * b / 8.0,
                g.c_out as f64 * b / 8.0,
            ),
            Op::Fc {
                in_features,
                out_features,
            } => (in_features as f64 * b / 8.0, out_features as f64 * b / 8.0),
            Op::Add { n_inputs } => {
                let ch = src_of(net, l).map_or(layer.in_shape.c, |p| net.layers[p].out_shape.c);
                let bytes = (ch * n_inputs) as f64 * b / 8.0;
                gbuf_kb += pow2_kb(bytes);
                g_adders += (ch * n_inputs / 2) as u64;
                g_bits = g_bits.max(a_bits[l]);
                continue;
            }
            Op::Pool { .. } => continue,
        };
        if m.pes > 0 {
            max_in = max_in.max(pow2_kb(data_in / m.pes as f64));
            max_out = max_out.max(pow2_kb(data_out * 2.0 / tiles));
        }
    }
    let inbuf_kb = match arch.pe.inbuf_kb {
        BufSize::Auto => max_in,
        BufSize::Kb(v) => v,
    };
    let outbuf_kb = match arch.tile.outbuf_kb {
        BufSize::Auto => max_out,
        BufSize::Kb(v) => v,
    };
    Ok(Buffers {
        inbuf: buffer(inbuf_kb, arch, "PE input buffer")?,
        outbuf: buffer(outbuf_kb, arch, "tile output buffer")?,
        gbuf: buffer(gbuf_kb, arch, "global buffer")?,
        gbuf_kb,
        g_adders,
        p_gadd: tech::adder_power(arch.digital.adder_tech_nm, g_bits).value(),
        a_gadd: tech::adder_area(arch.digital.adder_tech_nm, g_bits).value(),
    })
}

/// Step 4, the area of one tile by component (docs/mnsim-model.md#area).
fn tile_area(hw: &Hw, arch: &Arch, bufs: &Buffers) -> P {
    let g = f64::from(arch.pe.groups);
    let rows = f64::from(arch.crossbar.rows);
    let cols = f64::from(arch.crossbar.cols);
    let a_xbar = rows * cols * arch.device.cell_area_um2 + arch.crossbar.row_driver_area_um2 * rows;
    let n_adc = g * hw.adc_g;
    let n_dac = g * hw.dac_g;
    let mut n_add = 0.0;
    let mut t = arch.pe.groups;
    while t > 1 {
        n_add += f64::from(t / 2) * hw.n_sub;
        t /= 2;
    }
    let pe_area = P {
        xbar: g * hw.xb * a_xbar,
        adc: hw.adc.area_um2 * n_adc,
        dac: hw.dac.area_um2 * n_dac,
        adder: hw.adc_g * n_add * hw.a_add8,
        shiftreg: n_adc * hw.a_sr,
        ireg: n_dac * hw.a_reg,
        oreg: n_adc * hw.a_reg,
        input_demux: hw.a_demux * n_dac,
        output_mux: hw.a_mux * n_adc,
        buffer_read: bufs.inbuf.area,
        ..P::default()
    };
    let mut n_jm = 0u64;
    let mut t = hw.npe;
    while t > 1 {
        n_jm += t / 2 + t % 2;
        t /= 2;
    }
    let mut tile_area = pe_area.scale(hw.npe as f64);
    tile_area.jointmodule = n_jm as f64 * n_adc * hw.a_jm;
    tile_area.buffer_read += bufs.outbuf.area;
    tile_area.pooling = hw.a_pool;
    tile_area
}

/// A layer's events with their schedule (the finish times kept apart).
struct Timed {
    ev: Events,
    last: f64,
    first_finish: f64,
    occupancy: f64,
}

/// Step 5, per-layer events and the pipeline: one event per output pixel (one per
/// fc layer). Returns every layer's finish times and its timed events.
fn run_pipeline(
    ctx: &Ctx,
    net: &Network,
    maps: &[LayerMap],
    places: &[Place],
    dist: &[(f64, f64)],
) -> (Vec<Vec<f64>>, Vec<Timed>) {
    let n = net.layers.len();
    let mut finish: Vec<Vec<f64>> = Vec::with_capacity(n);
    let mut timed = Vec::with_capacity(n);
    for l in 0..n {
        let ev = layer_events(ctx, net, l, &maps[l], &places[l], dist[l]);
        let t = schedule_layer(net, l, &ev, &finish);
        finish.push(t.finish);
        timed.push(Timed {
            ev,
            last: t.last,
            first_finish: t.first_finish,
            occupancy: t.occupancy,
        });
    }
    (finish, timed)
}

/// Entire latency: Python's max(max(list_of_lists)), a lexicographic maximum.
fn entire_latency(finish: &[Vec<f64>]) -> f64 {
    let mut top: Option<&Vec<f64>> = None;
    for f in finish {
        top = match top {
            None => Some(f),
            Some(t) => {
                if f.partial_cmp(t) == Some(std::cmp::Ordering::Greater) {
                    Some(f)
                } else {
                    Some(t)
                }
            }
        };
    }
    top.map(|v| v.iter().copied().fold(0.0, f64::max))
        .unwrap_or(0.0)
}

/// Everything step 6 (power, energy and area per layer, then the totals) reads.
struct Simulated<'a> {
    net: &'a Network,
    arch: &'a Arch,
    accounting: Accounting,
    hw: &'a Hw,
    a_bits: &'a [u32],
    maps: &'a [LayerMap],
    tables: &'a [[Buf; 3]],
    places: &'a [Place],
    dist: &'a [(f64, f64)],
    bufs: &'a Buffers,
    tile_area: P,
    tiles_used: u64,
    finish: &'a [Vec<f64>],
    /// The whole inference's latency, ns.
    entire: f64,
    total_pe_slots: u64,
    last_pe_layer: Option<usize>,
}

impl Simulated<'_> {
    /// Step 6, one layer's report: latency parts from its events, area, power and
    /// energy in the chosen accounting.
    fn layer_report(&self, l: usize, timed: &Timed) -> LayerReport {
        let (net, arch) = (self.net, self.arch);
        let layer = &net.layers[l];
        let m = &self.maps[l];
        let pl = &self.places[l];
        let ev = &timed.ev;
        let lat_parts: P = ev
            .cases
            .iter()
            .map(|(cnt, p, _)| p.scale(*cnt as f64))
            .sum();
        let events: u64 = ev.cases.iter().map(|c| c.0).sum();
        let busy = lat_parts.total() - lat_parts.pooling;
        let producer_last = layer
            .inputs
            .first()
            .and_then(|&o| net.producer(l, o))
            .map_or(0.0, |p| {
                self.finish[p]
                    .iter()
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max)
            });
        let layer_latency = if l == 0 {
            timed.last
        } else {
            timed.last - producer_last
        };
        let (area, power, energy) = match self.accounting {
            Accounting::Mnsim => self.mnsim_costs(l, lat_parts),
            Accounting::Physical => self.physical_costs(l, ev, events),
        };
        let crossbars = m.pes * u64::from(arch.pe.groups) * u64::from(arch.pe.polarity);
        let allocated = crossbars * u64::from(arch.crossbar.rows) * u64::from(arch.crossbar.cols);
        let detail = Details {
            area_um2: area.map(AreaUm2),
            latency_ns: lat_parts.map(TimeNs),
            power_mw: power.map(PowerMw),
            energy_pj: energy.map(EnergyPj),
        };
        LayerReport {
            index: l,
            name: layer.name.clone(),
            kind: layer.op.kind().to_string(),
            pes: m.pes,
            crossbars,
            tiles: pl.tiles,
            area_um2: AreaUm2(area.total()),
            latency_ns: TimeNs(layer_latency),
            power_mw: PowerMw(power.total()),
            energy_pj: EnergyPj(energy.total()),
            busy_ns: TimeNs(busy),
            first_finish_ns: TimeNs(timed.first_finish),
            last_finish_ns: TimeNs(timed.last),
            occupancy_0_to_1: timed.occupancy,
            utilization_0_to_1: ratio(m.used_cells, allocated),
            mapping: MappingReport {
                mx: m.mx,
                my: m.my,
                slices: m.slices,
                max_row: m.max_row,
                max_col: m.max_col,
                max_pe: pl.max_pe,
                start_tile: pl.start,
                gather_hops: self.dist[l].0 as u64,
                send_hops: self.dist[l].1 as u64,
                events,
            },
            breakdown: detail.breakdowns(),
            detail,
        }
    }

    /// Area, power and energy of layer `l` as MNSIM counts them: whole tiles, all
    /// components powered while the layer is busy.
    fn mnsim_costs(&self, l: usize, lat_parts: P) -> (P, P, P) {
        let (m, pl, tab) = (&self.maps[l], &self.places[l], &self.tables[l]);
        let op = &self.net.layers[l].op;
        let bufs = self.bufs;
        let tile_power = mnsim_tile_power(
            self.hw,
            self.arch,
            m,
            pl.max_pe,
            op,
            &bufs.inbuf,
            &bufs.outbuf,
        );
        let tiles = pl.tiles as f64;
        let mut power = tile_power.scale(tiles);
        // The layer's lookup tables: read power while busy, as MNSIM's buffers.
        power.tables = tab.iter().map(|t| t.p_read).sum();
        let mut energy = power.zip(lat_parts, |p, t| p * t);
        // MNSIM leaves the PE adder out of the energy total (E_digital omits it).
        energy.adder = 0.0;
        let mut area = self.tile_area.scale(tiles);
        area.tables = tab.iter().map(|t| t.area).sum();
        (area, power, energy)
    }

    /// Area, power and energy of layer `l` in the physical accounting: its share of
    /// the tiles, energy per action plus the leakage of what it owns.
    fn physical_costs(&self, l: usize, ev: &Events, events: u64) -> (P, P, P) {
        let (net, hw, bufs, entire) = (self.net, self.hw, self.bufs, self.entire);
        let layer = &net.layers[l];
        let (m, pl, tab) = (&self.maps[l], &self.places[l], &self.tables[l]);
        let npe = hw.npe;
        let in_bits = self.a_bits[l].saturating_add(m.extra_input_bits);
        let cycles = (f64::from(in_bits) / f64::from(hw.dac.bits)).ceil();
        let mut share = m.pes as f64 / npe as f64;
        if Some(l) == self.last_pe_layer {
            share += (self.tiles_used * npe - self.total_pe_slots) as f64 / npe as f64;
        }
        let mut area = self.tile_area.scale(share);
        area.tables = tab.iter().map(|t| t.area).sum();
        let add_ch = |n_inputs: usize| -> usize {
            let ch = src_of(net, l).map_or(layer.in_shape.c, |p| net.layers[p].out_shape.c);
            ch * n_inputs
        };
        let add_elems = match layer.op {
            Op::Add { n_inputs } => (add_ch(n_inputs - 1)) as f64,
            _ => 0.0,
        };
        let mut energy = physical_energy(
            hw,
            m,
            pl,
            &layer.op,
            ev,
            events,
            cycles,
            &bufs.inbuf,
            &bufs.outbuf,
            &bufs.gbuf,
            bufs.p_gadd,
            add_elems,
        );
        // Leakage of the buffers this layer owns, for the whole inference.
        energy.buffer_read +=
            (m.pes as f64 * bufs.inbuf.leak_mw + share * bufs.outbuf.leak_mw) * entire;
        // Lookup tables: bus words read per copy activation, plus leakage.
        if m.has_tables() {
            let acts = (events * m.acts.max(1)) as f64;
            for (t, buf) in m.tables.iter().zip(tab) {
                let words = (t.read_bits as f64 / hw.buf_w_bits).ceil();
                energy.tables += acts * words * buf.read_pj + buf.leak_mw * entire;
            }
        }
        if let Op::Add { n_inputs } = layer.op {
            let adders = (add_ch(n_inputs) / 2) as f64;
            let bytes = add_ch(n_inputs) as f64 * f64::from(self.a_bits[l]) / 8.0;
            let frac = if bufs.gbuf_kb > 0.0 {
                pow2_kb(bytes) / bufs.gbuf_kb
            } else {
                0.0
            };
            area.accumulator += adders * bufs.a_gadd;
            area.buffer_read += frac * bufs.gbuf.area;
            energy.buffer_read += frac * bufs.gbuf.leak_mw * entire;
        }
        let power = if entire > 0.0 {
            energy.scale(1.0 / entire)
        } else {
            P::default()
        };
        (area, power, energy)
    }

    /// The report: the layers and the chip's totals, the global accumulator apart.
    fn report(&self, reports: Vec<LayerReport>) -> SimReport {
        let (arch, bufs) = (self.arch, self.bufs);
        let (g_adders, p_gadd, a_gadd, gbuf) =
            (bufs.g_adders, bufs.p_gadd, bufs.a_gadd, &bufs.gbuf);
        let detail = reports
            .iter()
            .map(|r| r.detail)
            .fold(Details::default(), |a, d| a + d);
        let acc_area = g_adders as f64 * a_gadd + gbuf.area;
        let acc_power = p_gadd * g_adders as f64 + gbuf.p_write + gbuf.p_read;
        let used: u64 = self.maps.iter().map(|m| m.used_cells).sum();
        let crossbars: u64 = reports.iter().map(|r| r.crossbars).sum();
        let alloc = crossbars * u64::from(arch.crossbar.rows) * u64::from(arch.crossbar.cols);
        let totals = Totals {
            pes: reports.iter().map(|r| r.pes).sum(),
            crossbars,
            tiles: self.tiles_used,
            area_um2: reports.iter().map(|r| r.area_um2).sum(),
            latency_ns: TimeNs(self.entire),
            power_mw: reports.iter().map(|r| r.power_mw).sum(),
            energy_pj: reports.iter().map(|r| r.energy_pj).sum(),
            utilization_0_to_1: ratio(used, alloc),
            tile_area_um2: AreaUm2(self.tile_area.total()),
            pe_inbuf_kb: bufs.inbuf.kb,
            tile_outbuf_kb: bufs.outbuf.kb,
            accumulator: AccumulatorReport {
                adders: g_adders,
                buffer_kb: gbuf.kb,
                area_um2: AreaUm2(acc_area),
                adders_area_um2: AreaUm2(g_adders as f64 * a_gadd),
                power_mw: PowerMw(acc_power),
                adders_power_mw: PowerMw(p_gadd * g_adders as f64),
                buffer_read_power_mw: PowerMw(gbuf.p_read),
                buffer_write_power_mw: PowerMw(gbuf.p_write),
                adders_energy_pj: EnergyPj(match self.accounting {
                    Accounting::Mnsim => p_gadd * g_adders as f64 / arch.digital.clock_mhz,
                    Accounting::Physical => 0.0,
                }),
                in_totals: self.accounting == Accounting::Physical,
            },
            breakdown: detail.breakdowns(),
            detail,
        };
        SimReport {
            network: self.net.name.clone(),
            preset: arch.preset.clone(),
            accounting: self.accounting.name().into(),
            totals,
            layers: reports,
        }
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Power of one tile configured for the layer, all components active
/// (docs/mnsim-model.md#power).
fn mnsim_tile_power(
    hw: &Hw,
    arch: &Arch,
    m: &LayerMap,
    max_pe: u64,
    op: &Op,
    inbuf: &Buf,
    outbuf: &Buf,
) -> P {
    match op {
        Op::Conv(_) | Op::Fc { .. } => {
            let r = m.max_row as f64;
            let c = m.max_col as f64;
            let g = m.max_group as f64;
            let mp = max_pe as f64;
            let demux = hw.demux as f64;
            let mux = hw.mux as f64;
            let in_lines = (r / demux).ceil();
            let out_lines = (c / mux).ceil();
            let mut xbar_one = r * c * hw.p_cell;
            if arch.device.cell_type == CellType::ZeroT1R {
                let v = arch.device.read_voltage_max_v;
                xbar_one += 0.25 * r * (f64::from(arch.crossbar.cols) - c) * v * v
                    / arch.device.hrs_ohm
                    * 1e3;
            }
            let pe = P {
                xbar: hw.xb * g * xbar_one / demux / mux,
                dac: g * in_lines * hw.dac.power_mw,
                input_demux: g * in_lines * hw.p_demux,
                ireg: g * in_lines * hw.p_reg,
                adc: g * out_lines * hw.adc.power_mw,
                output_mux: g * out_lines * hw.p_mux,
                adder: (g - 1.0) * out_lines * hw.p_add8,
                shiftreg: g * out_lines * hw.p_sr,
                oreg: g * out_lines * hw.p_reg,
                ..P::default()
            };
            let mut tile = pe.scale(mp);
            tile.jointmodule = (mp - 1.0) * (c / mux).ceil() * hw.p_jm;
            tile.buffer_read = mp * inbuf.p_read + outbuf.p_read;
            tile.buffer_write = mp * inbuf.p_write + outbuf.p_write;
            tile
        }
        Op::Pool { .. } => P {
            pooling: hw.p_pool,
            buffer_read: outbuf.p_read,
            buffer_write: outbuf.p_write,
            ..P::default()
        },
        Op::Add { .. } => P::default(),
    }
}

/// Energy of a layer counted per action: conversions, cell reads, register and
/// buffer accesses, pooling steps and additions, each times its per-action energy.
#[allow(clippy::too_many_arguments)]
fn physical_energy(
    hw: &Hw,
    m: &LayerMap,
    pl: &Place,
    op: &Op,
    ev: &Events,
    events: u64,
    cycles: f64,
    inbuf: &Buf,
    outbuf: &Buf,
    gbuf: &Buf,
    p_gadd: f64,
    add_elems: f64,
) -> P {
    let e = events as f64;
    let t = hw.t_clk;
    let mut p = P::default();
    // Buffer accesses: bus words per event case.
    let words = |i: usize| -> f64 {
        ev.cases
            .iter()
            .zip(&ev.traffic)
            .map(|((cnt, _, _), tr)| *cnt as f64 * hw.words(tr[i]))
            .sum()
    };
    match op {
        Op::Conv(_) | Op::Fc { .. } => {
            // Crossbar actions happen once per copy activation (epitome: per pattern).
            let ea = e * m.acts.max(1) as f64;
            let drives = m.row_drives as f64 * cycles * ea;
            let reads = m.col_reads as f64 * cycles * ea;
            let merges = (m.col_reads - m.out_cols.min(m.col_reads)) as f64 * cycles * ea;
            p.xbar = m.read_cells as f64 * cycles * ea * hw.p_cell * hw.t_xbar;
            p.dac = drives * hw.dac.power_mw * hw.dac.latency_ns;
            p.ireg = drives * hw.p_reg * t;
            p.input_demux = drives * hw.p_demux * hw.t_dec;
            p.adc = reads * hw.adc.power_mw * hw.adc.latency_ns;
            p.shiftreg = reads * hw.p_sr * t;
            p.oreg = reads * hw.p_reg * t;
            p.output_mux = reads * hw.p_mux * hw.t_mux;
            let g = m.max_group.max(1) as f64;
            p.adder = reads * (g - 1.0) / g * hw.p_add8 * t;
            p.jointmodule = merges * hw.p_jm * t;
            let pes = m.pes as f64;
            p.buffer_write =
                words(0) * pes * inbuf.write_pj + words(2) * pl.tiles as f64 * outbuf.write_pj;
            p.buffer_read =
                words(1) * pes * inbuf.read_pj + words(3) * pl.tiles as f64 * outbuf.read_pj;
        }
        Op::Pool { .. } => {
            let unit: f64 = ev
                .cases
                .iter()
                .map(|(cnt, parts, _)| *cnt as f64 * parts.pooling)
                .sum();
            p.pooling = hw.p_pool * unit;
            p.buffer_write = words(0) * inbuf.write_pj + words(2) * outbuf.write_pj;
            p.buffer_read = words(1) * inbuf.read_pj + words(3) * outbuf.read_pj;
        }
        Op::Add { .. } => {
            // (n - 1) additions per output element, one clock each.
            p.accumulator = add_elems * e * p_gadd * t;
            p.buffer_read = words(1) * gbuf.read_pj;
            p.buffer_write = words(0) * gbuf.write_pj;
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The oracle: scan the whole receptive field and take the last pixel in raster order.
    fn need_brute(i: usize, j: usize, k: usize, s: usize, p: usize, h: usize, w: usize) -> usize {
        let mut last = 0;
        for di in 0..k {
            for dj in 0..k {
                let r = (s * i + di) as i64 - p as i64;
                let c = (s * j + dj) as i64 - p as i64;
                if (0..h as i64).contains(&r) && (0..w as i64).contains(&c) {
                    last = last.max(r as usize * w + c as usize);
                }
            }
        }
        last
    }

    #[test]
    fn need_is_the_last_pixel_of_the_receptive_field() {
        for k in 2..6 {
            for s in 1..4 {
                for p in 0..k {
                    for hw in k.max(2)..12 {
                        let out = (hw + 2 * p - k) / s + 1;
                        for i in 0..out {
                            for j in 0..out {
                                assert_eq!(
                                    need(i, j, k, s, p, hw, hw),
                                    need_brute(i, j, k, s, p, hw, hw),
                                    "k{k} s{s} p{p} {hw}x{hw} at ({i},{j})"
                                );
                            }
                        }
                    }
                }
            }
        }
        // 1x1 convolutions (no padding): the pixel itself.
        for s in 1..3 {
            for i in 0..4 {
                for j in 0..4 {
                    assert_eq!(need(i, j, 1, s, 0, 8, 8), need_brute(i, j, 1, s, 0, 8, 8));
                }
            }
        }
    }

    #[test]
    fn pixel_case_counts_match_the_event_counts() {
        // The cost model books `[1, oh-1, ow-1, (oh-1)(ow-1)]` conv events and
        // `[1, oh-1, oh(ow-1)]` pooling events per case: recount them pixel by pixel.
        let conv = Op::Conv(crate::nets::ConvGeom {
            c_in: 1,
            c_out: 1,
            kernel: 3,
            stride: 1,
            padding: 1,
            groups: 1,
        });
        let pool = Op::Pool {
            kernel: 2,
            stride: 2,
            padding: 0,
            op: crate::nets::PoolOp::Max,
        };
        for (oh, ow) in [(1, 1), (1, 5), (4, 1), (7, 3)] {
            let mut c = [0u64; 4];
            let mut q = [0u64; 3];
            for i in 0..oh {
                for j in 0..ow {
                    c[pixel_case(&conv, i, j)] += 1;
                    q[pixel_case(&pool, i, j)] += 1;
                }
            }
            let (h1, w1) = (oh as u64 - 1, ow as u64 - 1);
            assert_eq!(c, [1, h1, w1, h1 * w1]);
            assert_eq!(q, [1, h1, oh as u64 * w1]);
        }
    }
}
