//! The hardware description: [`ArchConfig`] (deserialisable, every field optional,
//! `None` = "use the preset's value") resolves against a preset into an [`Arch`]
//! (every value present, validated).
//!
//! One sub-struct per level: device, crossbar, interface (ADC/DAC), PE, tile, chip,
//! digital, buffer. Every physical quantity carries its unit in the field name and
//! unknown keys are rejected, so `adc_power_w` is a load error, not a silent default.

use serde::{Deserialize, Serialize};

use super::presets;
use super::tech;
use crate::{Error, Result};

macro_rules! level {
    (
        $(#[$doc:meta])*
        $cfg:ident => $params:ident {
            $( $(#[$fdoc:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
        #[serde(deny_unknown_fields)]
        pub struct $params {
            $( $(#[$fdoc])* pub $field: $ty, )*
        }

        #[doc = concat!("Optional overrides of [`", stringify!($params), "`]; `None` keeps the preset's value.")]
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
        #[serde(deny_unknown_fields)]
        pub struct $cfg {
            $( $(#[$fdoc])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>, )*
        }

        impl $cfg {
            /// `base` with every field that is set here replaced.
            pub fn overlay(&self, base: &$params) -> $params {
                $params { $( $field: self.$field.clone().unwrap_or_else(|| base.$field.clone()), )* }
            }
        }
    };
}

/// Memory cell technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub enum CellType {
    /// One transistor, one resistor.
    #[serde(rename = "1T1R")]
    OneT1R,
    /// Selector-less crossbar (sneak currents through unselected cells).
    #[serde(rename = "0T1R")]
    ZeroT1R,
}

/// Order in which tile numbers are laid out on the chip grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Row-major.
    RowMajor,
    /// Row-major with odd rows reversed.
    Snake,
    /// Square shells from the corner (MNSIM's "hui", the default).
    Spiral,
    /// JPEG-style anti-diagonals.
    Zigzag,
}

// A buffer size crosses as `"auto"` or a number of KB (the serde `try_from`/`into`
// below, which the Tsify derive cannot see): declared by hand, here so that both wasm
// packages (www/pkg and the on-demand www/pkg-onnx) declare it.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const BUF_SIZE_TS: &str = r#"export type BufSize = "auto" | number;"#;

/// A buffer size: `"auto"` (sized from the network) or a number of KB.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BufSizeRepr", into = "BufSizeRepr")]
pub enum BufSize {
    /// Power-of-two size from the network's line-buffer needs (MNSIM's 0).
    Auto,
    /// Fixed size, KB (1 KB = 1024 bytes).
    Kb(f64),
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum BufSizeRepr {
    Kb(f64),
    Word(String),
}

impl TryFrom<BufSizeRepr> for BufSize {
    type Error = String;
    fn try_from(r: BufSizeRepr) -> std::result::Result<Self, String> {
        match r {
            BufSizeRepr::Kb(v) => Ok(BufSize::Kb(v)),
            BufSizeRepr::Word(w) if w == "auto" => Ok(BufSize::Auto),
            BufSizeRepr::Word(w) => Err(format!("expected \"auto\" or a size in KB, got {w:?}")),
        }
    }
}

impl From<BufSize> for BufSizeRepr {
    fn from(b: BufSize) -> Self {
        match b {
            BufSize::Auto => BufSizeRepr::Word("auto".into()),
            BufSize::Kb(v) => BufSizeRepr::Kb(v),
        }
    }
}

level! {
    /// Device level: the memory cell.
    DeviceConfig => DeviceParams {
        /// Area of one cell, µm².
        cell_area_um2: f64,
        /// Bits stored per cell (log2 of the resistance levels).
        cell_bits: u32,
        /// Cell read latency, ns.
        read_latency_ns: f64,
        /// Lowest read voltage, V.
        read_voltage_min_v: f64,
        /// Highest read voltage, V.
        read_voltage_max_v: f64,
        /// High-resistance state, Ω.
        hrs_ohm: f64,
        /// Low-resistance state, Ω.
        lrs_ohm: f64,
        /// `1T1R` or `0T1R`.
        cell_type: CellType,
    }
}

level! {
    /// Crossbar level.
    CrossbarConfig => CrossbarParams {
        /// Rows (word lines).
        rows: u32,
        /// Columns (bit lines).
        cols: u32,
        /// Rows per subarray (the DACs and ADCs are per subarray).
        subarray_rows: u32,
        /// Driver area per row, µm².
        row_driver_area_um2: f64,
        /// Transistor node of the (de)multiplexers, nm.
        transistor_tech_nm: f64,
    }
}

level! {
    /// Interface level: the converters, by their row in the tables of `tech.rs`.
    InterfaceConfig => InterfaceParams {
        /// ADC option 1..=9.
        adc_choice: u32,
        /// DAC option 1..=7.
        dac_choice: u32,
    }
}

level! {
    /// Processing element: crossbar groups with their converters and registers.
    PeConfig => PeParams {
        /// Crossbars per group: 2 (positive and negative) or 1.
        polarity: u32,
        /// Crossbar groups per PE.
        groups: u32,
        /// DACs per subarray.
        dacs_per_subarray: u32,
        /// ADCs per subarray.
        adcs_per_subarray: u32,
        /// PE input buffer, KB or "auto".
        inbuf_kb: BufSize,
    }
}

level! {
    /// Tile: a PE array, joint modules, output buffer and a pooling block.
    TileConfig => TileParams {
        /// PE rows per tile.
        pes_x: u32,
        /// PE columns per tile.
        pes_y: u32,
        /// Pooling units of the pooling block.
        pool_units: u32,
        /// Pooling window the block is built for (elements; 9 = 3x3).
        pool_window: u32,
        /// Pooling block node, nm.
        pool_tech_nm: f64,
        /// Time of one pooling step, ns.
        pool_step_latency_ns: f64,
        /// Tile output buffer, KB or "auto".
        outbuf_kb: BufSize,
        /// Bandwidth between tiles, Gb/s (= bit/ns).
        inter_tile_bandwidth_gbps: f64,
        /// Bandwidth inside a tile, Gb/s.
        intra_tile_bandwidth_gbps: f64,
    }
}

level! {
    /// Chip: the tile grid.
    ChipConfig => ChipParams {
        /// Tile grid rows.
        tiles_x: u32,
        /// Tile grid columns.
        tiles_y: u32,
        /// Tile numbering order.
        placement: Placement,
    }
}

level! {
    /// Digital logic.
    DigitalConfig => DigitalParams {
        /// Clock of the digital logic, MHz.
        clock_mhz: f64,
        /// Adder node, nm.
        adder_tech_nm: f64,
        /// Shift-register node, nm.
        shiftreg_tech_nm: f64,
        /// Register node, nm.
        reg_tech_nm: f64,
        /// Joint-module node, nm.
        jointmodule_tech_nm: f64,
        /// Time of one element-wise add step of the global accumulator, ns.
        add_latency_ns: f64,
    }
}

level! {
    /// SRAM buffers.
    BufferConfig => BufferParams {
        /// Node, nm (selects the table group).
        tech_nm: f64,
        /// Bus width, bits.
        bitwidth_bits: u32,
        /// Access cycle, ns.
        cycle_ns: f64,
    }
}

/// A hardware description as the user writes it: a base preset plus overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ArchConfig {
    /// Base preset (default `mnsim2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Device overrides.
    #[serde(default)]
    pub device: DeviceConfig,
    /// Crossbar overrides.
    #[serde(default)]
    pub crossbar: CrossbarConfig,
    /// Converter overrides.
    #[serde(default)]
    pub interface: InterfaceConfig,
    /// PE overrides.
    #[serde(default)]
    pub pe: PeConfig,
    /// Tile overrides.
    #[serde(default)]
    pub tile: TileConfig,
    /// Chip overrides.
    #[serde(default)]
    pub chip: ChipConfig,
    /// Digital overrides.
    #[serde(default)]
    pub digital: DigitalConfig,
    /// Buffer overrides.
    #[serde(default)]
    pub buffer: BufferConfig,
}

/// A complete, validated hardware description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Arch {
    /// Name of the preset it came from.
    pub preset: String,
    /// Device.
    pub device: DeviceParams,
    /// Crossbar.
    pub crossbar: CrossbarParams,
    /// Converters.
    pub interface: InterfaceParams,
    /// PE.
    pub pe: PeParams,
    /// Tile.
    pub tile: TileParams,
    /// Chip.
    pub chip: ChipParams,
    /// Digital logic.
    pub digital: DigitalParams,
    /// Buffers.
    pub buffer: BufferParams,
}

impl ArchConfig {
    /// Parses a config from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        crate::error::from_json_str("hardware config", text)
    }

    /// The preset named here, with every set field replaced, validated.
    pub fn resolve(&self) -> Result<Arch> {
        let base = presets::preset(self.preset.as_deref().unwrap_or(presets::DEFAULT))?;
        self.apply(&base)
    }

    /// `base` with every field set here replaced, validated.
    pub fn apply(&self, base: &Arch) -> Result<Arch> {
        let arch = Arch {
            preset: base.preset.clone(),
            device: self.device.overlay(&base.device),
            crossbar: self.crossbar.overlay(&base.crossbar),
            interface: self.interface.overlay(&base.interface),
            pe: self.pe.overlay(&base.pe),
            tile: self.tile.overlay(&base.tile),
            chip: self.chip.overlay(&base.chip),
            digital: self.digital.overlay(&base.digital),
            buffer: self.buffer.overlay(&base.buffer),
        };
        arch.validate()?;
        Ok(arch)
    }

    /// Checks the config as applied to its preset: zero, negative and non-finite
    /// values are errors naming the field.
    pub fn validate(&self) -> Result<()> {
        self.resolve().map(|_| ())
    }
}

/// A strictly positive physical quantity inside the plausible window
/// `MIN_CONFIG_MAGNITUDE..=MAX_CONFIG_MAGNITUDE` (crate::limits): beyond it a value is a
/// typo whose derived quantities (periods, energies) overflow to inf or NaN.
fn pos_f(field: &str, v: f64) -> Result<()> {
    use crate::limits::{MAX_CONFIG_MAGNITUDE as MAX, MIN_CONFIG_MAGNITUDE as MIN};
    if !v.is_finite() || v <= 0.0 {
        return Err(Error::invalid(
            field,
            format!(
                "must be a finite number > 0, got {}",
                crate::limits::echo(&v.to_string())
            ),
        ));
    }
    if !(MIN..=MAX).contains(&v) {
        return Err(Error::invalid(
            field,
            format!("must be in {MIN:e}..={MAX:e}, got {v:e}"),
        ));
    }
    Ok(())
}

/// 0, or a quantity as for [`pos_f`].
fn nonneg_f(field: &str, v: f64) -> Result<()> {
    if !v.is_finite() || v < 0.0 {
        return Err(Error::invalid(
            field,
            format!(
                "must be a finite number >= 0, got {}",
                crate::limits::echo(&v.to_string())
            ),
        ));
    }
    if v == 0.0 {
        return Ok(());
    }
    pos_f(field, v)
}

fn range_u(field: &str, v: u32, lo: u32, hi: u32) -> Result<()> {
    if v < lo || v > hi {
        return Err(Error::invalid(
            field,
            format!("must be in {lo}..={hi}, got {v}"),
        ));
    }
    Ok(())
}

fn buf(field: &str, b: BufSize) -> Result<()> {
    match b {
        BufSize::Auto => Ok(()),
        BufSize::Kb(v) => pos_f(field, v),
    }
}

impl Arch {
    /// Checks every field and the relations between them.
    pub fn validate(&self) -> Result<()> {
        let d = &self.device;
        pos_f("device.cell_area_um2", d.cell_area_um2)?;
        range_u("device.cell_bits", d.cell_bits, 1, 8)?;
        pos_f("device.read_latency_ns", d.read_latency_ns)?;
        nonneg_f("device.read_voltage_min_v", d.read_voltage_min_v)?;
        pos_f("device.read_voltage_max_v", d.read_voltage_max_v)?;
        pos_f("device.hrs_ohm", d.hrs_ohm)?;
        pos_f("device.lrs_ohm", d.lrs_ohm)?;
        let x = &self.crossbar;
        range_u("crossbar.rows", x.rows, 1, 65536)?;
        range_u("crossbar.cols", x.cols, 1, 65536)?;
        range_u("crossbar.subarray_rows", x.subarray_rows, 1, x.rows)?;
        if x.rows % x.subarray_rows != 0 {
            return Err(Error::invalid(
                "crossbar.subarray_rows",
                format!(
                    "must divide crossbar.rows = {}, got {}",
                    x.rows, x.subarray_rows
                ),
            ));
        }
        nonneg_f("crossbar.row_driver_area_um2", x.row_driver_area_um2)?;
        pos_f("crossbar.transistor_tech_nm", x.transistor_tech_nm)?;
        tech::adc(self.interface.adc_choice)?;
        tech::dac(self.interface.dac_choice)?;
        let p = &self.pe;
        range_u("pe.polarity", p.polarity, 1, 2)?;
        range_u("pe.groups", p.groups, 1, 64)?;
        range_u(
            "pe.dacs_per_subarray",
            p.dacs_per_subarray,
            1,
            x.subarray_rows,
        )?;
        range_u("pe.adcs_per_subarray", p.adcs_per_subarray, 1, x.cols)?;
        buf("pe.inbuf_kb", p.inbuf_kb)?;
        let t = &self.tile;
        range_u("tile.pes_x", t.pes_x, 1, 64)?;
        range_u("tile.pes_y", t.pes_y, 1, 64)?;
        range_u("tile.pool_units", t.pool_units, 1, 1 << 16)?;
        range_u("tile.pool_window", t.pool_window, 1, 1024)?;
        pos_f("tile.pool_tech_nm", t.pool_tech_nm)?;
        pos_f("tile.pool_step_latency_ns", t.pool_step_latency_ns)?;
        buf("tile.outbuf_kb", t.outbuf_kb)?;
        pos_f(
            "tile.inter_tile_bandwidth_gbps",
            t.inter_tile_bandwidth_gbps,
        )?;
        pos_f(
            "tile.intra_tile_bandwidth_gbps",
            t.intra_tile_bandwidth_gbps,
        )?;
        let c = &self.chip;
        range_u("chip.tiles_x", c.tiles_x, 1, 1024)?;
        range_u("chip.tiles_y", c.tiles_y, 1, 1024)?;
        if c.placement == Placement::Spiral && c.tiles_x != c.tiles_y {
            return Err(Error::invalid(
                "chip.placement",
                format!(
                    "spiral placement needs a square grid, got {}x{}",
                    c.tiles_x, c.tiles_y
                ),
            ));
        }
        let g = &self.digital;
        pos_f("digital.clock_mhz", g.clock_mhz)?;
        pos_f("digital.adder_tech_nm", g.adder_tech_nm)?;
        pos_f("digital.shiftreg_tech_nm", g.shiftreg_tech_nm)?;
        pos_f("digital.reg_tech_nm", g.reg_tech_nm)?;
        pos_f("digital.jointmodule_tech_nm", g.jointmodule_tech_nm)?;
        nonneg_f("digital.add_latency_ns", g.add_latency_ns)?;
        let b = &self.buffer;
        pos_f("buffer.tech_nm", b.tech_nm)?;
        range_u("buffer.bitwidth_bits", b.bitwidth_bits, 1, 4096)?;
        pos_f("buffer.cycle_ns", b.cycle_ns)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_whose_derived_values_overflow_are_errors_naming_the_field() {
        for (json, field) in [
            (
                r#"{"digital":{"clock_mhz":1e-300}}"#,
                "digital.clock_mhz: must be in 1e-12..=1e12",
            ),
            (
                r#"{"digital":{"clock_mhz":1e300}}"#,
                "digital.clock_mhz: must be in",
            ),
            (
                r#"{"device":{"hrs_ohm":1e200}}"#,
                "device.hrs_ohm: must be in",
            ),
            (
                r#"{"digital":{"add_latency_ns":1e-200}}"#,
                "digital.add_latency_ns: must be in",
            ),
            (
                r#"{"buffer":{"cycle_ns":-1}}"#,
                "buffer.cycle_ns: must be a finite number > 0",
            ),
        ] {
            let e = ArchConfig::from_json(json)
                .unwrap()
                .resolve()
                .unwrap_err()
                .to_string();
            assert!(e.contains(field), "{json}: {e}");
        }
        let e = ArchConfig::from_json(r#"{"crossbar":{"rows":-1}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("crossbar.rows: invalid value: integer `-1`"),
            "{e}"
        );
        ArchConfig::from_json(r#"{"digital":{"add_latency_ns":0}}"#)
            .unwrap()
            .resolve()
            .unwrap();
    }

    #[test]
    fn empty_config_resolves_to_the_mnsim2_preset() {
        let a = ArchConfig::default().resolve().unwrap();
        assert_eq!(a, presets::preset("mnsim2").unwrap());
    }

    #[test]
    fn overrides_replace_only_the_given_fields() {
        let c =
            ArchConfig::from_json(r#"{"crossbar":{"rows":128,"cols":128,"subarray_rows":128}}"#)
                .unwrap();
        let a = c.resolve().unwrap();
        assert_eq!((a.crossbar.rows, a.crossbar.cols), (128, 128));
        assert_eq!(a.interface.adc_choice, 6);
    }

    #[test]
    fn wrong_unit_key_is_a_load_error() {
        let e = ArchConfig::from_json(r#"{"interface":{"adc_power_w":1}}"#).unwrap_err();
        assert!(e.to_string().contains("adc_power_w"), "{e}");
    }

    #[test]
    fn zero_negative_and_nan_values_name_the_field() {
        for (json, field) in [
            (r#"{"crossbar":{"rows":0}}"#, "crossbar.rows"),
            (
                r#"{"device":{"read_latency_ns":-1}}"#,
                "device.read_latency_ns",
            ),
            (r#"{"digital":{"clock_mhz":0}}"#, "digital.clock_mhz"),
            (r#"{"pe":{"inbuf_kb":-2}}"#, "pe.inbuf_kb"),
            (
                r#"{"crossbar":{"subarray_rows":100}}"#,
                "crossbar.subarray_rows",
            ),
            (r#"{"interface":{"adc_choice":12}}"#, "interface.adc_choice"),
        ] {
            let e = ArchConfig::from_json(json).unwrap().validate().unwrap_err();
            assert!(e.to_string().contains(field), "{json}: {e}");
        }
        let mut a = presets::preset("mnsim2").unwrap();
        a.device.cell_area_um2 = f64::NAN;
        assert!(a
            .validate()
            .unwrap_err()
            .to_string()
            .contains("cell_area_um2"));
    }

    #[test]
    fn buffer_size_accepts_auto_and_numbers_only() {
        let c =
            ArchConfig::from_json(r#"{"pe":{"inbuf_kb":"auto"},"tile":{"outbuf_kb":4}}"#).unwrap();
        assert_eq!(c.pe.inbuf_kb, Some(BufSize::Auto));
        assert_eq!(c.tile.outbuf_kb, Some(BufSize::Kb(4.0)));
        assert!(ArchConfig::from_json(r#"{"pe":{"inbuf_kb":"big"}}"#).is_err());
    }
}
