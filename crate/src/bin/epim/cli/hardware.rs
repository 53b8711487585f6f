//! The hardware flags shared by `epim simulate` and `epim compare` (flattened
//! into both): preset, config file, accounting and the simulator's knobs.

use std::path::PathBuf;

use clap::Args;
use epim::compare::Knobs;
use epim::sim::{Accounting, ArchConfig, SimOptions};

/// Preset, config, accounting and knobs.
#[derive(Args, Debug, Clone)]
pub struct HardwareArgs {
    /// Hardware preset: mnsim2 (default) or isaac.
    #[arg(long)]
    pub preset: Option<String>,
    /// Hardware config JSON file (preset overrides; see docs/simulator.md).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Accounting: physical (default) or mnsim (MNSIM 2.0's numbers).
    #[arg(long)]
    pub accounting: Option<String>,
    /// Square crossbar size N (rows = columns = subarray rows = N).
    #[arg(long)]
    pub crossbar_size: Option<u32>,
    /// Bits per cell.
    #[arg(long)]
    pub cell_bits: Option<u32>,
    /// ADC option (1-9, MNSIM's table).
    #[arg(long)]
    pub adc_choice: Option<u32>,
    /// DAC option (1-7, MNSIM's table).
    #[arg(long)]
    pub dac_choice: Option<u32>,
    /// Weight bits of every layer (compare: of the methods without bits=).
    #[arg(long)]
    pub w_bits: Option<u32>,
    /// Activation bits of every layer.
    #[arg(long)]
    pub a_bits: Option<u32>,
}

impl HardwareArgs {
    /// `--accounting`, parsed.
    pub fn accounting(&self) -> epim::Result<Option<Accounting>> {
        self.accounting
            .as_deref()
            .map(Accounting::parse)
            .transpose()
    }

    /// The `--config` file, read.
    pub fn config(&self) -> epim::Result<Option<ArchConfig>> {
        self.config.as_deref().map(super::read_json).transpose()
    }

    /// The knobs without preset and accounting.
    pub fn knobs(&self) -> Knobs {
        Knobs {
            crossbar_size: self.crossbar_size,
            cell_bits: self.cell_bits,
            adc_choice: self.adc_choice,
            dac_choice: self.dac_choice,
            w_bits: self.w_bits,
            a_bits: self.a_bits,
        }
    }

    /// Everything as simulator options.
    pub fn options(&self) -> epim::Result<SimOptions> {
        Ok(self
            .knobs()
            .sim_options(self.accounting()?, self.preset.clone()))
    }
}
