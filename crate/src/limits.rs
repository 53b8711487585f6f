//! Every bound on input, in one place (documented in docs/limits.md).
//!
//! Sizes are checked against these constants before anything is allocated, and the
//! same constants apply to the CLI, the wasm API and the page (which reads them from
//! the wasm export `limits()`). An error names the field and the bound, e.g.
//! `invalid layer.c_out: must be an integer in 1..=65536, got 268435456`.
//!
//! Nothing reachable from input is quadratic in an input size: distinct offset
//! patterns are found by hashing ([`crate::epitome::EpitomeSpec::pattern_index`]),
//! and every table or tensor an operation builds is bounded below.

use serde::Serialize;

/// Largest channel count of an epitome layer (`layer.c_out`, `layer.c_in`,
/// `epitome.e_out`, `epitome.e_in`) and of a model layer.
pub const MAX_CHANNELS: usize = 1 << 16;

/// Largest kernel height or width of an epitome layer (`layer.k_h`, `layer.k_w`),
/// and the largest stride and padding; also the kernel bound of network specs
/// (`nets`) and of model architectures (`model`), one limit for the three.
pub const MAX_KERNEL: usize = 64;

/// Largest epitome height or width (`epitome.e_h`, `epitome.e_w`).
pub const MAX_EPITOME_SPATIAL: usize = 1024;

/// Most dense weights `c_out*c_in*k_h*k_w` of an epitome layer whose counts are
/// reported (`epitomeInfo`, `epim info`): counting is O(groups), never O(weights).
pub const MAX_LAYER_WEIGHTS: usize = 1 << 28;

/// Most elements of any tensor an operation allocates (2^28 `f32`s, 1 GiB): larger
/// requests are errors, not allocation failures (a trap in wasm).
pub const MAX_TENSOR_ELEMENTS: usize = 1 << 28;

/// Most dense weights an operation materializes (`epitomeMaterialize`, `epim epitome
/// materialize`): 2^22 `f32`s, 16 MiB, plus their index map (the explorer's bound too).
pub const MAX_MATERIALIZED_WEIGHTS: usize = 1 << 22;

/// Most epitome elements `e_out*e_in*e_h*e_w` (the data a layer file carries).
pub const MAX_EPITOME_ELEMENTS: usize = 1 << 24;

/// Most rows of the datapath tables (IFAT inputs plus OFAT channels) one layer may
/// produce (`epitomeTables`, `epim epitome tables`).
pub const MAX_TABLE_ENTRIES: usize = 1 << 22;

/// Most multiply-adds one epitome convolution may do (`epitomeConv`, `epim epitome
/// conv`), counted before it runs: about a second natively.
pub const MAX_CONV_MACS: usize = 1 << 30;

/// Largest JSON input file the CLI reads (bytes).
pub const MAX_JSON_BYTES: u64 = 1 << 28;

/// Largest model file (bytes) `Model.load` and `epim` accept.
pub const MAX_MODEL_BYTES: usize = 64 << 20;

/// Most values in one array converted from JS (a typed array or a plain array).
pub const MAX_JS_ARRAY_LEN: usize = 1 << 22;

/// Longest JS array that may hold anything but numbers (longer ones are numeric data:
/// epitome values, inputs, images); the longest structured list is one offset per group.
pub const MAX_JS_STRUCTURED_LEN: usize = MAX_CHANNELS;

/// Most properties of one object converted from JS.
pub const MAX_JS_OBJECT_KEYS: usize = 4096;

/// Deepest nesting of objects and arrays converted from JS (or read from JSON).
pub const MAX_JS_DEPTH: usize = 32;

/// Longest string converted from JS (UTF-16 code units).
pub const MAX_JS_STRING_LEN: usize = 1 << 20;

/// Most values (numbers, strings, ...) converted from JS in one call.
pub const MAX_JS_VALUES: usize = 1 << 23;

/// Most methods in one comparison (`compare`, `epim compare`).
pub const MAX_METHODS: usize = 64;

/// Longest echo of an input value inside an error message (characters).
pub const MAX_ECHO_CHARS: usize = 40;

/// Longest error message (characters); longer ones are cut with `...`.
pub const MAX_ERROR_CHARS: usize = 300;

/// Largest magnitude a hardware parameter may have (config fields are physical
/// quantities; anything beyond this is a typo that overflows derived values).
pub const MAX_CONFIG_MAGNITUDE: f64 = 1e12;

/// Smallest positive magnitude a hardware parameter may have where it must be > 0.
pub const MIN_CONFIG_MAGNITUDE: f64 = 1e-12;

/// Most word lines per crossbar in the crossbar accuracy model (`pim`,
/// `crossbar_rows`).
pub const MAX_PIM_CROSSBAR_ROWS: usize = 1024;

/// Most bits per cell in the crossbar accuracy model (`cell_bits`).
pub const MAX_PIM_CELL_BITS: u32 = 4;

/// Most ADC bits in the crossbar accuracy model (`adc_bits`).
pub const MAX_PIM_ADC_BITS: u32 = 16;

/// Most DAC bits (input bits per cycle) of the crossbar model.
pub const MAX_PIM_DAC_BITS: u32 = 8;

/// Largest lognormal conductance sigma in the crossbar accuracy model
/// (`variation_sigma`).
pub const MAX_PIM_VARIATION_SIGMA: f64 = 1.0;

/// Largest stuck-at-0 or stuck-at-1 cell fraction (`sa0_0_to_1`, `sa1_0_to_1`).
pub const MAX_PIM_FAULT_FRACTION: f64 = 0.5;

/// Smallest and largest on/off conductance ratio (`on_off_ratio`).
pub const MIN_PIM_ON_OFF_RATIO: f64 = 2.0;
/// See [`MIN_PIM_ON_OFF_RATIO`].
pub const MAX_PIM_ON_OFF_RATIO: f64 = 1e9;

/// Most seeds of one crossbar accuracy evaluation (`--seeds`).
pub const MAX_PIM_SEEDS: usize = 64;

/// Most points of one knob sweep (`--sweep`).
pub const MAX_PIM_SWEEP_POINTS: usize = 64;

/// Most training images of one run in the page (`TrainRun`): the 60,000 of
/// MNIST's and Fashion-MNIST's training sets.
pub const MAX_TRAIN_IMAGES: usize = 60_000;

/// The limits as one object (the wasm export `limits()`, `epim limits`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct Limits {
    /// [`MAX_CHANNELS`].
    pub max_channels: usize,
    /// [`MAX_KERNEL`].
    pub max_kernel: usize,
    /// [`MAX_EPITOME_SPATIAL`].
    pub max_epitome_spatial: usize,
    /// [`MAX_LAYER_WEIGHTS`].
    pub max_layer_weights: usize,
    /// [`MAX_TENSOR_ELEMENTS`].
    pub max_tensor_elements: usize,
    /// [`MAX_MATERIALIZED_WEIGHTS`].
    pub max_materialized_weights: usize,
    /// [`MAX_EPITOME_ELEMENTS`].
    pub max_epitome_elements: usize,
    /// [`MAX_TABLE_ENTRIES`].
    pub max_table_entries: usize,
    /// [`MAX_MODEL_BYTES`].
    pub max_model_bytes: usize,
    /// [`MAX_JS_ARRAY_LEN`].
    pub max_array_len: usize,
    /// [`MAX_JS_STRING_LEN`].
    pub max_string_len: usize,
    /// [`MAX_METHODS`].
    pub max_methods: usize,
    /// [`MAX_ERROR_CHARS`].
    pub max_error_chars: usize,
}

/// Every limit of this module.
pub const LIMITS: Limits = Limits {
    max_channels: MAX_CHANNELS,
    max_kernel: MAX_KERNEL,
    max_epitome_spatial: MAX_EPITOME_SPATIAL,
    max_layer_weights: MAX_LAYER_WEIGHTS,
    max_tensor_elements: MAX_TENSOR_ELEMENTS,
    max_materialized_weights: MAX_MATERIALIZED_WEIGHTS,
    max_epitome_elements: MAX_EPITOME_ELEMENTS,
    max_table_entries: MAX_TABLE_ENTRIES,
    max_model_bytes: MAX_MODEL_BYTES,
    max_array_len: MAX_JS_ARRAY_LEN,
    max_string_len: MAX_JS_STRING_LEN,
    max_methods: MAX_METHODS,
    max_error_chars: MAX_ERROR_CHARS,
};

/// `text` cut to [`MAX_ECHO_CHARS`] characters (with `...` when cut), for echoing
/// an input value in an error.
pub fn echo(text: &str) -> String {
    truncate(text, MAX_ECHO_CHARS)
}

/// `text` cut to at most `max` characters, the last three being `...` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(3);
    let mut out: String = text.chars().take(keep).collect();
    out.push_str("...");
    out
}

/// Errors unless `v` is in `1..=max`; the message names `field` and the range.
pub fn check_range(field: &str, v: usize, max: usize) -> crate::Result<()> {
    if v == 0 || v > max {
        return Err(crate::Error::invalid(
            field,
            format!("must be an integer in 1..={max}, got {v}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_short_text_and_cuts_long_text() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdefgh", 5), "ab...");
        assert_eq!(truncate("ééééééé", 5).chars().count(), 5);
        assert_eq!(echo(&"9".repeat(400)).chars().count(), MAX_ECHO_CHARS);
    }

    #[test]
    fn range_errors_name_field_and_bound() {
        assert!(check_range("layer.c_out", 65536, MAX_CHANNELS).is_ok());
        let e = check_range("layer.c_out", 1 << 28, MAX_CHANNELS).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid layer.c_out: must be an integer in 1..=65536, got 268435456"
        );
        assert!(check_range("rep", 0, 4).is_err());
    }
}
