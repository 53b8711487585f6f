//! The hardware flags shared by `epim simulate`, `epim compare` and `epim search`
//! (flattened into each): preset, config file, accounting and the simulator's knobs.

use std::path::PathBuf;

use clap::Args;
use epim::sim::{Accounting, ArchConfig, Knobs, SimOptions};

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

    /// The flags given, written over a request's hardware fields (a `--request`
    /// file's): each flag and knob replaces its field only when given.
    pub fn overlay(
        &self,
        preset: &mut Option<String>,
        accounting: &mut Option<Accounting>,
        config: &mut Option<ArchConfig>,
        knobs: &mut Knobs,
    ) -> epim::Result<()> {
        if self.preset.is_some() {
            preset.clone_from(&self.preset);
        }
        if let Some(a) = self.accounting()? {
            *accounting = Some(a);
        }
        if let Some(c) = self.config()? {
            *config = Some(c);
        }
        let k = &self.knobs;
        let over = |flag: Option<u32>, field: &mut Option<u32>| {
            if flag.is_some() {
                *field = flag;
            }
        };
        over(k.crossbar_size, &mut knobs.crossbar_size);
        over(k.cell_bits, &mut knobs.cell_bits);
        over(k.adc_choice, &mut knobs.adc_choice);
        over(k.dac_choice, &mut knobs.dac_choice);
        over(k.w_bits, &mut knobs.w_bits);
        over(k.a_bits, &mut knobs.a_bits);
        Ok(())
    }

    /// Everything as simulator options.
    pub fn options(&self) -> epim::Result<SimOptions> {
        Ok(SimOptions {
            accounting: self.accounting()?,
            preset: self.preset.clone(),
            knobs: self.knobs.clone(),
        })
    }
}
