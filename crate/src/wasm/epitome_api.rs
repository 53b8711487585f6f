//! The epitome operator and quantizer for JS: the same four operations as
//! `epim epitome materialize|tables|conv` and `epim quantize`.
//!
//! Input: the layer-file object of `crate::epitome::EpitomeLayerSpec` (the same
//! name in TypeScript): `{layer, epitome: {shape, data}, offsets?, rep?, input?:
//! {shape, data}, bias?}`; `data` and `bias` may be plain arrays or `Float32Array`s.
//! Output: plain objects whose data arrays are typed arrays (`Float32Array`,
//! codes as `Int32Array`): `MaterializeResult`, `ConvResult`, `QuantizeResult`
//! (and the `DatapathTables` of the core). Every error is a thrown JS `Error`
//! naming the field.

use js_sys::{Float32Array, Int32Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::convert::{from_js, integer, peek, peek_len, to_js};
use crate::epitome::{EpitomeLayer, EpitomeLayerSpec, Offset};

fn read_layer(spec: JsValue) -> Result<EpitomeLayer, JsError> {
    check_lengths(&spec)?;
    let spec: EpitomeLayerSpec = from_js("epitome layer", &spec)?;
    Ok(spec.build()?)
}

/// A tensor (`epitome`, `input`) whose `data` length cannot match its 4-d `shape`
/// fails before its data is converted: converting a million-element array took
/// 2-3 s on a loaded machine only to report the mismatch (the fuzzer's `slow`
/// cases). Anything this check cannot read is left to the full conversion, which
/// reports it with its field path; the message is the one `Tensor4::new` gives.
fn check_lengths(spec: &JsValue) -> Result<(), JsError> {
    for key in ["epitome", "input"] {
        let Some(t) = peek(spec, key) else { continue };
        let (Some(shape), Some(data)) = (peek(&t, "shape"), peek(&t, "data")) else {
            continue;
        };
        if peek_len(&shape) != Some(4) {
            continue;
        }
        let dims: Option<Vec<usize>> = (0..4)
            .map(|i| {
                peek(&shape, &i.to_string())?
                    .as_f64()
                    .filter(|v| v.fract() == 0.0 && (0.0..=1e9).contains(v))
                    .map(|v| v as usize)
            })
            .collect();
        let (Some(dims), Some(len)) = (dims, peek_len(&data)) else {
            continue;
        };
        let Some(want) = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) else {
            continue;
        };
        if want != len {
            return Err(crate::Error::shape(
                format!("{key}.data"),
                format!("{want} values for shape {dims:?}"),
                format!("{len} values"),
            )
            .into());
        }
    }
    Ok(())
}

/// What `epitomeMaterialize` returns: the sampled weights with the offsets and
/// compression ([`crate::epitome::MaterializeReport`], `data` as a `Float32Array`).
#[derive(Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct MaterializeResult {
    /// `[c_out, c_in, k_h, k_w]`.
    pub shape: [usize; 4],
    /// The offset of every group (listed or default).
    pub offsets: Vec<Offset>,
    /// Parameter compression `weight_count / param_count`.
    pub compression: f64,
    /// The sampled weights, row-major OIHW.
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Float32Array"))]
    pub data: Float32Array,
}

/// `epitomeMaterialize(layer)` -> `{shape: [c_out,c_in,k_h,k_w], offsets: [[a,b,c],...],
/// compression, data: Float32Array}`.
#[wasm_bindgen(js_name = epitomeMaterialize, unchecked_return_type = "MaterializeResult")]
pub fn epitome_materialize(
    #[wasm_bindgen(unchecked_param_type = "EpitomeLayerSpec")] layer: JsValue,
) -> Result<JsValue, JsError> {
    let r = read_layer(layer)?.materialize_report()?;
    to_js(&MaterializeResult {
        shape: r.shape,
        offsets: r.offsets,
        compression: r.compression,
        data: Float32Array::from(r.data.as_slice()),
    })
}

/// `epitomeTables(layer)` -> `{patterns, ifat: [{pattern, word_line, word_line_epq,
/// inputs: [[i,dy,dx],...]}], ifrt: [{pattern, word_line, word_line_epq, fan_in,
/// extra_bits}], ofat: [{pattern, column, channels}]}` (`word_line_epq`: the word
/// line's `[e, p, q]`).
#[wasm_bindgen(js_name = epitomeTables, unchecked_return_type = "DatapathTables")]
pub fn epitome_tables(
    #[wasm_bindgen(unchecked_param_type = "EpitomeLayerSpec")] layer: JsValue,
) -> Result<JsValue, JsError> {
    to_js(&read_layer(layer)?.tables()?)
}

/// What `epitomeConv` returns ([`crate::epitome::ConvReport`], `data` as a
/// `Float32Array`).
#[derive(Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct ConvResult {
    /// `[n, c_out, h_out, w_out]`.
    pub shape: [usize; 4],
    /// The output, row-major NCHW.
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Float32Array"))]
    pub data: Float32Array,
}

/// `epitomeConv(layer)` (the layer needs `input`) -> `{shape: [n,c_out,h_out,w_out],
/// data: Float32Array}`.
#[wasm_bindgen(js_name = epitomeConv, unchecked_return_type = "ConvResult")]
pub fn epitome_conv(
    #[wasm_bindgen(unchecked_param_type = "EpitomeLayerSpec")] layer: JsValue,
) -> Result<JsValue, JsError> {
    let r = read_layer(layer)?.conv_report()?;
    to_js(&ConvResult {
        shape: r.shape,
        data: Float32Array::from(r.data.as_slice()),
    })
}

/// What `quantize` returns ([`crate::epitome::QuantizeReport`], arrays as typed
/// arrays).
#[derive(Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct QuantizeResult {
    /// Weight bits (2..=8).
    pub bits: u32,
    /// `(bits*|E| + 32*e_out) / (c_out*c_in*k_h*k_w)`.
    pub bits_per_weight: f64,
    /// One scale per epitome output row.
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Float32Array"))]
    pub scales: Float32Array,
    /// Integer codes, row-major like the epitome.
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Int32Array"))]
    pub codes: Int32Array,
    /// `codes * scale`, row-major like the epitome.
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Float32Array"))]
    pub dequantized: Float32Array,
}

/// `quantize(layer, bits)` -> `{bits, bits_per_weight, scales: Float32Array, codes:
/// Int32Array, dequantized: Float32Array}`; bits must be an integer in 2..=8
/// (a number: `3.7`, `2**32 + 3` or `-1` are errors, never truncated or wrapped).
#[wasm_bindgen(js_name = quantize, unchecked_return_type = "QuantizeResult")]
pub fn quantize(
    #[wasm_bindgen(unchecked_param_type = "EpitomeLayerSpec")] layer: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] bits: JsValue,
) -> Result<JsValue, JsError> {
    let range = crate::quant::weights::WEIGHT_BITS;
    let bits = integer(
        "bits",
        &bits,
        u64::from(*range.start()),
        u64::from(*range.end()),
    )? as u32;
    let r = read_layer(layer)?.quantize_report(bits)?;
    to_js(&QuantizeResult {
        bits: r.bits,
        bits_per_weight: r.bits_per_weight,
        scales: Float32Array::from(r.scales.as_slice()),
        codes: Int32Array::from(r.codes.as_slice()),
        dequantized: Float32Array::from(r.dequantized.as_slice()),
    })
}
