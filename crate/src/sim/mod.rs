//! The PIM accelerator simulator: a ReRAM crossbar hierarchy (device, crossbar, PE,
//! tile, chip) in the style of MNSIM 2.0, with two accountings.
//!
//! - [`Accounting::Mnsim`] reproduces MNSIM 2.0's behaviour-level numbers, quirks
//!   included (docs/mnsim-model.md).
//! - [`Accounting::Physical`] counts the same hardware as built (docs/simulator.md).
//!
//! Flow: [`ArchConfig`] resolves against a preset into an [`Arch`]; a
//! [`crate::nets::NetworkSpec`] builds into a [`crate::nets::Network`];
//! [`simulate`] maps every layer ([`map_layer`]: integer counts), places the tiles,
//! runs the cost model and returns a [`SimReport`].

use serde::{Deserialize, Serialize};

pub mod config;
mod mapping;
mod model;
mod placement;
pub mod plan;
pub mod presets;
pub mod report;
mod sram;
pub mod tech;

pub use config::{Arch, ArchConfig, BufSize, CellType, Placement};
pub use mapping::{map_layer, slices, Accounting, LayerMap, TableUse};
pub use plan::{EpitomeLayout, LayerPlan, LayerScheme, NetworkPlan};
pub use presets::{preset, preset_names, PresetEntry, PRESETS};
pub use report::{Breakdown, Breakdowns, Details, LayerReport, Parts, SimReport, Totals};

use crate::nets::{Network, NetworkSpec};
use crate::{Error, Result};

/// Simulates one image of `net` on `arch`.
pub fn simulate(net: &Network, arch: &Arch, accounting: Accounting) -> Result<SimReport> {
    arch.validate()?;
    model::evaluate(net, arch, accounting)
}

/// Simulates one image of `net` on `arch` with a per-layer plan: any conv or fc layer
/// dense, an epitome or pruned, with its own weight and activation bits
/// ([`plan`]). An empty plan is [`simulate`].
pub fn simulate_plan(
    net: &Network,
    arch: &Arch,
    accounting: Accounting,
    plan: &NetworkPlan,
) -> Result<SimReport> {
    arch.validate()?;
    model::evaluate_plan(net, arch, accounting, plan)
}

/// Hardware and bit-width knobs: the values a user turns most (CLI flags of
/// `epim simulate|compare|search`, `knobs` in the JSON requests). `None` keeps the
/// value underneath (the config's, the preset's, the network's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct Knobs {
    /// Square crossbar size N: rows = columns = subarray rows = N (DACs and ADCs
    /// per subarray are capped at N).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub crossbar_size: Option<u32>,
    /// Bits per cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub cell_bits: Option<u32>,
    /// ADC option (1-9, the row of MNSIM's ADC table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub adc_choice: Option<u32>,
    /// DAC option (1-7, the row of MNSIM's DAC table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub dac_choice: Option<u32>,
    /// Weight bits of every layer (compare: of the methods without bits=).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub w_bits: Option<u32>,
    /// Activation bits of every layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub a_bits: Option<u32>,
}

impl Knobs {
    /// `spec` with the bit-width knobs applied (not built).
    pub fn spec(&self, spec: &NetworkSpec) -> NetworkSpec {
        let mut spec = spec.clone();
        if let Some(w) = self.w_bits {
            spec.w_bits = w;
        }
        if let Some(a) = self.a_bits {
            spec.a_bits = a;
        }
        spec
    }

    /// `config` with the hardware knobs written over it, and `base` (the preset)
    /// with its DACs and ADCs per subarray capped at the crossbar size.
    fn overlay(&self, config: &mut ArchConfig, base: &mut Arch) -> Result<()> {
        if let Some(n) = self.crossbar_size {
            if n == 0 {
                return Err(Error::invalid("crossbar_size", "must be >= 1, got 0"));
            }
            config.crossbar.rows = Some(n);
            config.crossbar.cols = Some(n);
            config.crossbar.subarray_rows = Some(n);
            base.pe.dacs_per_subarray = base.pe.dacs_per_subarray.min(n);
            base.pe.adcs_per_subarray = base.pe.adcs_per_subarray.min(n);
        }
        if let Some(b) = self.cell_bits {
            config.device.cell_bits = Some(b);
        }
        if let Some(c) = self.adc_choice {
            config.interface.adc_choice = Some(c);
        }
        if let Some(c) = self.dac_choice {
            config.interface.dac_choice = Some(c);
        }
        Ok(())
    }
}

/// What a simulation runs under beside the config: accounting, preset and
/// [`Knobs`]. JSON / JS: `{accounting?, preset?, knobs?: {crossbar_size?, ...}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct SimOptions {
    /// `mnsim` or `physical` (default physical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounting: Option<Accounting>,
    /// Base preset (overrides the config's `preset`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Hardware and bit-width knobs.
    #[serde(default)]
    pub knobs: Knobs,
}

impl SimOptions {
    /// `config` (or the default config) with the preset and hardware knobs applied,
    /// resolved and validated.
    pub fn arch(&self, config: &ArchConfig) -> Result<Arch> {
        let mut cfg = config.clone();
        if let Some(p) = &self.preset {
            cfg.preset = Some(p.clone());
        }
        let mut base = preset(cfg.preset.as_deref().unwrap_or(presets::DEFAULT))?;
        self.knobs.overlay(&mut cfg, &mut base)?;
        cfg.apply(&base)
    }

    /// `spec` with the bit-width knobs applied, built.
    pub fn network(&self, spec: &NetworkSpec) -> Result<Network> {
        self.knobs.spec(spec).build()
    }

    /// The accounting (default physical).
    pub fn accounting(&self) -> Accounting {
        self.accounting.unwrap_or_default()
    }
}

/// Declares a request that runs on the simulator's hardware: the struct with its
/// own fields after the four every such request shares (`preset`, `accounting`,
/// `config`, `knobs`; serde's `deny_unknown_fields` does not work through
/// `flatten`, so they are written into the struct), and `sim_options()` /
/// `arch()` reading them one way.
macro_rules! hardware_request {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Hardware preset (overrides the config's; default mnsim2).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub preset: Option<String>,
            /// `physical` (default) or `mnsim`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub accounting: Option<$crate::sim::Accounting>,
            /// Hardware config (per-level overrides of the preset).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub config: Option<$crate::sim::ArchConfig>,
            /// Hardware and bit-width knobs (crossbar size, cell bits, ADC/DAC,
            /// weight and activation bits).
            #[serde(default)]
            pub knobs: $crate::sim::Knobs,
        }

        impl $name {
            /// The request's accounting, preset and knobs.
            pub fn sim_options(&self) -> $crate::sim::SimOptions {
                $crate::sim::SimOptions {
                    accounting: self.accounting,
                    preset: self.preset.clone(),
                    knobs: self.knobs.clone(),
                }
            }

            /// The request's chip: its config (or the default) under its preset and
            /// knobs, resolved and validated.
            pub fn arch(&self) -> $crate::Result<$crate::sim::Arch> {
                self.sim_options()
                    .arch(&self.config.clone().unwrap_or_default())
            }
        }
    };
}
pub(crate) use hardware_request;

/// A network given by zoo name or as a full spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(untagged)]
pub enum NetworkRef {
    /// A built-in network.
    Name(String),
    /// A user network.
    Spec(NetworkSpec),
}

impl NetworkRef {
    /// The spec: the zoo entry or the given one.
    pub fn spec(&self) -> Result<NetworkSpec> {
        match self {
            NetworkRef::Name(name) => crate::nets::ZOO
                .iter()
                .find(|e| e.name == name)
                .map(|e| e.spec())
                .ok_or_else(|| Error::Unknown {
                    kind: "network".into(),
                    name: name.clone(),
                    known: crate::nets::builtin_names().collect::<Vec<_>>().join(", "),
                }),
            NetworkRef::Spec(s) => Ok(s.clone()),
        }
    }
}

/// Everything in one call: network (name or spec), config, knobs.
pub fn simulate_with(
    network: &NetworkRef,
    config: &ArchConfig,
    options: &SimOptions,
) -> Result<SimReport> {
    let net = options.network(&network.spec()?)?;
    let arch = options.arch(config)?;
    simulate(&net, &arch, options.accounting())
}
