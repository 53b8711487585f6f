//! JS <-> Rust conversion helpers shared by every binding.

use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::prelude::*;

use crate::error::Error;

/// Deserializes a JS value, naming `what` in the error.
pub fn from_js<T: DeserializeOwned>(what: &str, value: JsValue) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| Error::parse(what, e).into())
}

/// Serializes to plain JS objects (maps as objects, u64 as numbers).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&ser)
        .map_err(|e| JsError::new(&format!("cannot convert result to JS: {e}")))
}
