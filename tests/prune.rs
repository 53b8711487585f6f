//! Pruning baselines: hand-made masks with worked-out crossbar counts, the
//! ratio model against the weight-based reference, and monotonicity.
#![cfg(not(target_arch = "wasm32"))]

use epim::nn::Tensor4;
use epim::prune::{
    prune_by_ratio, prune_weights, ConvShape, PruneKind, PruneSpec, PrunedLayer, XbarGeometry,
};
use proptest::prelude::*;

/// The 4x4 weight matrix M[row][col] of a 1x1 layer with c_in = c_out = 4:
///
/// ```text
///        o0   o1   o2   o3        L1 per column: 2.2, 4.2, 18, 22
///   r0  0.1  0.1  5    6
///   r1  0.1  0.1  7    8
///   r2  1    2    3    4
///   r3  1    2    3    4
/// ```
///
/// On 2x2 crossbars (two 1x1 channels per crossbar) the dense layer has 2 row
/// blocks x 2 column blocks = 4 blocks; block (r0-1, o0-1) holds only the 0.1s.
fn example() -> Tensor4 {
    let m = [
        [0.1, 0.1, 5.0, 6.0],
        [0.1, 0.1, 7.0, 8.0],
        [1.0, 2.0, 3.0, 4.0],
        [1.0, 2.0, 3.0, 4.0],
    ];
    // OIHW: data[o*4 + r] = M[r][o].
    let data = (0..16).map(|i| m[i % 4][i / 4]).collect();
    Tensor4::new("w", [4, 4, 1, 1], data).unwrap()
}

const XBAR_2X2: XbarGeometry = XbarGeometry { rows: 2, cols: 2 };

fn run(kind: PruneKind, ratio: f64) -> PrunedLayer {
    prune_weights(&example(), &XBAR_2X2, &PruneSpec::new(kind, ratio)).unwrap()
}

#[test]
fn unstructured_frees_only_the_block_that_empties() {
    // 25 % of 16 = 4 weights: the four 0.1s, all in block (r0-1, o0-1).
    let l = run(PruneKind::Unstructured, 0.25);
    assert_eq!((l.n_blocks_dense, l.n_blocks), (4, 3));
    assert_eq!(l.n_stored_weights, 12);
    assert_eq!(l.n_nonzero_weights, 12);
    // One 9x8 OU covers a whole 2x2 block: 3 OU ops.
    assert_eq!(l.n_ou_ops_per_pixel, 3);
    // 2 more (the 1.0s of r2/r3 in o0) would not empty any other block.
    let l = run(PruneKind::Unstructured, 0.375);
    assert_eq!(l.n_blocks, 3);
    assert_eq!(l.n_nonzero_weights, 10);
}

#[test]
fn filter_pruning_keeps_the_strongest_columns() {
    // Half of 4 columns: o0 (2.2) and o1 (4.2) go; o2, o3 stay in one column block.
    let l = run(PruneKind::Filter, 0.5);
    assert_eq!(l.kept_out_channels, 2);
    assert_eq!(l.n_blocks, 2); // 2 row blocks x 1 column block
    assert_eq!(l.n_stored_weights, 8);
    assert_eq!(l.input_index.bits() + l.output_index.bits(), 0);
}

#[test]
fn crossbar_pruning_removes_the_weakest_block() {
    // Block L1: (r0-1,o0-1) = 0.4, (r0-1,o2-3) = 26, (r2-3,o0-1) = 6, (r2-3,o2-3) = 14.
    let l = run(PruneKind::Crossbar, 0.25);
    assert_eq!(l.n_blocks, 3);
    assert_eq!(l.block_bitmap_bits, 4);
    // 50 %: 0.4 and 6 go.
    let l = run(PruneKind::Crossbar, 0.5);
    assert_eq!(l.n_blocks, 2);
    assert_eq!(l.n_nonzero_weights, 8);
}

#[test]
fn xcs_compacts_kept_columns_per_row_block() {
    // Row block r0-1: column L1 0.2, 0.2, 12, 14 -> keep o2, o3 (one crossbar).
    // Row block r2-3: 2, 4, 6, 8 -> keep o2, o3 (one crossbar).
    let l = run(PruneKind::Xcs, 0.5);
    assert_eq!(l.n_blocks, 2);
    // 4 output index entries, each addressing one of 4 channels: 2 bits.
    assert_eq!((l.output_index.entries, l.output_index.entry_bits), (4, 2));
    assert_eq!(l.input_index.bits(), 0);
}

#[test]
fn xrs_compacts_kept_rows_per_column_block() {
    // Column block o0-1: row L1 0.2, 0.2, 3, 3 -> keep r2, r3.
    // Column block o2-3: 11, 15, 7, 7 -> keep r0, r1. One crossbar each.
    let l = run(PruneKind::Xrs, 0.5);
    assert_eq!(l.n_blocks, 2);
    assert_eq!((l.input_index.entries, l.input_index.entry_bits), (4, 2));
    assert_eq!(l.n_nonzero_weights, 8);
}

#[test]
fn sre_skips_all_zero_rows_per_operation_unit() {
    // OU of 1 row x 2 columns. 25 % pruning zeroes the four 0.1s.
    // Column block o0-1: rows r2, r3 remain -> 1 crossbar, 2 OU ops.
    // Column block o2-3: all 4 rows remain -> 2 crossbars, 4 OU ops.
    let spec = PruneSpec {
        ou_rows: 1,
        ou_cols: 2,
        ..PruneSpec::new(PruneKind::Sre, 0.25)
    };
    let l = prune_weights(&example(), &XBAR_2X2, &spec).unwrap();
    assert_eq!(l.n_blocks, 3);
    assert_eq!(l.n_ou_ops_per_pixel, 6);
    assert_eq!(l.input_index.entries, 6);
    assert_eq!(l.n_nonzero_weights, 12);
}

#[test]
fn pim_prune_splits_the_ratio_between_rows_and_columns() {
    // ratio 0.75 -> each step 1 - sqrt(0.25) = 0.5: 2 of 4 rows, then 1 of 2 columns
    // per column block. o0-1: rows r2, r3, then o1 (L1 4) over o0 (2).
    // o2-3: rows r0, r1 (11, 15), then o3 (14) over o2 (12).
    let l = run(PruneKind::PimPrune, 0.75);
    assert_eq!(l.n_blocks, 2);
    assert_eq!(l.n_stored_weights, 4);
    assert_eq!(l.input_index.entries, 4);
    assert_eq!(l.output_index.entries, 2);
}

#[test]
fn channel_granular_packing_wastes_rows_for_3x3() {
    // 20 rows hold two 3x3 channels (18 rows): 3 channels need 2 row blocks.
    let g = XbarGeometry { rows: 20, cols: 8 };
    let shape = ConvShape {
        c_out: 8,
        c_in: 3,
        k_h: 3,
        k_w: 3,
    };
    let l = prune_by_ratio(&shape, &g, &PruneSpec::new(PruneKind::Filter, 0.0)).unwrap();
    assert_eq!(l.n_blocks, 2);
    // XRS compacts rows one by one: 27 - round(0.1*27)=24 rows -> 2 crossbars of 20.
    let l = prune_by_ratio(&shape, &g, &PruneSpec::new(PruneKind::Xrs, 0.1)).unwrap();
    assert_eq!(l.n_blocks, 2);
}

#[test]
fn bad_geometry_and_ratio_are_errors() {
    let shape = ConvShape {
        c_out: 8,
        c_in: 3,
        k_h: 3,
        k_w: 3,
    };
    let spec = PruneSpec::new(PruneKind::Xcs, 0.5);
    let e = prune_by_ratio(&shape, &XbarGeometry { rows: 8, cols: 8 }, &spec).unwrap_err();
    assert!(
        e.to_string().contains("cannot hold one 3x3 input channel"),
        "{e}"
    );
    let e = prune_by_ratio(&shape, &XbarGeometry { rows: 0, cols: 8 }, &spec).unwrap_err();
    assert!(e.to_string().contains("at least 1x1"), "{e}");
    let e = prune_by_ratio(&shape, &XBAR_2X2, &PruneSpec::new(PruneKind::Xcs, 1.0)).unwrap_err();
    assert!(e.to_string().contains("prune.ratio"), "{e}");
}

fn problem() -> impl Strategy<Value = (ConvShape, XbarGeometry, Vec<f32>)> {
    (
        1usize..24,
        1usize..10,
        prop_oneof![Just(1usize), Just(3usize)],
    )
        .prop_flat_map(|(c_out, c_in, k)| {
            let shape = ConvShape {
                c_out,
                c_in,
                k_h: k,
                k_w: k,
            };
            let n = shape.weights();
            (
                Just(shape),
                (k * k..48usize, 1usize..20).prop_map(|(rows, cols)| XbarGeometry { rows, cols }),
                // Distinct non-zero magnitudes: no ties, no natural zeros.
                Just(
                    (0..n)
                        .map(|i| {
                            (1.0 + (i * 7919 % n) as f32) * if i % 3 == 0 { -1.0 } else { 1.0 }
                        })
                        .collect(),
                ),
            )
        })
}

proptest! {
    #[test]
    fn ratio_model_equals_weight_based_for_structured_kinds(
        (shape, geom, data) in problem(),
        ratio in 0.0f64..0.95,
    ) {
        let w = Tensor4::new("w", [shape.c_out, shape.c_in, shape.k_h, shape.k_w], data).unwrap();
        for kind in [PruneKind::Filter, PruneKind::Xcs, PruneKind::Xrs, PruneKind::PimPrune] {
            let spec = PruneSpec::new(kind, ratio);
            let a = prune_weights(&w, &geom, &spec).unwrap();
            let b = prune_by_ratio(&shape, &geom, &spec).unwrap();
            prop_assert_eq!(&a, &b, "{:?}", kind);
        }
        let spec = PruneSpec::new(PruneKind::Crossbar, ratio);
        let a = prune_weights(&w, &geom, &spec).unwrap();
        let b = prune_by_ratio(&shape, &geom, &spec).unwrap();
        prop_assert_eq!(a.n_blocks, b.n_blocks);
    }

    #[test]
    fn ratio_zero_is_dense_for_every_kind((shape, geom, _data) in problem()) {
        let dense = prune_by_ratio(&shape, &geom, &PruneSpec::new(PruneKind::Filter, 0.0)).unwrap();
        for kind in PruneKind::ALL {
            let l = prune_by_ratio(&shape, &geom, &PruneSpec::new(kind, 0.0)).unwrap();
            prop_assert_eq!(l.n_blocks, l.n_blocks_dense);
            prop_assert_eq!(l.n_stored_weights, shape.weights() as u64);
            prop_assert_eq!(l.input_index.bits() + l.output_index.bits(), 0);
            prop_assert_eq!(l.bits_per_weight(8), dense.bits_per_weight(8));
        }
    }

    #[test]
    fn crossbars_never_increase_with_the_ratio(
        (shape, geom, data) in problem(),
        r1 in 0.01f64..0.95,
        r2 in 0.01f64..0.95,
    ) {
        let (lo, hi) = if r1 <= r2 { (r1, r2) } else { (r2, r1) };
        let w = Tensor4::new("w", [shape.c_out, shape.c_in, shape.k_h, shape.k_w], data).unwrap();
        for kind in PruneKind::ALL {
            let a = prune_by_ratio(&shape, &geom, &PruneSpec::new(kind, lo)).unwrap();
            let b = prune_by_ratio(&shape, &geom, &PruneSpec::new(kind, hi)).unwrap();
            prop_assert!(b.n_blocks <= a.n_blocks, "{:?}: {} -> {}", kind, a.n_blocks, b.n_blocks);
            prop_assert!(a.n_blocks <= a.n_blocks_dense.max(a.n_blocks), "{:?}", kind);
            let a = prune_weights(&w, &geom, &PruneSpec::new(kind, lo)).unwrap();
            let b = prune_weights(&w, &geom, &PruneSpec::new(kind, hi)).unwrap();
            prop_assert!(b.n_blocks <= a.n_blocks, "weights {:?}: {} -> {}", kind, a.n_blocks, b.n_blocks);
        }
    }
}
