//! Tile numbering on the chip grid and the inter-tile distances of each layer
//! (docs/mnsim-model.md#placement-and-distances).

use super::config::Placement;
use crate::nets::{Network, Op};

/// A grid cell (row, column).
pub type Cell = (i64, i64);

/// Grid cell of tile number `n`.
pub fn position(n: u64, placement: Placement, tx: u32, ty: u32) -> Cell {
    let ty64 = u64::from(ty);
    match placement {
        Placement::RowMajor => ((n / ty64) as i64, (n % ty64) as i64),
        Placement::Snake => {
            let r = n / ty64;
            let c = n % ty64;
            let c = if r % 2 == 1 { ty64 - 1 - c } else { c };
            (r as i64, c as i64)
        }
        Placement::Spiral => {
            let mut s = (n as f64).sqrt() as u64;
            // Guard the float square root at large n.
            while s * s > n {
                s -= 1;
            }
            while (s + 1) * (s + 1) <= n {
                s += 1;
            }
            let t = n - s * s;
            let (s, t) = (s as i64, t as i64);
            if s % 2 == 1 {
                if t <= s {
                    (t, s)
                } else {
                    (s, 2 * s - t)
                }
            } else if t <= s {
                (s, t)
            } else {
                (2 * s - t, s)
            }
        }
        Placement::Zigzag => {
            let (nx, ny) = (i64::from(tx), i64::from(ty));
            let mut left = n as i64;
            for d in 0..(nx + ny - 1) {
                let lo = (d - ny + 1).max(0);
                let hi = d.min(nx - 1);
                let len = hi - lo + 1;
                if left < len {
                    let r = if d % 2 == 1 { lo + left } else { hi - left };
                    return (r, d - r);
                }
                left -= len;
            }
            (nx - 1, ny - 1)
        }
    }
}

/// Extremes of r+c and r-c over a set of cells: the farthest Manhattan distance
/// from any point to the set in O(1).
#[derive(Debug, Clone, Copy)]
struct Extremes {
    min_s: i64,
    max_s: i64,
    min_d: i64,
    max_d: i64,
}

impl Extremes {
    fn of<'a>(cells: impl Iterator<Item = &'a Cell>) -> Option<Self> {
        let mut e: Option<Extremes> = None;
        for &(r, c) in cells {
            let (s, d) = (r + c, r - c);
            e = Some(match e {
                None => Extremes {
                    min_s: s,
                    max_s: s,
                    min_d: d,
                    max_d: d,
                },
                Some(x) => Extremes {
                    min_s: x.min_s.min(s),
                    max_s: x.max_s.max(s),
                    min_d: x.min_d.min(d),
                    max_d: x.max_d.max(d),
                },
            });
        }
        e
    }

    /// max over the set of |a.r - b.r| + |a.c - b.c|.
    fn farthest(&self, (r, c): Cell) -> i64 {
        let (s, d) = (r + c, r - c);
        (s - self.min_s)
            .max(self.max_s - s)
            .max(d - self.min_d)
            .max(self.max_d - d)
    }
}

/// Distance of a cell to the global buffer at the middle of the left edge.
fn global_distance((r, c): Cell, tx: u32) -> f64 {
    (r as f64 - f64::from(tx) / 2.0).abs() + c as f64
}

/// `(gather, send)` hop counts of every layer (MNSIM's inLayer and transLayer).
/// `cells[l]` must be sorted row-major.
pub fn distances(net: &Network, cells: &[Vec<Cell>], tx: u32) -> Vec<(f64, f64)> {
    let n = net.layers.len();
    let mut out = vec![(0.0, 0.0); n];
    let is_add = |l: usize| matches!(net.layers[l].op, Op::Add { .. });
    for l in 0..n {
        let layer = &net.layers[l];
        let own = Extremes::of(cells[l].iter());
        if l + 1 == n {
            let mut best = 1000.0;
            let mut gather = 0.0;
            if let Some(own) = own {
                for &a in &cells[l] {
                    let din = own.farthest(a) as f64;
                    if din < best {
                        best = din;
                        gather = din;
                    }
                }
            }
            out[l] = (gather, 0.0);
            continue;
        }
        if is_add(l) {
            let mut send: f64 = 0.0;
            for &o in &layer.outputs {
                if let Some(&first) = cells[l + o].first() {
                    send = send.max(global_distance(first, tx));
                }
            }
            out[l] = (0.0, send);
            continue;
        }
        let Some(own) = own else {
            continue;
        };
        let branch_out = layer.outputs.iter().all(|&o| is_add(l + o));
        let consumers = Extremes::of(layer.outputs.iter().flat_map(|&o| cells[l + o].iter()));
        let dout = |a: Cell| -> f64 {
            if branch_out {
                global_distance(a, tx)
            } else {
                consumers.map_or(0.0, |e| e.farthest(a) as f64)
            }
        };
        if cells[l].len() == 1 {
            out[l] = (0.0, dout(cells[l][0]));
            continue;
        }
        let mut best = 1000.0;
        for &a in &cells[l] {
            let din = own.farthest(a) as f64;
            let d = dout(a);
            if din + d < best {
                best = din + d;
                out[l] = (din, d);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spiral_matches_the_documented_8x8_corner() {
        let expect = [
            [0, 1, 8, 9, 24, 25, 48, 49],
            [3, 2, 7, 10, 23, 26, 47, 50],
            [4, 5, 6, 11, 22, 27, 46, 51],
            [15, 14, 13, 12, 21, 28, 45, 52],
        ];
        for (r, row) in expect.iter().enumerate() {
            for (c, &n) in row.iter().enumerate() {
                assert_eq!(position(n, Placement::Spiral, 64, 64), (r as i64, c as i64));
            }
        }
    }

    #[test]
    fn every_placement_is_a_bijection_on_the_grid() {
        for p in [
            Placement::RowMajor,
            Placement::Snake,
            Placement::Spiral,
            Placement::Zigzag,
        ] {
            let mut seen = std::collections::HashSet::new();
            for n in 0..64 {
                let (r, c) = position(n, p, 8, 8);
                assert!((0..8).contains(&r) && (0..8).contains(&c), "{p:?} {n}");
                assert!(seen.insert((r, c)), "{p:?} repeats {r},{c}");
            }
        }
    }

    /// docs/mnsim-model.md#placement-and-distances literally: every candidate against
    /// every other cell, O(n²).
    fn distances_brute(net: &Network, cells: &[Vec<Cell>], tx: u32) -> Vec<(f64, f64)> {
        let man = |a: Cell, b: Cell| ((a.0 - b.0).abs() + (a.1 - b.1).abs()) as f64;
        let gd = |a: Cell| (a.0 as f64 - f64::from(tx) / 2.0).abs() + a.1 as f64;
        let n = net.layers.len();
        let is_add = |l: usize| matches!(net.layers[l].op, Op::Add { .. });
        let mut out = vec![(0.0, 0.0); n];
        for l in 0..n {
            let din = |a: Cell| cells[l].iter().map(|&b| man(a, b)).fold(0.0, f64::max);
            if l + 1 == n {
                let mut best = 1000.0;
                for &a in &cells[l] {
                    if din(a) < best {
                        best = din(a);
                        out[l].0 = din(a);
                    }
                }
                continue;
            }
            let outs = &net.layers[l].outputs;
            if is_add(l) {
                let mut send: f64 = 0.0;
                for &o in outs {
                    if let Some(&f) = cells[l + o].first() {
                        send = send.max(gd(f));
                    }
                }
                out[l] = (0.0, send);
                continue;
            }
            let branch = outs.iter().all(|&o| is_add(l + o));
            let dout = |a: Cell| {
                if branch {
                    gd(a)
                } else {
                    outs.iter()
                        .flat_map(|&o| cells[l + o].iter())
                        .map(|&b| man(a, b))
                        .fold(0.0, f64::max)
                }
            };
            if cells[l].len() == 1 {
                out[l] = (0.0, dout(cells[l][0]));
            } else {
                let mut best = 1000.0;
                for &a in &cells[l] {
                    if din(a) + dout(a) < best {
                        best = din(a) + dout(a);
                        out[l] = (din(a), dout(a));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn distances_match_the_quadratic_definition() {
        let net = crate::nets::builtin("resnet18").unwrap();
        for placement in [
            Placement::RowMajor,
            Placement::Snake,
            Placement::Spiral,
            Placement::Zigzag,
        ] {
            for seed in 0..5u64 {
                // Contiguous tile ranges of pseudo-random sizes; adds own none.
                let mut start = 0;
                let cells: Vec<Vec<Cell>> = net
                    .layers
                    .iter()
                    .enumerate()
                    .map(|(l, layer)| {
                        let n = if matches!(layer.op, Op::Add { .. }) {
                            0
                        } else {
                            1 + (l as u64 * 7 + seed * 13) % 9
                        };
                        let mut c: Vec<Cell> = (start..start + n)
                            .map(|t| position(t, placement, 32, 32))
                            .collect();
                        c.sort_unstable();
                        start += n;
                        c
                    })
                    .collect();
                assert_eq!(
                    distances(&net, &cells, 32),
                    distances_brute(&net, &cells, 32),
                    "{placement:?} seed {seed}"
                );
            }
        }
    }

    #[test]
    fn farthest_matches_brute_force() {
        let cells: Vec<Cell> = (0..40)
            .map(|n| position(n, Placement::Spiral, 64, 64))
            .collect();
        let e = Extremes::of(cells.iter()).unwrap();
        for r in 0..10 {
            for c in 0..10 {
                let brute = cells
                    .iter()
                    .map(|&(br, bc)| (r - br).abs() + (c - bc).abs())
                    .max()
                    .unwrap();
                assert_eq!(e.farthest((r, c)), brute);
            }
        }
    }
}
