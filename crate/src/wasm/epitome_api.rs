//! The epitome operator and quantizer for JS: the same four operations as
//! `epim epitome materialize|tables|conv` and `epim quantize`.
//!
//! Input: the layer-file object of `crate::epitome::EpitomeLayerSpec`
//! (`{layer, epitome: {shape, data}, offsets?, rep?, input?: {shape, data},
//! bias?}`); `data` and `bias` may be plain arrays or `Float32Array`s.
//! Output: plain objects whose data arrays are typed arrays (`Float32Array`,
//! codes as `Int32Array`). Every error is a thrown JS `Error` naming the field.

use js_sys::{Float32Array, Int32Array, Reflect};
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

/// Sets `obj[key] = value`.
fn set(obj: &JsValue, key: &str, value: &JsValue) -> Result<(), JsError> {
    Reflect::set(obj, &JsValue::from_str(key), value)
        .map(|_| ())
        .map_err(|_| JsError::new(&format!("cannot set property {key} on the result")))
}

#[derive(Serialize)]
struct MaterializeMeta<'a> {
    shape: [usize; 4],
    offsets: &'a [Offset],
    compression: f64,
}

/// `epitomeMaterialize(layer)` -> `{shape: [c_out,c_in,k_h,k_w], data:
/// Float32Array, offsets: [[a,b,c],...], compression}`.
#[wasm_bindgen(js_name = epitomeMaterialize)]
pub fn epitome_materialize(layer: JsValue) -> Result<JsValue, JsError> {
    let r = read_layer(layer)?.materialize_report()?;
    let obj = to_js(&MaterializeMeta {
        shape: r.shape,
        offsets: &r.offsets,
        compression: r.compression,
    })?;
    set(&obj, "data", &Float32Array::from(r.data.as_slice()).into())?;
    Ok(obj)
}

/// `epitomeTables(layer)` -> `{patterns, ifat: [{pattern, word_line, word_line_epq,
/// inputs: [[i,dy,dx],...]}], ifrt: [{pattern, word_line, word_line_epq, fan_in,
/// extra_bits}], ofat: [{pattern, column, channels}]}` (`word_line_epq`: the word
/// line's `[e, p, q]`).
#[wasm_bindgen(js_name = epitomeTables, unchecked_return_type = "DatapathTables")]
pub fn epitome_tables(layer: JsValue) -> Result<JsValue, JsError> {
    to_js(&read_layer(layer)?.tables()?)
}

#[derive(Serialize)]
struct ShapeOnly {
    shape: [usize; 4],
}

/// `epitomeConv(layer)` (the layer needs `input`) -> `{shape: [n,c_out,h_out,w_out],
/// data: Float32Array}`.
#[wasm_bindgen(js_name = epitomeConv)]
pub fn epitome_conv(layer: JsValue) -> Result<JsValue, JsError> {
    let r = read_layer(layer)?.conv_report()?;
    let obj = to_js(&ShapeOnly { shape: r.shape })?;
    set(&obj, "data", &Float32Array::from(r.data.as_slice()).into())?;
    Ok(obj)
}

#[derive(Serialize)]
struct QuantizeMeta {
    bits: u32,
    bits_per_weight: f64,
}

/// `quantize(layer, bits)` -> `{bits, scales: Float32Array, codes: Int32Array,
/// dequantized: Float32Array, bits_per_weight}`; bits must be an integer in 2..=8
/// (a number: `3.7`, `2**32 + 3` or `-1` are errors, never truncated or wrapped).
#[wasm_bindgen(js_name = quantize)]
pub fn quantize(layer: JsValue, bits: JsValue) -> Result<JsValue, JsError> {
    let range = crate::quant::weights::WEIGHT_BITS;
    let bits = integer(
        "bits",
        &bits,
        u64::from(*range.start()),
        u64::from(*range.end()),
    )? as u32;
    let r = read_layer(layer)?.quantize_report(bits)?;
    let obj = to_js(&QuantizeMeta {
        bits: r.bits,
        bits_per_weight: r.bits_per_weight,
    })?;
    set(
        &obj,
        "scales",
        &Float32Array::from(r.scales.as_slice()).into(),
    )?;
    set(&obj, "codes", &Int32Array::from(r.codes.as_slice()).into())?;
    set(
        &obj,
        "dequantized",
        &Float32Array::from(r.dequantized.as_slice()).into(),
    )?;
    Ok(obj)
}
