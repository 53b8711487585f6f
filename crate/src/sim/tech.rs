//! Component tables and technology formulas, each with its source.
//!
//! Unless stated otherwise every number is MNSIM 2.0's (thu-nics/MNSIM-2.0, commit
//! ca39ccb, `MNSIM/Hardware_Model/*.py`); docs/mnsim-model.md#component-tables
//! gives the formulas. Units are
//! converted at this boundary: MNSIM's W become mW (x1e3), nJ become pJ (x1e3).

use super::sram;
use crate::units::{AreaUm2, PowerMw, TimeNs};
use crate::{Error, Result};

/// One ADC option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdcSpec {
    /// Resolution, bits.
    pub bits: u32,
    /// Area, µm².
    pub area_um2: f64,
    /// Power while converting, mW.
    pub power_mw: f64,
    /// Sample rate, GS/s (= samples per ns).
    pub rate_gsps: f64,
    /// Conversion time, ns: (bits + 2) / rate, 1 / rate for 1 bit, 2^bits / rate for choice 9.
    pub latency_ns: f64,
}

/// One DAC option (all 1 GS/s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DacSpec {
    /// Resolution, bits.
    pub bits: u32,
    /// Area, µm².
    pub area_um2: f64,
    /// Power, mW.
    pub power_mw: f64,
    /// Conversion time, ns: (bits + 2) / 1 GS/s.
    pub latency_ns: f64,
}

/// MNSIM's ADC table (`ADC.py`): (bits, area µm², power W, rate GS/s, source).
/// 1: 10b 1.5 GS/s pipelined-SAR, 14 nm FinFET; 2: ISAAC (Shafiee et al., ISCA 2016);
/// 3: 1.1 GS/s 8b two-step SAR; 4: 1 GS/s 6b SAR with charge-injection DAC;
/// 5-7: "ASPDAC1-3"; 8: 28 nm sense amplifier; 9: "Qi Liu" (ISSCC 2020 macro).
pub const ADC_TABLE: [(u32, f64, f64, f64); 9] = [
    (10, 1600.0, 6.92e-3, 1.5),
    (8, 1200.0, 2e-3, 1.28),
    (8, 1650.0, 4e-3, 1.1),
    (6, 580.0, 1.26e-3, 1.0),
    (8, 1650.0, 4e-3, 1.1),
    (6, 1650.0, 1.26e-3, 1.0),
    (4, 500.0, 0.7e-3, 1.0),
    (1, 1.0, 0.1086 * 15e-6, 1.0),
    (8, 15899.0, 8.0 * 0.0073e-3, 6.0),
];

/// MNSIM's DAC table (`DAC.py`, all from ISAAC): (bits, area µm², power W). Choice 6's
/// 0.4992 W is "W" in MNSIM's code (sic; every other entry is in the mW range).
pub const DAC_TABLE: [(u32, f64, f64); 7] = [
    (1, 0.166, 0.0039e-3),
    (2, 0.332, 0.0078e-3),
    (3, 0.664, 0.0156e-3),
    (4, 1.328, 0.0312e-3),
    (6, 5.312, 0.1248e-3),
    (8, 21.248, 0.4992),
    (1, 0.166, 0.0039e-3),
];

/// The ADC of `choice` (1-based, as in SimConfig.ini).
pub fn adc(choice: u32) -> Result<AdcSpec> {
    let i = choice as usize;
    if !(1..=ADC_TABLE.len()).contains(&i) {
        return Err(Error::invalid(
            "interface.adc_choice",
            format!("must be in 1..={}, got {choice}", ADC_TABLE.len()),
        ));
    }
    let (bits, area_um2, power_w, rate) = ADC_TABLE[i - 1];
    let latency_ns = if bits == 1 {
        1.0 / rate
    } else if choice == 9 {
        (1.0 / rate) * 2f64.powi(bits as i32)
    } else {
        (1.0 / rate) * f64::from(bits + 2)
    };
    Ok(AdcSpec {
        bits,
        area_um2,
        power_mw: power_w * 1e3,
        rate_gsps: rate,
        latency_ns,
    })
}

/// The DAC of `choice` (1-based).
pub fn dac(choice: u32) -> Result<DacSpec> {
    let i = choice as usize;
    if !(1..=DAC_TABLE.len()).contains(&i) {
        return Err(Error::invalid(
            "interface.dac_choice",
            format!("must be in 1..={}, got {choice}", DAC_TABLE.len()),
        ));
    }
    let (bits, area_um2, power_w) = DAC_TABLE[i - 1];
    Ok(DacSpec {
        bits,
        area_um2,
        power_mw: power_w * 1e3,
        latency_ns: f64::from(bits + 2),
    })
}

fn scale(tech_nm: f64) -> f64 {
    (tech_nm / 65.0) * (tech_nm / 65.0)
}

/// Adder of `bits` at `tech_nm` (`Adder.py`): 2.5e-9 W/bit (3e-7 between 55 and 65 nm).
pub fn adder_power(tech_nm: f64, bits: u32) -> PowerMw {
    let per_bit_w = if tech_nm <= 55.0 || tech_nm > 65.0 {
        2.5e-9
    } else {
        3e-7
    };
    PowerMw(per_bit_w * f64::from(bits) * 1e3)
}

/// Adder area: bits x 10·14·node²/1e6 µm² by node class (1.42 µm²/bit at 65 nm).
pub fn adder_area(tech_nm: f64, bits: u32) -> AreaUm2 {
    let per_bit = if tech_nm <= 28.0 {
        10.0 * 14.0 * 28.0 * 28.0 / 1e6
    } else if tech_nm <= 45.0 {
        10.0 * 14.0 * 45.0 * 45.0 / 1e6
    } else if tech_nm <= 55.0 {
        10.0 * 14.0 * 55.0 * 55.0 / 1e6
    } else if tech_nm <= 65.0 {
        1.42
    } else {
        10.0 * 14.0 * 130.0 * 130.0 / 1e6
    };
    AreaUm2(f64::from(bits) * per_bit)
}

/// Register (`Reg.py`): 18.8e-9 W, 1.4256 µm² at 65 nm, scaled by (node/65)².
pub fn reg(tech_nm: f64) -> (PowerMw, AreaUm2) {
    let k = scale(tech_nm);
    (PowerMw(18.8e-9 * k * 1e3), AreaUm2(1.4256 * k))
}

/// Shift register (`ShiftReg.py`): 8.1e-7 W, 1.42 µm² at 65 nm, scaled by (node/65)².
pub fn shiftreg(tech_nm: f64) -> (PowerMw, AreaUm2) {
    let k = scale(tech_nm);
    (PowerMw(8.1e-7 * k * 1e3), AreaUm2(1.42 * k))
}

/// Joint module, 8 bit (`JointModule.py`): 2.64e-4 W, 353.76 µm² at 65 nm, scaled.
pub fn jointmodule(tech_nm: f64) -> (PowerMw, AreaUm2) {
    let k = scale(tech_nm);
    (PowerMw(2.64e-4 * k * 1e3), AreaUm2(353.76 * k))
}

/// Pooling block of a tile (`Pooling.py`): 3.082e-3 W and 91917.1562 µm² for 64 units at
/// 65 nm with a 3x3 window; scaled by (node/65)² at other nodes; zero power at 65 nm with
/// another window (MNSIM's table has no entry for it).
pub fn pooling(tech_nm: f64, window: u32, units: u32) -> (PowerMw, AreaUm2) {
    let base_area = 91917.1562 * f64::from(units) / 64.0;
    if tech_nm == 65.0 {
        let p = if window == 9 { 3.082e-3 } else { 0.0 };
        (
            PowerMw(p * 1e3),
            AreaUm2(if window == 9 { base_area } else { 0.0 }),
        )
    } else {
        let k = scale(tech_nm);
        (PowerMw(3.082e-3 * k * 1e3), AreaUm2(base_area * k))
    }
}

/// Gate-count factor of a 1:n (de)multiplexer (`Mux.py`).
fn sel_factor(n: u64) -> f64 {
    match n {
        0..=2 => 8.0,
        3..=4 => 24.0,
        5..=8 => 72.0,
        9..=16 => 216.0,
        17..=32 => 648.0,
        _ => 1944.0,
    }
}

/// 1:n (de)multiplexer: F(n)·1.2e-8 W and F(n)·10·node²/1e6 µm² (transistor node).
pub fn selector(n: u64, transistor_tech_nm: f64) -> (PowerMw, AreaUm2) {
    let f = sel_factor(n);
    (
        PowerMw(f * 1.2e-8 * 1e3),
        AreaUm2(f * (10.0 * transistor_tech_nm * transistor_tech_nm / 1e6)),
    )
}

/// Decoder levels of MNSIM's 1:8-tree (de)multiplexer: 2 for 1..=7.
pub fn mux_levels(mut x: u64) -> u64 {
    let mut m = 1;
    while x > 0 {
        x /= 8;
        m += 1;
    }
    m
}

/// Input demux latency per level, ns (`PE.py`).
pub const DEMUX_LEVEL_NS: f64 = 0.27933;
/// Output mux latency per level, ns (`PE.py`).
pub const MUX_LEVEL_NS: f64 = 0.032744;

/// Crossbar read latency: cell read + MNSIM's wire term 0.001·(0.0002·s² + 5e-6·s + 4e-14),
/// s = rows·cols/1024/8 (KB) (`Crossbar.py`).
pub fn xbar_read_latency(cell_read_ns: f64, rows: u32, cols: u32) -> TimeNs {
    let s = f64::from(rows) * f64::from(cols) / 1024.0 / 8.0;
    TimeNs(cell_read_ns + 0.001 * (0.0002 * s * s + 5e-6 * s + 4e-14))
}

/// One SRAM buffer of `size_kb` with a `width_bits` bus in `tech_nm`: per-access read
/// and write energy (pJ), leakage (mW), area (µm²). `None` if the table marks the
/// combination invalid. Source: MNSIM `Buffer.py` (CACTI-derived tables).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SramEntry {
    /// Read energy per access, pJ.
    pub read_pj: f64,
    /// Write energy per access, pJ.
    pub write_pj: f64,
    /// Leakage, mW.
    pub leak_mw: f64,
    /// Area, µm².
    pub area_um2: f64,
}

/// Looks up an SRAM buffer (docs/mnsim-model.md#sram-buffers); a zero size is no buffer.
pub fn sram(size_kb: f64, width_bits: u32, tech_nm: f64) -> Option<SramEntry> {
    if size_kb <= 0.0 {
        return Some(SramEntry {
            read_pj: 0.0,
            write_pj: 0.0,
            leak_mw: 0.0,
            area_um2: 0.0,
        });
    }
    let g0 = if tech_nm >= 90.0 {
        0
    } else if tech_nm >= 65.0 {
        36
    } else {
        72
    };
    let bounds = [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
    let sc = bounds.iter().position(|&b| size_kb <= b).unwrap_or(8);
    let wc = [64, 128, 256]
        .iter()
        .position(|&b| width_bits <= b)
        .unwrap_or(3);
    let idx = g0 + 4 * sc + wc;
    if sram::AREA_MM2[idx] < 0.0 {
        return None;
    }
    Some(SramEntry {
        read_pj: sram::READ_NJ[idx] * 1e3,
        write_pj: sram::WRITE_NJ[idx] * 1e3,
        leak_mw: sram::LEAK_MW[idx],
        area_um2: sram::AREA_MM2[idx] * 1e6,
    })
}

/// Read power of a cell, mW: V²/R with V = sqrt(0.9·V0² + 0.1·V1²) and
/// R = R_H·R_L / (0.67·R_L + 0.33·R_H) (`Device.py`).
pub fn cell_read_power(v0: f64, v1: f64, r_h: f64, r_l: f64) -> PowerMw {
    let v = (0.9 * v0 * v0 + 0.1 * v1 * v1).sqrt();
    let r = r_h * r_l / (r_l * 0.67 + r_h * 0.33);
    PowerMw(v * v / r * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-30)
    }

    #[test]
    fn default_components_match_the_reference_values() {
        // docs/mnsim-model.md#component-tables, docs/mnsim-model.md#area.
        assert!(close(reg(45.0).0.value(), 9.010650887573964e-06));
        assert!(close(reg(45.0).1.value(), 0.6832757396449703));
        assert!(close(jointmodule(45.0).1.value(), 169.5536094674556));
        assert!(close(adder_area(45.0, 8).value(), 2.268));
        assert!(close(selector(2, 130.0).1.value(), 1.352));
        assert!(close(
            cell_read_power(0.0, 0.15, 1e6, 1e4).value(),
            7.57575e-05
        ));
        assert_eq!(adc(6).unwrap().latency_ns, 8.0);
        assert_eq!(dac(1).unwrap().latency_ns, 3.0);
        assert_eq!(mux_levels(2), 2);
        assert_eq!(mux_levels(8), 3);
    }

    #[test]
    fn sram_90nm_2kb_64bit_is_index_0() {
        let e = sram(0.5, 64, 90.0).unwrap();
        assert!(close(e.area_um2, 40580.3));
        assert!(sram(1.0, 512, 90.0).is_none());
    }

    #[test]
    fn out_of_range_choices_name_the_field() {
        assert!(adc(0).unwrap_err().to_string().contains("adc_choice"));
        assert!(dac(8).unwrap_err().to_string().contains("dac_choice"));
    }
}
