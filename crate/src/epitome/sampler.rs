//! The index map of docs/epitome.md#sampling: which epitome element feeds weight
//! `W[o][i][y][x]`.
//!
//! `W[o][i][y][x] = E[o % e_out][(a_g + i) % e_in][b_g + y][c_g + x]` with
//! `g = o / e_out` and `(a_g, b_g, c_g)` the offset of group `g`.

use crate::epitome::spec::{EpitomeSpec, Offset};
use crate::error::Result;

/// The sampling rule of one validated [`EpitomeSpec`]. [`Sampler::index`] is
/// pure and allocation-free; building the sampler resolves every group's
/// offset once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sampler {
    c_out: usize,
    c_in: usize,
    k_h: usize,
    k_w: usize,
    e_out: usize,
    e_in: usize,
    e_h: usize,
    e_w: usize,
    offsets: Vec<Offset>,
}

impl Sampler {
    /// Validates `spec` and resolves its offsets (listed or default schedule).
    pub fn new(spec: &EpitomeSpec) -> Result<Self> {
        spec.validate()?;
        let (l, e) = (&spec.layer, &spec.epitome);
        Ok(Sampler {
            c_out: l.c_out,
            c_in: l.c_in,
            k_h: l.k_h,
            k_w: l.k_w,
            e_out: e.e_out,
            e_in: e.e_in,
            e_h: e.e_h,
            e_w: e.e_w,
            offsets: spec.all_offsets(),
        })
    }

    /// Flat row-major index into `E` of the element that weight
    /// `W[o][i][y][x]` copies. Requires `o < c_out`, `i < c_in`, `y < k_h`,
    /// `x < k_w` (checked in debug builds only).
    #[inline]
    pub fn index(&self, o: usize, i: usize, y: usize, x: usize) -> usize {
        debug_assert!(o < self.c_out && i < self.c_in && y < self.k_h && x < self.k_w);
        let [a, b, c] = self.offsets[o / self.e_out];
        (((o % self.e_out) * self.e_in + (a + i) % self.e_in) * self.e_h + b + y) * self.e_w + c + x
    }

    /// The whole map: entry `((o*c_in + i)*k_h + y)*k_w + x` is
    /// [`Sampler::index`]`(o, i, y, x)`. Its length is the dense weight count.
    pub fn index_map(&self) -> Vec<usize> {
        let mut map = Vec::with_capacity(self.c_out * self.c_in * self.k_h * self.k_w);
        for o in 0..self.c_out {
            for i in 0..self.c_in {
                for y in 0..self.k_h {
                    for x in 0..self.k_w {
                        map.push(self.index(o, i, y, x));
                    }
                }
            }
        }
        map
    }

    /// The offset of every group, in group order.
    pub fn offsets(&self) -> &[Offset] {
        &self.offsets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_wraps_input_channels_and_shares_rows_across_groups() {
        // c_out 4, c_in 3, 1x1 kernel, epitome 2x2x1x1: groups 2 with default
        // offsets a = (0, 1).
        let spec = EpitomeSpec::unit_stride([4, 3, 1, 1], [2, 2, 1, 1]);
        let s = Sampler::new(&spec).unwrap();
        // o=0 (row 0, a=0): i -> (0+i)%2 = 0,1,0 -> flat 0,1,0.
        // o=3 (row 1, a=1): i -> (1+i)%2 = 1,0,1 -> flat 2+1, 2+0, 2+1.
        assert_eq!(s.index_map(), vec![0, 1, 0, 2, 3, 2, 1, 0, 1, 3, 2, 3]);
    }

    #[test]
    fn invalid_spec_is_rejected_before_indexing() {
        let spec = EpitomeSpec::unit_stride([4, 3, 3, 3], [2, 2, 2, 3]);
        assert!(Sampler::new(&spec).is_err());
    }
}
