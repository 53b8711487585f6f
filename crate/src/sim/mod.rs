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

/// Knobs that override the preset, the config and the network (CLI flags,
/// `simulate()` options in the browser). `None` keeps the value underneath.
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
    /// Square crossbar size N: rows = cols = subarray rows = N (DACs and ADCs per
    /// subarray are capped at N).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossbar_size: Option<u32>,
    /// Bits per cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_bits: Option<u32>,
    /// ADC table row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adc_choice: Option<u32>,
    /// DAC table row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dac_choice: Option<u32>,
    /// Weight bits of every layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w_bits: Option<u32>,
    /// Activation bits of every layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_bits: Option<u32>,
}

impl SimOptions {
    /// `config` (or the default config) with the preset and hardware knobs applied,
    /// resolved and validated.
    pub fn arch(&self, config: &ArchConfig) -> Result<Arch> {
        let mut cfg = config.clone();
        if let Some(p) = &self.preset {
            cfg.preset = Some(p.clone());
        }
        if let Some(n) = self.crossbar_size {
            if n == 0 {
                return Err(Error::invalid("crossbar_size", "must be >= 1, got 0"));
            }
            cfg.crossbar.rows = Some(n);
            cfg.crossbar.cols = Some(n);
            cfg.crossbar.subarray_rows = Some(n);
        }
        if let Some(b) = self.cell_bits {
            cfg.device.cell_bits = Some(b);
        }
        if let Some(c) = self.adc_choice {
            cfg.interface.adc_choice = Some(c);
        }
        if let Some(c) = self.dac_choice {
            cfg.interface.dac_choice = Some(c);
        }
        let base = preset(cfg.preset.as_deref().unwrap_or(presets::DEFAULT))?;
        let mut base = base;
        if let Some(n) = self.crossbar_size {
            base.pe.dacs_per_subarray = base.pe.dacs_per_subarray.min(n);
            base.pe.adcs_per_subarray = base.pe.adcs_per_subarray.min(n);
        }
        cfg.apply(&base)
    }

    /// `spec` with the bit-width knobs applied, built.
    pub fn network(&self, spec: &NetworkSpec) -> Result<Network> {
        let mut spec = spec.clone();
        if let Some(w) = self.w_bits {
            spec.w_bits = w;
        }
        if let Some(a) = self.a_bits {
            spec.a_bits = a;
        }
        spec.build()
    }

    /// The accounting (default physical).
    pub fn accounting(&self) -> Accounting {
        self.accounting.unwrap_or_default()
    }
}

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
