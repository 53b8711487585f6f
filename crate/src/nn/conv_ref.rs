//! The reference convolution: plain nested loops over NCHW input and OIHW
//! weights, accumulating in `f64`. It is slow on purpose and is the oracle every
//! fast path (the epitome convolution, the table-walking executor) is tested
//! against. Dilation is 1 and groups 1.

use crate::error::{Error, Result};
use crate::nn::Tensor4;

/// The most elements any tensor an operation allocates may have (2^28 `f32`s,
/// 1 GiB): larger requests are errors, not allocation failures (a trap in
/// wasm).
pub const MAX_ELEMENTS: usize = crate::limits::MAX_TENSOR_ELEMENTS;

/// Errors when a tensor of `shape` would exceed [`MAX_ELEMENTS`].
pub fn check_elements(what: &str, shape: &[usize]) -> Result<()> {
    match shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) {
        Some(n) if n <= MAX_ELEMENTS => Ok(()),
        _ => Err(Error::invalid(
            what,
            format!("a tensor of shape {shape:?} exceeds the limit of {MAX_ELEMENTS} values"),
        )),
    }
}

/// Stride and zero padding of a convolution (the same in both directions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvParams {
    /// Stride, >= 1.
    pub stride: usize,
    /// Zero padding on every side.
    pub padding: usize,
}

impl ConvParams {
    /// The input position that output position `out` reads at kernel tap `tap`
    /// along an axis of length `len`, `out*stride + tap - padding`, or `None` in the
    /// zero padding.
    pub fn source(&self, out: usize, tap: usize, len: usize) -> Option<usize> {
        (out * self.stride + tap)
            .checked_sub(self.padding)
            .filter(|&i| i < len)
    }
}

/// Output length along one axis, `(n_in + 2*padding - k) / stride + 1`.
/// `what` names the axis in the error when the padded input is shorter than
/// the kernel or the stride is 0.
pub fn output_len(
    what: &str,
    n_in: usize,
    k: usize,
    stride: usize,
    padding: usize,
) -> Result<usize> {
    if stride == 0 {
        return Err(Error::invalid("layer.stride", "must be at least 1, got 0"));
    }
    let padded = padding
        .checked_mul(2)
        .and_then(|p2| p2.checked_add(n_in))
        .filter(|&v| v <= MAX_ELEMENTS)
        .ok_or_else(|| {
            Error::invalid(
                "layer.padding",
                format!("{what} + 2*padding must be at most {MAX_ELEMENTS}, padding is {padding}"),
            )
        })?;
    if padded < k || k == 0 {
        return Err(Error::invalid(
            what,
            format!("{n_in} + 2*padding {padding} is smaller than the kernel size {k}"),
        ));
    }
    Ok((padded - k) / stride + 1)
}

/// `y[n][o][oy][ox] = bias[o] + sum_{i,y,x} w[o][i][y][x] * x[n][i][oy*s+y-p][ox*s+x-p]`
/// (out-of-range input reads are 0).
///
/// Errors: the weight's input channels differ from the input's, the bias length
/// is not `c_out`, or the padded input is smaller than the kernel.
pub fn conv2d(
    input: &Tensor4,
    weight: &Tensor4,
    bias: Option<&[f32]>,
    params: ConvParams,
) -> Result<Tensor4> {
    let [n, c_in, h_in, w_in] = input.shape();
    let [c_out, wc_in, k_h, k_w] = weight.shape();
    if wc_in != c_in {
        return Err(Error::shape(
            "input channels",
            format!("{wc_in} (the weight's c_in)"),
            c_in,
        ));
    }
    if let Some(b) = bias {
        if b.len() != c_out {
            return Err(Error::shape(
                "bias",
                format!("{c_out} values (c_out)"),
                b.len(),
            ));
        }
    }
    let ConvParams { stride, padding } = params;
    let h_out = output_len("input.h", h_in, k_h, stride, padding)?;
    let w_out = output_len("input.w", w_in, k_w, stride, padding)?;
    check_elements("output", &[n, c_out, h_out, w_out])?;
    let mut out = Tensor4::zeros([n, c_out, h_out, w_out]);
    let (x, w) = (input.data(), weight.data());
    for b in 0..n {
        for o in 0..c_out {
            let b0 = bias.map_or(0.0, |bb| f64::from(bb[o]));
            for oy in 0..h_out {
                for ox in 0..w_out {
                    let mut acc = b0;
                    for i in 0..c_in {
                        for y in 0..k_h {
                            let Some(iy) = params.source(oy, y, h_in) else {
                                continue;
                            };
                            for xx in 0..k_w {
                                let Some(ix) = params.source(ox, xx, w_in) else {
                                    continue;
                                };
                                let xv = x[input.index(b, i, iy, ix)];
                                let wv = w[weight.index(o, i, y, xx)];
                                acc += f64::from(xv) * f64::from(wv);
                            }
                        }
                    }
                    let idx = out.index(b, o, oy, ox);
                    out.data_mut()[idx] = acc as f32;
                }
            }
        }
    }
    Ok(out)
}

/// The weight gradient of [`conv2d`]: given the input and `dL/dy`, returns
/// `dL/dW[o][i][y][x] = sum_{n,oy,ox} dL/dy[n][o][oy][ox] * x[n][i][oy*s+y-p][ox*s+x-p]`
/// for a `k_h x k_w` kernel.
pub fn conv2d_weight_grad(
    input: &Tensor4,
    grad_out: &Tensor4,
    k_h: usize,
    k_w: usize,
    params: ConvParams,
) -> Result<Tensor4> {
    let [n, c_in, h_in, w_in] = input.shape();
    let [gn, c_out, h_out, w_out] = grad_out.shape();
    let ConvParams { stride, padding } = params;
    let expect = [
        n,
        c_out,
        output_len("input.h", h_in, k_h, stride, padding)?,
        output_len("input.w", w_in, k_w, stride, padding)?,
    ];
    if [gn, c_out, h_out, w_out] != expect {
        return Err(Error::shape(
            "grad_out",
            format!("{expect:?}"),
            format!("{:?}", grad_out.shape()),
        ));
    }
    let mut gw = Tensor4::zeros([c_out, c_in, k_h, k_w]);
    for o in 0..c_out {
        for i in 0..c_in {
            for y in 0..k_h {
                for xx in 0..k_w {
                    let mut acc = 0.0f64;
                    for b in 0..n {
                        for oy in 0..h_out {
                            let Some(iy) = params.source(oy, y, h_in) else {
                                continue;
                            };
                            for ox in 0..w_out {
                                let Some(ix) = params.source(ox, xx, w_in) else {
                                    continue;
                                };
                                acc += f64::from(grad_out.data()[grad_out.index(b, o, oy, ox)])
                                    * f64::from(input.data()[input.index(b, i, iy, ix)]);
                            }
                        }
                    }
                    let idx = gw.index(o, i, y, xx);
                    gw.data_mut()[idx] = acc as f32;
                }
            }
        }
    }
    Ok(gw)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: ConvParams = ConvParams {
        stride: 1,
        padding: 0,
    };

    #[test]
    fn one_by_one_conv_is_a_matrix_vector_product() {
        let x = Tensor4::new("x", [1, 2, 1, 1], vec![1.0, 2.0]).unwrap();
        let w = Tensor4::new("w", [2, 2, 1, 1], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let y = conv2d(&x, &w, Some(&[0.5, -1.0]), P1).unwrap();
        assert_eq!(y.shape(), [1, 2, 1, 1]);
        assert_eq!(y.data(), &[5.5, 10.0]);
    }

    #[test]
    fn padding_reads_zeros_and_stride_skips() {
        // 3x3 ones kernel on a 3x3 ones map, padding 1: corners see 4 ones,
        // edges 6, the centre 9. Stride 2 keeps the corners only.
        let x = Tensor4::new("x", [1, 1, 3, 3], vec![1.0; 9]).unwrap();
        let w = Tensor4::new("w", [1, 1, 3, 3], vec![1.0; 9]).unwrap();
        let y = conv2d(
            &x,
            &w,
            None,
            ConvParams {
                stride: 1,
                padding: 1,
            },
        )
        .unwrap();
        assert_eq!(y.data(), &[4.0, 6.0, 4.0, 6.0, 9.0, 6.0, 4.0, 6.0, 4.0]);
        let y = conv2d(
            &x,
            &w,
            None,
            ConvParams {
                stride: 2,
                padding: 1,
            },
        )
        .unwrap();
        assert_eq!(y.data(), &[4.0, 4.0, 4.0, 4.0]);
    }

    #[test]
    fn mismatched_shapes_are_errors_not_panics() {
        let x = Tensor4::new("x", [1, 2, 2, 2], vec![0.0; 8]).unwrap();
        let w = Tensor4::new("w", [1, 3, 1, 1], vec![0.0; 3]).unwrap();
        assert!(conv2d(&x, &w, None, P1).is_err());
        let w = Tensor4::new("w", [1, 2, 3, 3], vec![0.0; 18]).unwrap();
        let e = conv2d(&x, &w, None, P1).unwrap_err();
        assert!(e.to_string().contains("input.h"), "{e}");
        let w = Tensor4::new("w", [1, 2, 1, 1], vec![0.0; 2]).unwrap();
        assert!(conv2d(&x, &w, Some(&[0.0, 0.0]), P1).is_err());
    }

    #[test]
    fn weight_grad_matches_finite_differences() {
        let x = Tensor4::new(
            "x",
            [1, 2, 3, 3],
            (0..18).map(|v| v as f32 * 0.1 - 0.7).collect(),
        )
        .unwrap();
        let wd: Vec<f32> = (0..2 * 2 * 4).map(|v| (v as f32 * 0.37).sin()).collect();
        let w = Tensor4::new("w", [2, 2, 2, 2], wd.clone()).unwrap();
        let p = ConvParams {
            stride: 1,
            padding: 1,
        };
        let y = conv2d(&x, &w, None, p).unwrap();
        let g = Tensor4::new(
            "g",
            y.shape(),
            (0..y.data().len())
                .map(|v| (v as f32 * 0.91).cos())
                .collect(),
        )
        .unwrap();
        let gw = conv2d_weight_grad(&x, &g, 2, 2, p).unwrap();
        let loss = |wd: &[f32]| -> f64 {
            let w = Tensor4::new("w", [2, 2, 2, 2], wd.to_vec()).unwrap();
            let y = conv2d(&x, &w, None, p).unwrap();
            y.data()
                .iter()
                .zip(g.data())
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum()
        };
        let h = 0.0625f32;
        for k in 0..wd.len() {
            let (mut up, mut dn) = (wd.clone(), wd.clone());
            up[k] += h;
            dn[k] -= h;
            let fd = (loss(&up) - loss(&dn)) / (2.0 * f64::from(h));
            assert!(
                (fd - f64::from(gw.data()[k])).abs() < 1e-4,
                "k={k}: {fd} vs {}",
                gw.data()[k]
            );
        }
    }
}
