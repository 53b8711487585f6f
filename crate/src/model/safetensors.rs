//! A small, strict reader and writer of the safetensors format
//! (<https://github.com/huggingface/safetensors>): an 8-byte little-endian header
//! length `N`, `N` bytes of JSON (`{"__metadata__": {str: str}, "name": {"dtype",
//! "shape", "data_offsets": [begin, end]}, ...}`), then the tensor bytes
//! (little-endian, row-major). Only the dtypes the models use are supported:
//! `F32` and `I8`.
//!
//! The reader never panics: every length, offset and size is checked, tensors
//! must not overlap and must cover the data area exactly.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Largest header accepted (16 MiB).
pub const MAX_HEADER_BYTES: u64 = 16 << 20;

/// Tensor element types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum Dtype {
    /// 32-bit float.
    F32,
    /// Signed byte.
    I8,
}

impl Dtype {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::I8 => 1,
        }
    }
}

/// One tensor's data.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// `F32` values.
    F32(Vec<f32>),
    /// `I8` values.
    I8(Vec<i8>),
}

impl TensorData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            TensorData::F32(v) => v.len(),
            TensorData::I8(v) => v.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn dtype(&self) -> Dtype {
        match self {
            TensorData::F32(_) => Dtype::F32,
            TensorData::I8(_) => Dtype::I8,
        }
    }
}

/// A named tensor: shape and data.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Sizes.
    pub shape: Vec<usize>,
    /// `product(shape)` values.
    pub data: TensorData,
}

/// A whole file: string metadata and tensors by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SafeTensors {
    /// `__metadata__`.
    pub metadata: BTreeMap<String, String>,
    /// Tensors, sorted by name.
    pub tensors: BTreeMap<String, Tensor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [u64; 2],
}

fn err(reason: impl std::fmt::Display) -> Error {
    Error::parse("model file (safetensors)", reason)
}

impl SafeTensors {
    /// Serializes: header (padded with spaces to a multiple of 8 bytes), then
    /// the tensors in name order. Errors when a tensor's data length is not the
    /// product of its shape.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut header = serde_json::Map::new();
        if !self.metadata.is_empty() {
            header.insert(
                "__metadata__".into(),
                serde_json::to_value(&self.metadata).map_err(err)?,
            );
        }
        let mut offset = 0u64;
        let mut body = Vec::new();
        for (name, t) in &self.tensors {
            let n: usize = t.shape.iter().product();
            if n != t.data.len() {
                return Err(Error::shape(
                    format!("tensor {name}"),
                    format!("{n} values for shape {:?}", t.shape),
                    t.data.len(),
                ));
            }
            match &t.data {
                TensorData::F32(v) => v.iter().for_each(|x| body.extend(x.to_le_bytes())),
                TensorData::I8(v) => body.extend(v.iter().map(|&x| x as u8)),
            }
            let end = body.len() as u64;
            header.insert(
                name.clone(),
                serde_json::json!({
                    "dtype": t.data.dtype(),
                    "shape": t.shape,
                    "data_offsets": [offset, end],
                }),
            );
            offset = end;
        }
        let mut h = serde_json::to_vec(&header).map_err(err)?;
        while h.len() % 8 != 0 {
            h.push(b' ');
        }
        let mut out = Vec::with_capacity(8 + h.len() + body.len());
        out.extend((h.len() as u64).to_le_bytes());
        out.extend(h);
        out.extend(body);
        Ok(out)
    }

    /// Parses and validates a file. Errors name the problem: a short file, a
    /// header length beyond the file or [`MAX_HEADER_BYTES`], a header that is
    /// not a UTF-8 JSON object, a metadata value that is not a string, an
    /// unknown dtype, offsets that are reversed, out of the data area,
    /// overlapping, leaving gaps, or not matching `product(shape) * dtype size`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < 8 {
            return Err(err(format!(
                "file is {} bytes, shorter than the 8-byte header length",
                bytes.len()
            )));
        }
        let mut len8 = [0u8; 8];
        len8.copy_from_slice(&bytes[..8]);
        let n = u64::from_le_bytes(len8);
        let rest = (bytes.len() - 8) as u64;
        if n > rest || n > MAX_HEADER_BYTES {
            return Err(err(format!(
                "header length {n} exceeds the file ({rest} bytes after the length) or the {MAX_HEADER_BYTES}-byte limit"
            )));
        }
        let n = n as usize;
        let header = std::str::from_utf8(&bytes[8..8 + n])
            .map_err(|e| err(format!("header is not UTF-8: {e}")))?;
        let value: serde_json::Value = serde_json::from_str(header.trim_end())
            .map_err(|e| err(format!("header is not JSON: {e}")))?;
        let serde_json::Value::Object(map) = value else {
            return Err(err("header is not a JSON object"));
        };
        let data = &bytes[8 + n..];
        let mut out = SafeTensors::default();
        let mut spans: Vec<(u64, u64, String)> = Vec::new();
        for (name, v) in map {
            if name == "__metadata__" {
                out.metadata = serde_json::from_value(v)
                    .map_err(|e| err(format!("__metadata__ must map strings to strings: {e}")))?;
                continue;
            }
            let e: Entry =
                serde_json::from_value(v).map_err(|e| err(format!("tensor {name}: {e}")))?;
            let dtype = match e.dtype.as_str() {
                "F32" => Dtype::F32,
                "I8" => Dtype::I8,
                other => {
                    return Err(err(format!(
                        "tensor {name}: dtype {other} is not supported (F32, I8)"
                    )))
                }
            };
            let [begin, end] = e.data_offsets;
            if begin > end || end > data.len() as u64 {
                return Err(err(format!(
                    "tensor {name}: data_offsets [{begin}, {end}] outside the data area of {} bytes",
                    data.len()
                )));
            }
            let numel = e
                .shape
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .ok_or_else(|| err(format!("tensor {name}: shape {:?} overflows", e.shape)))?;
            let want = numel as u128 * dtype.size() as u128;
            if want != u128::from(end - begin) {
                return Err(err(format!(
                    "tensor {name}: shape {:?} of {} needs {want} bytes, data_offsets span {}",
                    e.shape,
                    e.dtype,
                    end - begin
                )));
            }
            let raw = &data[begin as usize..end as usize];
            let tdata = match dtype {
                Dtype::F32 => TensorData::F32(
                    raw.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect(),
                ),
                Dtype::I8 => TensorData::I8(raw.iter().map(|&b| b as i8).collect()),
            };
            spans.push((begin, end, name.clone()));
            out.tensors.insert(
                name,
                Tensor {
                    shape: e.shape,
                    data: tdata,
                },
            );
        }
        spans.sort();
        let mut pos = 0u64;
        for (b, e, name) in &spans {
            if *b != pos {
                return Err(err(format!(
                    "tensor {name} starts at byte {b}, expected {pos} (tensors overlap or leave a gap)"
                )));
            }
            pos = *e;
        }
        if pos != data.len() as u64 {
            return Err(err(format!(
                "{} bytes after the last tensor",
                data.len() as u64 - pos
            )));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SafeTensors {
        let mut s = SafeTensors::default();
        s.metadata.insert("k".into(), "v".into());
        s.tensors.insert(
            "a".into(),
            Tensor {
                shape: vec![2, 2],
                data: TensorData::F32(vec![1.0, -2.0, 3.5, 0.0]),
            },
        );
        s.tensors.insert(
            "b".into(),
            Tensor {
                shape: vec![3],
                data: TensorData::I8(vec![-3, 0, 3]),
            },
        );
        s
    }

    #[test]
    fn round_trip_is_exact_and_header_is_aligned() {
        let s = sample();
        let bytes = s.to_bytes().unwrap();
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        assert_eq!(n % 8, 0);
        assert_eq!(SafeTensors::from_bytes(&bytes).unwrap(), s);
    }

    #[test]
    fn malformed_files_are_named_errors() {
        let bytes = sample().to_bytes().unwrap();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![1, 2, 3], "shorter than the 8-byte"),
            (bytes[..bytes.len() - 1].to_vec(), "outside the data area"),
            (
                [bytes.clone(), vec![0]].concat(),
                "bytes after the last tensor",
            ),
            (
                [u64::MAX.to_le_bytes().to_vec(), bytes[8..].to_vec()].concat(),
                "header length",
            ),
        ];
        for (b, needle) in cases {
            let e = SafeTensors::from_bytes(&b).unwrap_err().to_string();
            assert!(e.contains(needle), "{e} lacks {needle}");
        }
        let bad_header = |h: &str| {
            let mut h = h.as_bytes().to_vec();
            let mut out = (h.len() as u64).to_le_bytes().to_vec();
            out.append(&mut h);
            SafeTensors::from_bytes(&out).unwrap_err().to_string()
        };
        assert!(bad_header("[1]").contains("not a JSON object"));
        assert!(
            bad_header("{\"x\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,0]}}")
                .contains("F64")
        );
        assert!(
            bad_header("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,0]}}")
                .contains("needs 8 bytes")
        );
        assert!(bad_header("{\"__metadata__\":{\"a\":1}}").contains("strings"));
    }
}
