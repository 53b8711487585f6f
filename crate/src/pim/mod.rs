//! A functional model of a trained [`crate::model::Model`] running on ReRAM
//! crossbars: what accuracy is left after the ADC's resolution, device
//! variation, stuck-at faults and a finite on/off ratio (docs/pim-accuracy.md).
//!
//! Each weight layer is mapped the way the simulator maps it
//! ([`crate::model::cost::model_cost`], physical accounting): the stored tensor
//! (the epitome `E` of an EPIM layer, the kept rows of a row-pruned layer, `W`
//! of a dense one) as a matrix of signed integer codes, one word line per
//! matrix row and one weight column per stored output row. A code of `b` bits
//! has `b - 1` magnitude bits split into `slices = ceil((b - 1) / cell_bits)`
//! cells per polarity (positive and negative crossbars). Matrix rows are
//! packed row by row into blocks of `crossbar_rows` word lines. Per output
//! pixel, the layer's unsigned input codes (summed per word line where an
//! epitome channel is shared, as the IFRT does) are fed bit-serially,
//! `dac_bits` per cycle; every (row block, cycle, slice, polarity, column)
//! read gives one analog column sum that one ADC conversion digitizes
//! ([`adc_code`]); shift-and-add and the dequantization
//! `y = s_x * s_w * sum + bias` follow.
//!
//! - [`knobs`]: the knobs ([`PimKnobs`]) with units, bounds and presets;
//! - [`cell`]: the seeded cell model (levels, on/off ratio, variation, faults);
//! - [`layer`]: the mapping of a model and the fast path ([`PimModel`]);
//! - `planes`: the bit-plane read of layers whose cells are whole levels;
//! - `groups`: the grouped row-by-row read (sums of subsets of word lines);
//! - [`reference`](mod@reference): the slow per-cell, per-bit oracle of the fast path;
//! - [`eval`]: accuracy over seeds and sweeps;
//! - [`trade`]: the simulator's cost of each ADC resolution, and accuracy against it.

pub mod cell;
pub mod eval;
pub(crate) mod groups;
pub mod knobs;
pub mod layer;
pub(crate) mod planes;
pub mod reference;
pub(crate) mod tables;
pub mod trade;

pub use cell::{adc_code, cell_conductance, CONDUCTANCE_FRACTION_BITS};
pub use eval::{
    evaluate, layer_errors, sweep, EvalResult, LayerError, Progressive, SweepKnob, SweepPoint,
    SweepSeries,
};
pub use knobs::{PimKnobs, PIM_PRESETS};
pub use layer::{ErrorSums, PimModel, ReadPaths};
