//! The explorer's links between `W` and `E` for JS (crate::epitome::links): the
//! page draws them and never re-derives the sampling rule.
//!
//! `spec` is the object of `epitomeInfo`: `{layer: {c_out, c_in, k_h, k_w}, epitome:
//! {e_out, e_in, e_h, e_w}, offsets?, rep?}`; layers are bounded by
//! `limits().max_materialized_weights`. Errors are thrown `Error`s naming the field.

use js_sys::{Reflect, Uint32Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::convert::{from_js, integer, optional_integer, to_js};
use crate::epitome::links;
use crate::epitome::EpitomeSpec;
use crate::limits::MAX_EPITOME_ELEMENTS;

fn read(spec: &JsValue) -> Result<EpitomeSpec, JsError> {
    from_js("epitome spec", spec)
}

#[derive(Serialize)]
struct SamplingMeta {
    max_count: u32,
}

/// `epitomeSampling(spec)` -> `{index: Uint32Array, counts: Uint32Array, groups:
/// Uint32Array, max_count}`: `index[((o*c_in + i)*k_h + y)*k_w + x]` is the flat index
/// into `E` of the element weight `W[o][i][y][x]` copies; `counts[k]` how many weights
/// copy element `k`; `groups[o]` the group of output channel `o`.
#[wasm_bindgen(
    js_name = epitomeSampling,
    unchecked_return_type = "{ index: Uint32Array; counts: Uint32Array; groups: Uint32Array; max_count: number }"
)]
pub fn epitome_sampling(
    #[wasm_bindgen(unchecked_param_type = "EpitomeSpec")] spec: JsValue,
) -> Result<JsValue, JsError> {
    let s = links::sampling(&read(&spec)?)?;
    let obj = to_js(&SamplingMeta {
        max_count: s.max_count,
    })?;
    for (key, data) in [
        ("index", &s.index),
        ("counts", &s.counts),
        ("groups", &s.groups),
    ] {
        Reflect::set(
            &obj,
            &JsValue::from_str(key),
            &Uint32Array::from(data.as_slice()).into(),
        )
        .map_err(|_| JsError::new(&format!("cannot set property {key} on the result")))?;
    }
    Ok(obj)
}

/// `epitomeCells(spec, shown)` -> `{e_index, e_counts, w_counts, max_count}`: the
/// explorer's per-cell view ([`links::cells`]), nested by coordinates:
/// `e_index[r][ch][y][x]` (the element for `epitomeReaders`) and
/// `e_counts[r][ch][y][x]` for the first `shown` rows and channels of `E`,
/// `w_counts[o][i][y][x]` (the count of the element the weight copies) for the first
/// `shown` output and input channels of `W`; `shown` in 1..=1024.
#[wasm_bindgen(js_name = epitomeCells, unchecked_return_type = "EpitomeCells")]
pub fn epitome_cells(
    #[wasm_bindgen(unchecked_param_type = "EpitomeSpec")] spec: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] shown: JsValue,
) -> Result<JsValue, JsError> {
    let spec = read(&spec)?;
    let shown = integer("shown", &shown, 1, 1024)? as usize;
    to_js(&links::cells(&spec, shown)?)
}

/// `epitomeWindow(spec, o, i?)` -> `{o, i, group, offset: [a,b,c], row, channel, wraps,
/// elements: [k...], cells: [[r,ch,y,x]...], next_i}`: the epitome elements kernel
/// `W[o][i]` reads (every kernel of output channel `o` when `i` is null or undefined;
/// then `channel` is null and `wraps` 0). `channel` is `(a + i) % e_in`, `wraps`
/// `(a + i) / e_in`, `next_i` the input channel to step to (`i + 1`, wrapping to 0).
#[wasm_bindgen(js_name = epitomeWindow, unchecked_return_type = "EpitomeWindow")]
pub fn epitome_window(
    #[wasm_bindgen(unchecked_param_type = "EpitomeSpec")] spec: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] o: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number | null | undefined")] i: JsValue,
) -> Result<JsValue, JsError> {
    let spec = read(&spec)?;
    let max = crate::limits::MAX_CHANNELS as u64;
    let o = integer("o", &o, 0, max)? as usize;
    let i = optional_integer("i", &i, max)?.map(|i| i as usize);
    to_js(&links::window(&spec, o, i)?)
}

/// `epitomeReaders(spec, element)` -> `{element, cell: [r,ch,y,x], weights:
/// [[o,i,y,x]...], kernels: [[o,i]...]}`: every weight of `W` that copies epitome
/// element `element` (a flat index into `E`), and their kernels.
#[wasm_bindgen(js_name = epitomeReaders, unchecked_return_type = "EpitomeReaders")]
pub fn epitome_readers(
    #[wasm_bindgen(unchecked_param_type = "EpitomeSpec")] spec: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] element: JsValue,
) -> Result<JsValue, JsError> {
    let spec = read(&spec)?;
    let element = integer("element", &element, 0, MAX_EPITOME_ELEMENTS as u64)? as usize;
    to_js(&links::readers(&spec, element)?)
}
