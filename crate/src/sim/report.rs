//! Simulation results: per-component [`Parts`], the coarse [`Breakdown`], per-layer
//! [`LayerReport`]s and the [`SimReport`].

use std::ops::{Add, Mul};

use serde::Serialize;

use crate::units::{AreaUm2, EnergyPj, PowerMw, TimeNs};

macro_rules! parts {
    ($($(#[$d:meta])* $f:ident),* $(,)?) => {
        /// One value per hardware component (MNSIM's finest breakdown).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
        pub struct Parts<T> {
            $( $(#[$d])* pub $f: T, )*
        }

        impl<T: Copy + Add<Output = T>> Add for Parts<T> {
            type Output = Self;
            fn add(self, o: Self) -> Self {
                Parts { $( $f: self.$f + o.$f, )* }
            }
        }

        impl<T: Copy + Mul<f64, Output = T>> Parts<T> {
            /// Every component multiplied by `k`.
            pub fn scale(self, k: f64) -> Self {
                Parts { $( $f: self.$f * k, )* }
            }
        }

        impl<T: Copy> Parts<T> {
            /// Applies `f` to every component.
            pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Parts<U> {
                Parts { $( $f: f(self.$f), )* }
            }
            /// Combines two part sets component by component.
            pub fn zip<U: Copy, V>(self, o: Parts<U>, mut f: impl FnMut(T, U) -> V) -> Parts<V> {
                Parts { $( $f: f(self.$f, o.$f), )* }
            }
            /// The components in declaration order.
            pub fn values(&self) -> Vec<T> {
                vec![ $( self.$f, )* ]
            }
        }

        /// Names of the [`Parts`] fields, in declaration order.
        pub const PART_NAMES: &[&str] = &[ $( stringify!($f), )* ];
    };
}

parts! {
    /// Crossbar arrays.
    xbar,
    /// Analog-to-digital converters.
    adc,
    /// Digital-to-analog converters.
    dac,
    /// Input registers.
    ireg,
    /// Output registers.
    oreg,
    /// Shift-and-add registers.
    shiftreg,
    /// Adders between crossbar groups of a PE.
    adder,
    /// Input demultiplexers.
    input_demux,
    /// Output multiplexers.
    output_mux,
    /// Joint modules (adder tree between the PEs of a tile).
    jointmodule,
    /// Global accumulator adders (element-wise add layers).
    accumulator,
    /// Buffer reads.
    buffer_read,
    /// Buffer writes.
    buffer_write,
    /// Pooling block.
    pooling,
    /// Transfer inside a tile.
    intra_tile,
    /// Gathering a layer's partial results across its tiles (MNSIM's "merge").
    merge,
    /// Sending results to the consumer layers' tiles.
    transfer,
    /// Lookup tables: IFAT, IFRT, OFAT of epitome layers; index tables and block
    /// bitmaps of pruned layers.
    tables,
}

impl<T: Copy + Add<Output = T> + Default> Parts<T> {
    /// Sum of the digital components.
    pub fn digital(&self) -> T {
        self.ireg
            + self.oreg
            + self.shiftreg
            + self.adder
            + self.input_demux
            + self.output_mux
            + self.jointmodule
            + self.accumulator
    }

    /// Sum of every component.
    pub fn total(&self) -> T {
        self.values()
            .into_iter()
            .fold(T::default(), |acc, v| acc + v)
    }

    /// The coarse breakdown.
    pub fn breakdown(&self) -> Breakdown<T> {
        Breakdown {
            crossbar: self.xbar,
            adc: self.adc,
            dac: self.dac,
            digital: self.digital(),
            buffer: self.buffer_read + self.buffer_write + self.tables,
            interconnect: self.intra_tile + self.merge + self.transfer,
            pooling: self.pooling,
        }
    }
}

impl<T: Copy + Add<Output = T> + Default> std::iter::Sum for Parts<T> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Parts::default(), |a, b| a + b)
    }
}

/// The named breakdown every report carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct Breakdown<T> {
    /// Crossbar arrays.
    pub crossbar: T,
    /// ADCs.
    pub adc: T,
    /// DACs.
    pub dac: T,
    /// Registers, shift-adders, (de)multiplexers, adders, joint modules, accumulator.
    pub digital: T,
    /// SRAM buffers (read + write) and lookup tables.
    pub buffer: T,
    /// Intra- and inter-tile communication.
    pub interconnect: T,
    /// Pooling blocks.
    pub pooling: T,
}

/// Breakdowns of the four quantities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct Breakdowns {
    /// Area.
    pub area_um2: Breakdown<AreaUm2>,
    /// Summed busy time per component (not wall-clock).
    pub latency_ns: Breakdown<TimeNs>,
    /// Power.
    pub power_mw: Breakdown<PowerMw>,
    /// Energy.
    pub energy_pj: Breakdown<EnergyPj>,
}

/// Per-component detail of the four quantities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct Details {
    /// Area.
    pub area_um2: Parts<AreaUm2>,
    /// Summed busy time per component.
    pub latency_ns: Parts<TimeNs>,
    /// Power.
    pub power_mw: Parts<PowerMw>,
    /// Energy.
    pub energy_pj: Parts<EnergyPj>,
}

impl Details {
    /// The coarse breakdowns.
    pub fn breakdowns(&self) -> Breakdowns {
        Breakdowns {
            area_um2: self.area_um2.breakdown(),
            latency_ns: self.latency_ns.breakdown(),
            power_mw: self.power_mw.breakdown(),
            energy_pj: self.energy_pj.breakdown(),
        }
    }
}

impl Add for Details {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Details {
            area_um2: self.area_um2 + o.area_um2,
            latency_ns: self.latency_ns + o.latency_ns,
            power_mw: self.power_mw + o.power_mw,
            energy_pj: self.energy_pj + o.energy_pj,
        }
    }
}

/// How a layer was placed on the hardware.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct MappingReport {
    /// PEs along the outputs (bit-slices x column blocks).
    pub mx: u64,
    /// PEs along the inputs (row blocks).
    pub my: u64,
    /// Weight bit-slices per weight.
    pub slices: u64,
    /// Rows used in the busiest crossbar.
    pub max_row: u64,
    /// Columns used in the busiest crossbar.
    pub max_col: u64,
    /// PEs used in the busiest tile.
    pub max_pe: u64,
    /// First tile number.
    pub start_tile: u64,
    /// Hops to gather results inside the layer (MNSIM's inLayer).
    pub gather_hops: u64,
    /// Hops to the farthest consumer tile (MNSIM's transLayer).
    pub send_hops: u64,
    /// Events (output pixels; 1 for fc).
    pub events: u64,
}

/// One layer's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct LayerReport {
    /// Position in the network.
    pub index: usize,
    /// Layer name.
    pub name: String,
    /// `conv`, `fc`, `pool` or `add`.
    pub kind: String,
    /// PEs (MNSIM's "crossbar number"; 0 for pool and add).
    pub pes: u64,
    /// Physical crossbars (PEs x groups x polarity).
    pub crossbars: u64,
    /// Tiles (owned in mnsim accounting, touched in physical).
    pub tiles: u64,
    /// Area.
    pub area_um2: AreaUm2,
    /// Time this layer adds after its first producer finishes (MNSIM's "layer latency").
    pub latency_ns: TimeNs,
    /// Power (mnsim: all tiles active; physical: energy / network latency).
    pub power_mw: PowerMw,
    /// Energy per image.
    pub energy_pj: EnergyPj,
    /// Summed component busy time (MNSIM's per-layer "total latency").
    pub busy_ns: TimeNs,
    /// Finish time of the first event.
    pub first_finish_ns: TimeNs,
    /// Finish time of the last event.
    pub last_finish_ns: TimeNs,
    /// Fraction of [first begin, last finish] with an event running.
    pub occupancy_0_to_1: f64,
    /// Used cells / cells of the crossbars allocated to the layer.
    pub utilization_0_to_1: f64,
    /// Placement.
    pub mapping: MappingReport,
    /// Coarse breakdowns.
    pub breakdown: Breakdowns,
    /// Per-component detail.
    pub detail: Details,
}

/// Area, power and energy of the global accumulator (element-wise adds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct AccumulatorReport {
    /// Adders.
    pub adders: u64,
    /// Global buffer size, KB.
    pub buffer_kb: f64,
    /// Area (adders + buffer).
    pub area_um2: AreaUm2,
    /// Area of the adders.
    pub adders_area_um2: AreaUm2,
    /// Power (adders + buffer read and write).
    pub power_mw: PowerMw,
    /// Power of the adders.
    pub adders_power_mw: PowerMw,
    /// Read power of the global buffer.
    pub buffer_read_power_mw: PowerMw,
    /// Write power of the global buffer.
    pub buffer_write_power_mw: PowerMw,
    /// MNSIM's breakdown-line energy of the adders: adder power x adders x (1 / clock),
    /// with MNSIM's µs-for-ns slip (mnsim accounting only; 0 in physical).
    pub adders_energy_pj: EnergyPj,
    /// Whether these numbers are inside the totals (physical) or not (mnsim).
    pub in_totals: bool,
}

/// Network totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct Totals {
    /// PEs of conv and fc layers (MNSIM's "Total crossbar number").
    pub pes: u64,
    /// Physical crossbars.
    pub crossbars: u64,
    /// Tiles used.
    pub tiles: u64,
    /// Area.
    pub area_um2: AreaUm2,
    /// End-to-end latency of one image (MNSIM's "Entire latency").
    pub latency_ns: TimeNs,
    /// Power.
    pub power_mw: PowerMw,
    /// Energy per image.
    pub energy_pj: EnergyPj,
    /// Used cells / allocated cells over the whole network.
    pub utilization_0_to_1: f64,
    /// Area of one tile.
    pub tile_area_um2: AreaUm2,
    /// PE input buffer size, KB.
    pub pe_inbuf_kb: f64,
    /// Tile output buffer size, KB.
    pub tile_outbuf_kb: f64,
    /// Global accumulator.
    pub accumulator: AccumulatorReport,
    /// Coarse breakdowns (latency: summed busy time).
    pub breakdown: Breakdowns,
    /// Per-component detail.
    pub detail: Details,
}

/// The result of one simulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct SimReport {
    /// Network name.
    pub network: String,
    /// Preset the hardware came from.
    pub preset: String,
    /// `mnsim` or `physical`.
    pub accounting: String,
    /// Totals.
    pub totals: Totals,
    /// One entry per layer.
    pub layers: Vec<LayerReport>,
}
