//! The IDX file format (LeCun's MNIST format): a 4-byte magic `0 0 type ndim`,
//! `ndim` big-endian `u32` sizes, then the values. Only unsigned bytes (type
//! `0x08`) are read; the file must hold exactly `product(sizes)` values.

use crate::error::{Error, Result};

/// IDX type code of unsigned bytes.
pub const IDX_U8: u8 = 0x08;

/// Largest number of values accepted (2^28 bytes): more is an error, not an
/// allocation.
pub const MAX_IDX_VALUES: usize = 1 << 28;

/// A parsed IDX array of bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Sizes, outermost first.
    pub dims: Vec<usize>,
    /// `product(dims)` values, row-major.
    pub data: Vec<u8>,
}

/// Parses an IDX file of unsigned bytes; `what` names it in errors.
///
/// Errors: fewer than 4 bytes, a magic that does not start with two zero bytes,
/// a type other than `0x08` (unsigned byte), 0 or more than 4 dimensions, a zero
/// size, more than [`MAX_IDX_VALUES`] values, and a file that is shorter
/// (truncated) or longer (trailing bytes) than its header says.
pub fn parse_idx(bytes: &[u8], what: &str) -> Result<IdxArray> {
    let bad = |reason: String| Error::parse(format!("{what} (IDX file)"), reason);
    if bytes.len() < 4 {
        return Err(bad(format!(
            "file is {} bytes, shorter than the 4-byte magic",
            bytes.len()
        )));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(bad(format!(
            "bad magic {:02x} {:02x} {:02x} {:02x}: must start with 00 00 (is it gzipped?)",
            bytes[0], bytes[1], bytes[2], bytes[3]
        )));
    }
    if bytes[2] != IDX_U8 {
        return Err(bad(format!(
            "value type 0x{:02x} is not supported; only unsigned bytes (0x08)",
            bytes[2]
        )));
    }
    let ndim = usize::from(bytes[3]);
    if !(1..=4).contains(&ndim) {
        return Err(bad(format!("must have 1 to 4 dimensions, has {ndim}")));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(bad(format!(
            "truncated header: {ndim} dimensions need {header} bytes, file has {}",
            bytes.len()
        )));
    }
    let mut dims = Vec::with_capacity(ndim);
    let mut total = 1usize;
    for d in 0..ndim {
        let b = &bytes[4 + 4 * d..8 + 4 * d];
        let size = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        if size == 0 {
            return Err(bad(format!("dimension {d} has size 0")));
        }
        total = total
            .checked_mul(size)
            .filter(|&t| t <= MAX_IDX_VALUES)
            .ok_or_else(|| bad(format!("more than {MAX_IDX_VALUES} values")))?;
        dims.push(size);
    }
    let body = bytes.len() - header;
    if body < total {
        return Err(bad(format!(
            "truncated: header {dims:?} needs {total} data bytes, file has {body}"
        )));
    }
    if body > total {
        return Err(bad(format!(
            "{} trailing bytes after the {total} data bytes of {dims:?}",
            body - total
        )));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Encodes bytes as an IDX file (the inverse of [`parse_idx`]); used to write
/// test fixtures and data subsets. Errors when a size exceeds `u32` or the data
/// length differs from the product of `dims`.
pub fn encode_idx(dims: &[usize], data: &[u8]) -> Result<Vec<u8>> {
    if dims.is_empty() || dims.len() > 4 {
        return Err(Error::invalid("dims", "must have 1 to 4 sizes"));
    }
    let total: usize = dims.iter().product();
    if total != data.len() {
        return Err(Error::shape(
            "IDX data",
            format!("{total} bytes"),
            data.len(),
        ));
    }
    let mut out = vec![0, 0, IDX_U8, dims.len() as u8];
    for &d in dims {
        let d = u32::try_from(d).map_err(|_| Error::invalid("dims", "size exceeds u32"))?;
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_dims_and_data() {
        let bytes = encode_idx(&[2, 1, 3], &[1, 2, 3, 4, 5, 6]).unwrap();
        assert_eq!(&bytes[..4], &[0, 0, 8, 3]);
        let a = parse_idx(&bytes, "x").unwrap();
        assert_eq!(a.dims, vec![2, 1, 3]);
        assert_eq!(a.data, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn every_malformation_is_a_named_error() {
        let good = encode_idx(&[2, 2], &[1, 2, 3, 4]).unwrap();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![0, 0], "shorter than the 4-byte magic"),
            (vec![0x1f, 0x8b, 8, 0], "gzipped"),
            (vec![0, 0, 0x0d, 1, 0, 0, 0, 1, 0], "type 0x0d"),
            (vec![0, 0, 8, 0], "1 to 4 dimensions"),
            (vec![0, 0, 8, 5], "1 to 4 dimensions"),
            (good[..6].to_vec(), "truncated header"),
            (good[..good.len() - 1].to_vec(), "truncated"),
            ([good.clone(), vec![9]].concat(), "1 trailing bytes"),
            (vec![0, 0, 8, 1, 0, 0, 0, 0], "size 0"),
            (
                vec![0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                "more than",
            ),
        ];
        for (bytes, needle) in cases {
            let e = parse_idx(&bytes, "images").unwrap_err().to_string();
            assert!(
                e.contains(needle) && e.contains("images"),
                "{e} lacks {needle}"
            );
        }
    }
}
