//! The one strict conversion from JS values, shared by every export.
//!
//! A JS value is walked once into a `serde_json::Value` and then deserialized with
//! the field path tracked ([`crate::error::from_json_value`]), so every error names
//! its field (`layer.c_out`, `epitome.data[3]`). The walk rejects what JSON cannot
//! hold instead of letting `JSON.stringify` turn it into something else: NaN and
//! ±Infinity (which JSON.stringify makes `null`, i.e. "use the default"), functions,
//! symbols, BigInts, arrays or strings longer than the limits, nesting deeper than
//! [`MAX_JS_DEPTH`]. Every property read goes through `Reflect.get` with `catch`, so a
//! throwing getter or a throwing `Proxy` trap becomes an error naming the property
//! instead of an exception unwinding through wasm (which leaks the Rust stack and,
//! repeated, kills the instance). Unknown keys are rejected by the structs'
//! `deny_unknown_fields`; integral numbers become JSON integers, so `3.0` is a valid
//! `usize` and `3.7`, `-1` or `2**64` are errors naming the field.

use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Number, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::Error;
use crate::limits::{
    echo, MAX_JS_ARRAY_LEN, MAX_JS_DEPTH, MAX_JS_OBJECT_KEYS, MAX_JS_STRING_LEN,
    MAX_JS_STRUCTURED_LEN, MAX_JS_VALUES,
};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn reflect_get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(js_namespace = ArrayBuffer, js_name = isView, catch)]
    fn is_view(value: &JsValue) -> Result<bool, JsValue>;
}

/// `obj[key]` for a look ahead: `None` when `obj` is not an object or the read
/// throws (a getter, a Proxy); the full conversion reports those.
pub fn peek(obj: &JsValue, key: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    reflect_get(obj, &JsValue::from_str(key)).ok()
}

/// The `length` of an array or typed array, without reading its elements
/// (`None` for anything else, or when asking throws).
pub fn peek_len(value: &JsValue) -> Option<usize> {
    let array = is_array(value).unwrap_or(false) || is_view(value).unwrap_or(false);
    if !array {
        return None;
    }
    peek(value, "length")?
        .as_f64()
        .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= u32::MAX as f64)
        .map(|n| n as usize)
}

// One JS call for an array of plain numbers (the common, large case: epitome data,
// images) instead of one `Reflect.get` per element; the index of the first element
// that is not a number otherwise (then the element-wise walk names it, or, for an
// array longer than any structured list, the error does).
#[wasm_bindgen(inline_js = "export function epim_numbers(a, n) { \
    const out = new Float64Array(n); \
    for (let i = 0; i < n; i++) { const v = a[i]; if (typeof v !== 'number') return i; out[i] = v; } \
    return out; }")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn epim_numbers(array: &JsValue, len: u32) -> Result<JsValue, JsValue>;
}

/// A thrown JS value's message (its `message` property when it is an Error),
/// shortened for an error message.
fn thrown(e: &JsValue) -> String {
    let text = e
        .dyn_ref::<js_sys::Error>()
        .map(|err| String::from(err.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "a non-Error value".into());
    echo(&text)
}

/// `obj[key]`, an error naming `path` when the read throws.
pub fn get(obj: &JsValue, key: &str, path: &str) -> Result<JsValue, Error> {
    reflect_get(obj, &JsValue::from_str(key))
        .map_err(|e| Error::invalid(path, format!("reading it threw: {}", thrown(&e))))
}

/// Joins a path and a key (`layer` + `c_out` = `layer.c_out`).
fn child(path: &str, key: &str) -> String {
    let key = echo(key);
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

/// A short description of a JS value for an error message (`null`, `an object`,
/// `a function`, `the string "abc"`, `-1`).
pub fn describe(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if value.is_undefined() {
        "undefined".into()
    } else if value.is_function() {
        "a function".into()
    } else if value.is_symbol() {
        "a symbol".into()
    } else if value.is_bigint() {
        "a BigInt".into()
    } else if let Some(b) = value.as_bool() {
        b.to_string()
    } else if let Some(n) = value.as_f64() {
        echo(&n.to_string())
    } else if value.is_string() {
        let len = value.unchecked_ref::<js_sys::JsString>().length() as usize;
        if len > 4 * crate::limits::MAX_ECHO_CHARS {
            format!("a string of {len} characters")
        } else {
            format!(
                "the string {:?}",
                echo(&value.as_string().unwrap_or_default())
            )
        }
    } else if is_array(value).unwrap_or(false) {
        "an array".into()
    } else {
        "an object".into()
    }
}

/// The walk's state: values left in the budget.
struct Walk {
    values_left: usize,
}

impl Walk {
    fn spend(&mut self, n: usize, path: &str) -> Result<(), Error> {
        if n > self.values_left {
            return Err(Error::invalid(
                if path.is_empty() { "value" } else { path },
                format!("the input has more than {MAX_JS_VALUES} values in all"),
            ));
        }
        self.values_left -= n;
        Ok(())
    }

    fn number(&self, v: f64, path: &str) -> Result<Value, Error> {
        if !v.is_finite() {
            return Err(Error::invalid(
                field(path),
                format!("must be a finite number, got {v}"),
            ));
        }
        // Integral values within 2^53 become JSON integers (`3.0` is a valid usize).
        if v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_992.0 {
            return Ok(if v >= 0.0 {
                Value::Number(Number::from(v as u64))
            } else {
                Value::Number(Number::from(v as i64))
            });
        }
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| Error::invalid(field(path), "must be a finite number"))
    }

    fn value(&mut self, v: &JsValue, path: &str, depth: usize) -> Result<Value, Error> {
        self.spend(1, path)?;
        if v.is_undefined() || v.is_null() {
            return Ok(Value::Null);
        }
        if let Some(b) = v.as_bool() {
            return Ok(Value::Bool(b));
        }
        if let Some(n) = v.as_f64() {
            return self.number(n, path);
        }
        if v.is_string() {
            let len = v.unchecked_ref::<js_sys::JsString>().length() as usize;
            if len > MAX_JS_STRING_LEN {
                return Err(Error::invalid(
                    field(path),
                    format!(
                        "must be a string of at most {MAX_JS_STRING_LEN} characters, got {len}"
                    ),
                ));
            }
            return Ok(Value::String(v.as_string().unwrap_or_default()));
        }
        if !v.is_object() || v.is_function() {
            return Err(Error::invalid(
                field(path),
                format!(
                    "must be JSON data (number, string, boolean, array or object), got {}",
                    describe(v)
                ),
            ));
        }
        if depth >= MAX_JS_DEPTH {
            return Err(Error::invalid(
                field(path),
                format!("is nested deeper than {MAX_JS_DEPTH} levels (a cycle?)"),
            ));
        }
        if is_view(v).unwrap_or(false) {
            return self.typed_array(v, path);
        }
        let reading =
            |e: JsValue| Error::invalid(field(path), format!("reading it threw: {}", thrown(&e)));
        if is_array(v).map_err(reading)? {
            let len = get(v, "length", field(path))?.as_f64().unwrap_or(0.0);
            if !(0.0..=MAX_JS_ARRAY_LEN as f64).contains(&len) {
                return Err(Error::invalid(
                    field(path),
                    format!("must be an array of at most {MAX_JS_ARRAY_LEN} values, got {len}"),
                ));
            }
            let len = len as usize;
            if len > 16 {
                let numbers = epim_numbers(v, len as u32).map_err(|e| {
                    Error::invalid(field(path), format!("reading it threw: {}", thrown(&e)))
                })?;
                if let Some(i) = numbers.as_f64() {
                    if len > MAX_JS_STRUCTURED_LEN {
                        return Err(Error::invalid(
                            format!("{path}[{i}]"),
                            format!("must be a number (arrays longer than {MAX_JS_STRUCTURED_LEN} hold numbers only)"),
                        ));
                    }
                }
                if let Some(a) = numbers.dyn_ref::<js_sys::Float64Array>() {
                    self.spend(len, path)?;
                    return a
                        .to_vec()
                        .into_iter()
                        .enumerate()
                        .map(|(i, x)| self.number(x, &format!("{path}[{i}]")))
                        .collect::<Result<Vec<_>, _>>()
                        .map(Value::Array);
                }
            }
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                let p = format!("{path}[{i}]");
                let item = reflect_get(v, &JsValue::from_f64(i as f64))
                    .map_err(|e| Error::invalid(&p, format!("reading it threw: {}", thrown(&e))))?;
                out.push(self.value(&item, &p, depth + 1)?);
            }
            return Ok(Value::Array(out));
        }
        let keys = object_keys(v).map_err(reading)?;
        let n = keys.length() as usize;
        if n > MAX_JS_OBJECT_KEYS {
            return Err(Error::invalid(
                field(path),
                format!("must have at most {MAX_JS_OBJECT_KEYS} keys, got {n}"),
            ));
        }
        let mut out = Map::new();
        for key in keys.iter() {
            let key = key.as_string().unwrap_or_default();
            let p = child(path, &key);
            let item = get(v, &key, &p)?;
            // As in JSON.stringify: a property set to undefined is absent.
            if item.is_undefined() {
                continue;
            }
            let item = self.value(&item, &p, depth + 1)?;
            out.insert(key, item);
        }
        Ok(Value::Object(out))
    }

    /// A typed array as a JSON array of numbers (NaN/Infinity rejected), its
    /// length checked before anything is copied.
    fn typed_array(&mut self, v: &JsValue, path: &str) -> Result<Value, Error> {
        macro_rules! numbers {
            ($($t:ty),*) => {$(
                if let Some(a) = v.dyn_ref::<$t>() {
                    let len = a.length() as usize;
                    self.check_len(len, path)?;
                    return a
                        .to_vec()
                        .into_iter()
                        .enumerate()
                        .map(|(i, x)| self.number(f64::from(x), &format!("{path}[{i}]")))
                        .collect::<Result<Vec<_>, _>>()
                        .map(Value::Array);
                }
            )*};
        }
        numbers!(
            js_sys::Float32Array,
            js_sys::Float64Array,
            js_sys::Uint8Array,
            js_sys::Uint8ClampedArray,
            js_sys::Int8Array,
            js_sys::Int16Array,
            js_sys::Uint16Array,
            js_sys::Int32Array,
            js_sys::Uint32Array
        );
        Err(Error::invalid(
            field(path),
            "must be an array or a Float32Array/Float64Array/(U)Int8/16/32Array, got another binary view",
        ))
    }

    fn check_len(&mut self, len: usize, path: &str) -> Result<(), Error> {
        if len > MAX_JS_ARRAY_LEN {
            return Err(Error::invalid(
                field(path),
                format!("must have at most {MAX_JS_ARRAY_LEN} values, got {len}"),
            ));
        }
        self.spend(len, path)
    }
}

fn field(path: &str) -> &str {
    if path.is_empty() {
        "value"
    } else {
        path
    }
}

/// A JS value as JSON data, rejecting what JSON cannot hold (see the module docs).
pub fn to_json(value: &JsValue, what: &str) -> Result<Value, Error> {
    Walk {
        values_left: MAX_JS_VALUES,
    }
    .value(value, "", 0)
    .map_err(|e| match e {
        Error::Invalid { field, reason } if field == "value" => Error::invalid(what, reason),
        Error::Invalid { field, reason } => Error::invalid(format!("{what}: {field}"), reason),
        other => other,
    })
}

/// Deserializes a JS value strictly into `T`; errors name `what` and the field path.
pub fn from_js<T: DeserializeOwned>(what: &str, value: &JsValue) -> Result<T, JsError> {
    Ok(crate::error::from_json_value(what, to_json(value, what)?)?)
}

/// Like [`from_js`], `undefined` and `null` meaning `T::default()`.
pub fn optional<T: DeserializeOwned + Default>(what: &str, value: &JsValue) -> Result<T, JsError> {
    if value.is_undefined() || value.is_null() {
        Ok(T::default())
    } else {
        from_js(what, value)
    }
}

/// An integer argument in `min..=max`; NaN, ±Infinity, fractions, non-numbers and
/// out-of-range values are errors naming `what` (no wrapping modulo 2^32).
pub fn integer(what: &str, value: &JsValue, min: u64, max: u64) -> Result<u64, Error> {
    let bad = |got: String| {
        Error::invalid(
            what,
            format!("must be an integer in {min}..={max}, got {got}"),
        )
    };
    let Some(v) = value.as_f64() else {
        return Err(bad(describe(value)));
    };
    if !v.is_finite() || v.fract() != 0.0 || v < min as f64 || v > max as f64 {
        return Err(bad(echo(&v.to_string())));
    }
    Ok(v as u64)
}

/// An optional integer (`undefined`/`null` = `None`) in `0..=max`.
pub fn optional_integer(what: &str, value: &JsValue, max: u64) -> Result<Option<u64>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    integer(what, value, 0, max).map(Some)
}

/// An optional string argument ([`string`]): `undefined` or `null` is empty.
pub fn optional_string(what: &str, value: &JsValue) -> Result<String, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(String::new());
    }
    string(what, value)
}

/// A string argument (at most [`MAX_JS_STRING_LEN`] characters).
pub fn string(what: &str, value: &JsValue) -> Result<String, Error> {
    if !value.is_string() {
        return Err(Error::invalid(
            what,
            format!("must be a string, got {}", describe(value)),
        ));
    }
    let len = value.unchecked_ref::<js_sys::JsString>().length() as usize;
    if len > MAX_JS_STRING_LEN {
        return Err(Error::invalid(
            what,
            format!("must be at most {MAX_JS_STRING_LEN} characters, got {len}"),
        ));
    }
    Ok(value.as_string().unwrap_or_default())
}

/// The bytes of a `Uint8Array` of at most `max` bytes, the length checked before
/// anything is copied.
pub fn bytes(what: &str, value: &JsValue, max: usize) -> Result<Vec<u8>, Error> {
    let a = value.dyn_ref::<js_sys::Uint8Array>().ok_or_else(|| {
        Error::invalid(
            what,
            format!("must be a Uint8Array, got {}", describe(value)),
        )
    })?;
    let len = a.length() as usize;
    if len > max {
        return Err(Error::invalid(
            what,
            format!("must have at most {max} bytes, got {len}"),
        ));
    }
    Ok(a.to_vec())
}

/// Image pixels of exactly `expected` values: a `Uint8Array` of bytes 0..=255
/// (scaled to `[0, 1]` as the datasets are, [`crate::data::pixels_f32`]), or
/// finite values from a `Float32Array` or an array of numbers ([`f32s`]).
pub fn pixels(what: &str, value: &JsValue, expected: usize) -> Result<Vec<f32>, Error> {
    match value.dyn_ref::<js_sys::Uint8Array>() {
        Some(a) if a.length() as usize != expected => Err(Error::shape(
            what,
            format!("{expected} bytes"),
            a.length() as usize,
        )),
        Some(a) => Ok(crate::data::pixels_f32(&a.to_vec())),
        None => f32s(what, value, expected),
    }
}

/// Finite `f32`s from a `Float32Array` or an array of numbers of exactly
/// `expected` values (the length is checked before anything is copied).
pub fn f32s(what: &str, value: &JsValue, expected: usize) -> Result<Vec<f32>, Error> {
    let out: Vec<f32> = if let Some(a) = value.dyn_ref::<js_sys::Float32Array>() {
        let len = a.length() as usize;
        if len != expected {
            return Err(Error::shape(what, format!("{expected} values"), len));
        }
        a.to_vec()
    } else {
        let json = to_json(value, what)?;
        let Value::Array(items) = json else {
            return Err(Error::invalid(
                what,
                "must be a Float32Array or an array of numbers",
            ));
        };
        if items.len() != expected {
            return Err(Error::shape(
                what,
                format!("{expected} values"),
                items.len(),
            ));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_f64()
                    .map(|x| x as f32)
                    .ok_or_else(|| Error::invalid(format!("{what}[{i}]"), "must be a number"))
            })
            .collect::<Result<_, _>>()?
    };
    crate::error::check_finite(what, &out)?;
    Ok(out)
}

/// Serializes to plain JS objects (maps as objects, u64 as numbers).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&ser)
        .map_err(|e| JsError::new(&format!("cannot convert result to JS: {e}")))
}
