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
    /// The knobs: --crossbar-size, --cell-bits, --adc-choice, --dac-choice, --w-bits,
    /// --a-bits (the library's `Knobs`, read straight from the flags).
    #[command(flatten)]
    pub knobs: Knobs,
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

    /// Everything as simulator options.
    pub fn options(&self) -> epim::Result<SimOptions> {
        Ok(self
            .knobs
            .sim_options(self.accounting()?, self.preset.clone()))
    }
}
