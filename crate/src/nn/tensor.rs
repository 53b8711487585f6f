//! A minimal 4-D tensor (NCHW or OIHW), flat row-major `f32` data.

use serde::{Deserialize, Serialize};

use crate::error::{check_finite, Error, Result};

/// A 4-D tensor with row-major data: `data[((a*s1 + b)*s2 + c)*s3 + d]`.
///
/// Built only through [`Tensor4::new`], which checks that the data length equals
/// the product of the shape and that every value is finite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tensor4 {
    shape: [usize; 4],
    data: Vec<f32>,
}

impl Tensor4 {
    /// A tensor of `shape` holding `data`; `what` names it in errors.
    pub fn new(what: &str, shape: [usize; 4], data: Vec<f32>) -> Result<Self> {
        let len = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| Error::invalid(format!("{what}.shape"), "too large (overflow)"))?;
        if data.len() != len {
            return Err(Error::shape(
                format!("{what}.data"),
                format!("{len} values for shape {shape:?}"),
                format!("{} values", data.len()),
            ));
        }
        check_finite(&format!("{what}.data"), &data)?;
        Ok(Tensor4 { shape, data })
    }

    /// A tensor of zeros.
    pub fn zeros(shape: [usize; 4]) -> Self {
        Tensor4 {
            shape,
            data: vec![0.0; shape.iter().product()],
        }
    }

    /// The shape.
    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// The flat row-major data.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Mutable flat data (the shape cannot change).
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Consumes the tensor, returning its data.
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }

    /// Flat index of `[a, b, c, d]`.
    #[inline]
    pub fn index(&self, a: usize, b: usize, c: usize, d: usize) -> usize {
        let [_, s1, s2, s3] = self.shape;
        ((a * s1 + b) * s2 + c) * s3 + d
    }
}

/// A tensor as it appears in JSON: `{"shape": [..4 sizes..], "data": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    /// Four sizes.
    pub shape: Vec<usize>,
    /// `product(shape)` numbers, row-major.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "number[] | Float32Array"))]
    pub data: Vec<f32>,
}

impl TensorSpec {
    /// Checks the shape has four non-zero sizes and the data fits it; `what`
    /// names the tensor in errors (e.g. `input`).
    pub fn build(self, what: &str) -> Result<Tensor4> {
        let shape: [usize; 4] = self.shape.as_slice().try_into().map_err(|_| {
            Error::shape(
                format!("{what}.shape"),
                "4 sizes",
                format!("{} sizes", self.shape.len()),
            )
        })?;
        if let Some(k) = shape.iter().position(|&d| d == 0) {
            return Err(Error::invalid(
                format!("{what}.shape[{k}]"),
                "must be at least 1, got 0",
            ));
        }
        Tensor4::new(what, shape, self.data)
    }
}

impl From<Tensor4> for TensorSpec {
    fn from(t: Tensor4) -> Self {
        TensorSpec {
            shape: t.shape.to_vec(),
            data: t.data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_length_and_shape_are_errors() {
        let e = Tensor4::new("x", [1, 2, 2, 2], vec![0.0; 7]).unwrap_err();
        assert!(e.to_string().contains("expected 8 values"), "{e}");
        let e = TensorSpec {
            shape: vec![2, 2],
            data: vec![0.0; 4],
        }
        .build("input")
        .unwrap_err();
        assert!(e.to_string().contains("input.shape"), "{e}");
        let e = TensorSpec {
            shape: vec![1, 0, 2, 2],
            data: vec![],
        }
        .build("input")
        .unwrap_err();
        assert!(e.to_string().contains("input.shape[1]"), "{e}");
    }

    #[test]
    fn nan_data_is_an_error() {
        let e = Tensor4::new("x", [1, 1, 1, 2], vec![0.0, f32::NAN]).unwrap_err();
        assert!(matches!(e, Error::NonFinite { index: 1, .. }));
    }

    #[test]
    fn index_is_row_major() {
        let t = Tensor4::zeros([2, 3, 4, 5]);
        assert_eq!(t.index(1, 2, 3, 4), 2 * 3 * 4 * 5 - 1);
        assert_eq!(t.index(0, 1, 0, 0), 20);
    }
}
