//! Epitome and pruned layers in the simulator and the method comparison: hand-made
//! layers with worked-out counts, the exact-dense special cases, area monotonicity.
#![cfg(not(target_arch = "wasm32"))]

use epim::compare::{
    bits_per_weight, compare, filter_rewrite, CompareRequest, EpitomeDesign, Knobs, Method,
};
use epim::epitome::{DatapathTables, EpitomeShape};
use epim::nets::{builtin, LayerSpec, Network, NetworkSpec, Shape};
use epim::prune::{PruneKind, PruneSpec};
use epim::sim::plan::{epitome_spec, map_planned, table_sizes};
use epim::sim::{
    preset, simulate, simulate_plan, Accounting, EpitomeLayout, LayerPlan, LayerScheme,
    NetworkPlan, NetworkRef,
};
use proptest::prelude::*;

/// One 3x3 conv 64 -> 64 on an 8x8 map (padding 1), 9-bit weights.
fn one_conv() -> Network {
    NetworkSpec {
        name: "one".into(),
        input: Shape { c: 64, h: 8, w: 8 },
        w_bits: 9,
        a_bits: 8,
        layers: vec![LayerSpec::Conv {
            name: None,
            c_out: 64,
            kernel: 3,
            stride: None,
            padding: Some(1),
            groups: None,
            from: None,
        }],
    }
    .build()
    .unwrap()
}

fn epitome(shape: [usize; 4]) -> LayerPlan {
    LayerPlan {
        scheme: LayerScheme::Epitome(EpitomeLayout {
            shape: EpitomeShape {
                e_out: shape[0],
                e_in: shape[1],
                e_h: shape[2],
                e_w: shape[3],
            },
            offsets: None,
            rep: 1,
        }),
        w_bits: None,
        a_bits: None,
    }
}

fn pruned(kind: PruneKind, ratio: f64) -> LayerPlan {
    LayerPlan {
        scheme: LayerScheme::Pruned(PruneSpec::new(kind, ratio)),
        w_bits: None,
        a_bits: None,
    }
}

#[test]
fn epitome_layer_counts_are_the_worked_example() {
    // mnsim2: 256x256 crossbars, 1-bit cells, 2 polarities, 1 group per PE; 9-bit
    // weights -> 8 magnitude slices -> mx = 8 PEs per column block.
    // Dense (physical): 64*9 = 576 rows -> ceil(576/256) = 3 row blocks; 64 columns ->
    // 1 column block: 3*8 = 24 PEs, 48 crossbars.
    // Epitome [32, 32, 3, 3]: 32*9 = 288 rows -> 2 row blocks: 16 PEs. G = 64/32 = 2
    // groups with a_g = 0, 16: 2 patterns -> 2 rounds per pixel. c_in 64 on e_in 32:
    // fan-in 2 -> 1 extra input bit. IFAT 2*64*9 = 1152 entries of 9+6+2+2 = 19 bits;
    // IFRT 2*32*9 = 576 entries of 9+2 = 11 bits; OFAT 64 entries of 5+6 = 11 bits.
    let net = one_conv();
    let arch = preset("mnsim2").unwrap();
    let layer = &net.layers[0];
    let dense = map_planned(
        0,
        layer,
        &LayerPlan::default(),
        9,
        &arch,
        Accounting::Physical,
    )
    .unwrap();
    assert_eq!((dense.mx, dense.my, dense.pes), (8, 3, 24));
    let plan = epitome([32, 32, 3, 3]);
    let m = map_planned(0, layer, &plan, 9, &arch, Accounting::Physical).unwrap();
    assert_eq!((m.mx, m.my, m.pes), (8, 2, 16));
    assert_eq!((m.max_row, m.max_col), (256, 32));
    assert_eq!((m.rounds, m.acts, m.extra_input_bits), (2, 2, 1));
    assert_eq!(m.tables[0].bits, 1152 * 19);
    assert_eq!(m.tables[1].bits, 576 * 11);
    assert_eq!(m.tables[2].bits, 64 * 11);
    // One pattern's entries are read per activation.
    assert_eq!(m.tables[0].read_bits, 576 * 19);
    // The counts equal the tables actually built.
    let LayerScheme::Epitome(layout) = &plan.scheme else {
        unreachable!()
    };
    let spec = epitome_spec(layer, layout).unwrap();
    let built = DatapathTables::build(&spec).unwrap();
    assert_eq!(table_sizes(&spec), built.sizes(&spec));
    // mnsim packs whole channels: floor(256/9) = 28 per crossbar -> ceil(32/28) = 2 row
    // blocks of at most 28*9 = 252 rows (dense: ceil(64/28) = 3).
    let m = map_planned(0, layer, &plan, 9, &arch, Accounting::Mnsim).unwrap();
    assert_eq!((m.my, m.max_row, m.pes), (2, 252, 16));
}

#[test]
fn epitome_layer_costs_follow_its_counts() {
    let net = one_conv();
    let arch = preset("mnsim2").unwrap();
    for acc in [Accounting::Physical, Accounting::Mnsim] {
        let dense = simulate(&net, &arch, acc).unwrap();
        let plan = NetworkPlan {
            layers: vec![epitome([32, 32, 3, 3])],
        };
        let e = simulate_plan(&net, &arch, acc, &plan).unwrap();
        assert_eq!(e.totals.crossbars, 32, "{acc:?}");
        assert!(e.totals.detail.area_um2.tables.value() > 0.0);
        assert!(e.totals.detail.latency_ns.tables.value() > 0.0);
        assert!(e.totals.detail.energy_pj.tables.value() > 0.0);
        // Two rounds of 9 input cycles (8 bits + 1 extra) against one round of 8.
        let ratio =
            e.totals.detail.latency_ns.xbar.value() / dense.totals.detail.latency_ns.xbar.value();
        assert!((ratio - 2.0 * 9.0 / 8.0).abs() < 1e-9, "{acc:?}: {ratio}");
    }
}

#[test]
fn pruned_layer_counts_are_the_worked_example() {
    // XRS at 0.5 (physical, rows by element): 576 rows, keep 288 per column block (one
    // block of 64 columns) -> row chunks 256 + 32 = 2 blocks x 8 slices = 16 PEs; input
    // index: 288 entries of ceil(log2 576) = 10 bits.
    let net = one_conv();
    let arch = preset("mnsim2").unwrap();
    let m = map_planned(
        0,
        &net.layers[0],
        &pruned(PruneKind::Xrs, 0.5),
        9,
        &arch,
        Accounting::Physical,
    )
    .unwrap();
    assert_eq!(m.pes, 16);
    assert_eq!((m.max_row, m.max_col), (256, 64));
    assert_eq!(m.tables[0].bits, 288 * 10);
    assert_eq!(m.tables[2].bits, 0);
    // XCS at 0.5: one row block (physical: 3 chunks of <= 256 rows), 32 of 64 columns
    // kept in each -> 3 blocks x 8 = 24 PEs (no crossbar freed), output index 3*32 entries
    // of 6 bits.
    let m = map_planned(
        0,
        &net.layers[0],
        &pruned(PruneKind::Xcs, 0.5),
        9,
        &arch,
        Accounting::Physical,
    )
    .unwrap();
    assert_eq!(m.pes, 24);
    assert_eq!(m.max_col, 32);
    assert_eq!(m.tables[2].bits, 96 * 6);
}

fn zoo_nets() -> Vec<Network> {
    ["lenet", "vgg8", "resnet18", "mobilenetv2-imagenet"]
        .iter()
        .map(|n| builtin(n).unwrap())
        .collect()
}

fn identity_plan(net: &Network) -> NetworkPlan {
    NetworkPlan {
        layers: net
            .layers
            .iter()
            .map(|l| match epim::sim::plan::layer_geometry(l) {
                Ok(g) => epitome([g.c_out, g.c_in, g.k_h, g.k_w]),
                Err(_) => LayerPlan::default(),
            })
            .collect(),
    }
}

#[test]
fn epitome_with_the_dense_shape_costs_exactly_the_dense_network() {
    for net in zoo_nets() {
        for preset_name in ["mnsim2", "isaac"] {
            let arch = preset(preset_name).unwrap();
            for acc in [Accounting::Physical, Accounting::Mnsim] {
                let dense = simulate(&net, &arch, acc).unwrap();
                let e = simulate_plan(&net, &arch, acc, &identity_plan(&net)).unwrap();
                assert_eq!(dense, e, "{} {preset_name} {acc:?}", net.name);
            }
        }
    }
}

#[test]
fn pruning_at_ratio_zero_costs_exactly_the_dense_network() {
    for net in zoo_nets() {
        let arch = preset("mnsim2").unwrap();
        for acc in [Accounting::Physical, Accounting::Mnsim] {
            let dense = simulate(&net, &arch, acc).unwrap();
            for kind in PruneKind::ALL {
                let plan = NetworkPlan {
                    layers: net
                        .layers
                        .iter()
                        .map(|l| match epim::sim::plan::conv_shape(l) {
                            Ok(_) => pruned(kind, 0.0),
                            Err(_) => LayerPlan::default(),
                        })
                        .collect(),
                };
                let p = simulate_plan(&net, &arch, acc, &plan).unwrap();
                assert_eq!(dense, p, "{} {acc:?} {kind:?}", net.name);
            }
        }
    }
}

fn request(net: &str, acc: Accounting, baseline: &str, methods: &[&str]) -> CompareRequest {
    CompareRequest {
        network: Some(NetworkRef::Name(net.into())),
        preset: Some("mnsim2".into()),
        accounting: Some(acc),
        config: None,
        knobs: Knobs::default(),
        baseline: baseline.into(),
        methods: methods.iter().map(|s| s.to_string()).collect(),
        designs: Default::default(),
    }
}

#[test]
fn compare_rows_at_zero_compression_equal_the_dense_row() {
    for acc in [Accounting::Physical, Accounting::Mnsim] {
        let mut methods = vec![
            "dense:bits=8".to_string(),
            "epitome:bits=8,ratio=1".to_string(),
        ];
        for k in PruneKind::ALL {
            methods.push(format!("prune:kind={},ratio=0,bits=8", k.name()));
        }
        let m: Vec<&str> = methods.iter().map(String::as_str).collect();
        let r = compare(&request("resnet18", acc, "dense:bits=8", &m)).unwrap();
        for row in &r.rows {
            assert_eq!(row.area_um2, r.baseline.area_um2, "{}", row.method);
            assert_eq!(row.latency_ns, r.baseline.latency_ns, "{}", row.method);
            assert_eq!(row.energy_pj, r.baseline.energy_pj, "{}", row.method);
            assert_eq!(
                row.bits_per_weight, r.baseline.bits_per_weight,
                "{}",
                row.method
            );
            assert_eq!(
                (row.area_ratio, row.energy_ratio),
                (1.0, 1.0),
                "{}",
                row.method
            );
        }
    }
}

#[test]
fn dense_method_is_the_simulator_at_those_bits() {
    let r = compare(&request(
        "vgg8",
        Accounting::Physical,
        "dense:bits=32",
        &["dense:bits=4"],
    ))
    .unwrap();
    let mut spec = NetworkRef::Name("vgg8".into()).spec().unwrap();
    spec.w_bits = 4;
    let s = simulate(
        &spec.build().unwrap(),
        &preset("mnsim2").unwrap(),
        Accounting::Physical,
    )
    .unwrap();
    assert_eq!(r.rows[0].area_um2, s.totals.area_um2.value());
    assert_eq!(r.rows[0].energy_pj, s.totals.energy_pj.value());
    assert_eq!(r.rows[0].crossbars, s.totals.crossbars);
    assert!((r.rows[0].area_ratio - r.baseline.area_um2 / s.totals.area_um2.value()).abs() < 1e-12);
    // 4-bit weights plus one 32-bit scale per output channel.
    assert!(r.rows[0].bits_per_weight > 4.0 && r.rows[0].bits_per_weight < 4.1);
    assert_eq!(r.baseline.bits_per_weight, 32.0);
}

#[test]
fn filter_pruning_shrinks_the_consumers_but_not_residual_outputs() {
    let spec = NetworkRef::Name("resnet18".into()).spec().unwrap();
    let net = spec.build().unwrap();
    let out = filter_rewrite(&spec, &net, 0.5).unwrap().build().unwrap();
    for (l, (a, b)) in net.layers.iter().zip(&out.layers).enumerate() {
        let feeds_add = a
            .outputs
            .iter()
            .any(|&o| matches!(net.layers[l + o].op, epim::nets::Op::Add { .. }));
        if feeds_add || l + 1 == net.layers.len() {
            assert_eq!(a.out_shape.c, b.out_shape.c, "layer {l} keeps its filters");
        }
    }
    // resnet18's first conv of every block feeds only the second: halved, and the
    // second's input with it.
    let halved = net
        .layers
        .iter()
        .zip(&out.layers)
        .filter(|(a, b)| b.out_shape.c * 2 == a.out_shape.c)
        .count();
    assert!(halved >= 8, "{halved}");
    assert!(out.params() < net.params());
}

#[test]
fn design_file_layers_become_epitomes_and_errors_name_the_field() {
    let net = builtin("lenet").unwrap();
    let d = EpitomeDesign::from_json(
        r#"{"network":"lenet","layers":[{"layer":0,"epitome":[3,3,5,5]},
            {"layer":"conv2","epitome":[8,6,5,5],"rep":2,"w_bits":4}]}"#,
    )
    .unwrap();
    let plan = epim::compare::design_plan(&net, &d, 3).unwrap();
    assert!(matches!(plan.layers[0].scheme, LayerScheme::Epitome(_)));
    assert_eq!(plan.layers[0].w_bits, Some(3));
    let i = net.layers.iter().position(|l| l.name == "conv2").unwrap();
    assert_eq!(plan.layers[i].w_bits, Some(4));
    for (text, needle) in [
        (
            r#"{"layers":[{"layer":0,"epitome":[3,3,5,5],"bits":3}]}"#,
            "bits",
        ),
        (
            r#"{"layers":[{"layer":99,"epitome":[3,3,5,5]}]}"#,
            "out of range",
        ),
        (
            r#"{"layers":[{"layer":"nope","epitome":[3,3,5,5]}]}"#,
            "no layer named 'nope'",
        ),
        (r#"{"layers":[{"layer":0,"epitome":[3,3,2,5]}]}"#, "e_h"),
        (
            r#"{"network":"vgg8","layers":[]}"#,
            "the design is for 'vgg8'",
        ),
        (
            r#"{"layers":[{"layer":1,"epitome":[3,3,5,5]}]}"#,
            "pool layer has no weights",
        ),
    ] {
        let e = EpitomeDesign::from_json(text)
            .and_then(|d| epim::compare::design_plan(&net, &d, 3))
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{text}: {e}");
    }
}

#[test]
fn epitome_bits_per_weight_follow_the_spec_formula() {
    // (b_w * |E| + 32 * e_out) / weights = (3 * 32*32*9 + 32*32) / (64*64*9).
    let net = one_conv();
    let mut p = epitome([32, 32, 3, 3]);
    p.w_bits = Some(3);
    let plan = NetworkPlan { layers: vec![p] };
    let b = bits_per_weight(
        &net,
        &plan,
        &preset("mnsim2").unwrap(),
        Accounting::Physical,
    )
    .unwrap();
    let want = (3.0 * 9216.0 + 1024.0) / 36864.0;
    assert!((b - want).abs() < 1e-12, "{b} vs {want}");
}

#[test]
fn method_strings_are_strict() {
    let e = Method::parse("prune:kind=xcs,ratio=0.5,bitz=8")
        .unwrap_err()
        .to_string();
    assert!(e.contains("bitz") && e.contains("allowed"), "{e}");
}

fn area(net: &str, acc: Accounting, method: &str) -> f64 {
    compare(&request(net, acc, "dense:bits=8", &[method]))
        .unwrap()
        .rows[0]
        .area_um2
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn area_never_increases_when_the_epitome_ratio_grows(
        net in prop::sample::select(vec!["lenet", "vgg8", "resnet18"]),
        physical in any::<bool>(),
        r1 in 1.0f64..12.0,
        r2 in 1.0f64..12.0,
    ) {
        let acc = if physical { Accounting::Physical } else { Accounting::Mnsim };
        let (lo, hi) = if r1 <= r2 { (r1, r2) } else { (r2, r1) };
        let a = area(net, acc, &format!("epitome:bits=4,ratio={lo}"));
        let b = area(net, acc, &format!("epitome:bits=4,ratio={hi}"));
        let dense = area(net, acc, "dense:bits=4");
        prop_assert!(b <= a, "{net} {acc:?}: ratio {lo} -> {a}, {hi} -> {b}");
        prop_assert!(a <= dense, "{net} {acc:?}: ratio {lo} {a} > dense {dense}");
    }

    #[test]
    fn area_never_increases_when_a_pruning_ratio_grows(
        net in prop::sample::select(vec!["lenet", "vgg8", "resnet18"]),
        kind in prop::sample::select(PruneKind::ALL.to_vec()),
        physical in any::<bool>(),
        r1 in 0.0f64..0.95,
        r2 in 0.0f64..0.95,
    ) {
        let acc = if physical { Accounting::Physical } else { Accounting::Mnsim };
        let (lo, hi) = if r1 <= r2 { (r1, r2) } else { (r2, r1) };
        let m = |r: f64| format!("prune:kind={},ratio={r},bits=8", kind.name());
        let a = area(net, acc, &m(lo));
        let b = area(net, acc, &m(hi));
        prop_assert!(b <= a, "{net} {acc:?} {kind:?}: ratio {lo} -> {a}, {hi} -> {b}");
    }

    #[test]
    fn crossbars_never_increase_when_an_explicit_epitome_shrinks(
        e_out in 1usize..=64,
        e_in in 1usize..=64,
        e_h in 3usize..=5,
        d in 0usize..4,
        physical in any::<bool>(),
    ) {
        let acc = if physical { Accounting::Physical } else { Accounting::Mnsim };
        let net = one_conv();
        let arch = preset("mnsim2").unwrap();
        let big = [e_out, e_in, e_h, e_h];
        let mut small = big;
        small[d] = if d < 2 { (small[d] / 2).max(1) } else { (small[d] - 1).max(3) };
        let pes = |s: [usize; 4]| {
            map_planned(0, &net.layers[0], &epitome(s), 9, &arch, acc).unwrap().pes
        };
        prop_assert!(pes(small) <= pes(big), "{big:?} -> {small:?}");
    }
}

#[test]
fn replication_runs_patterns_in_parallel_on_more_crossbars() {
    // [32, 32, 3, 3] has 2 patterns: rep 2 -> one round per pixel, twice the PEs (2 x 16),
    // still 2 copy activations (energy).
    let net = one_conv();
    let arch = preset("mnsim2").unwrap();
    let mut p = epitome([32, 32, 3, 3]);
    if let LayerScheme::Epitome(e) = &mut p.scheme {
        e.rep = 2;
    }
    let m = map_planned(0, &net.layers[0], &p, 9, &arch, Accounting::Physical).unwrap();
    assert_eq!((m.pes, m.rounds, m.acts), (32, 1, 2));
}

#[test]
fn per_layer_activation_bits_set_the_input_cycles() {
    // 1-bit DACs: 4-bit activations take 4 cycles per activation instead of 8.
    let net = one_conv();
    let arch = preset("mnsim2").unwrap();
    let run = |a_bits: Option<u32>| {
        let plan = NetworkPlan {
            layers: vec![LayerPlan {
                scheme: LayerScheme::Dense,
                w_bits: None,
                a_bits,
            }],
        };
        simulate_plan(&net, &arch, Accounting::Physical, &plan)
            .unwrap()
            .totals
            .detail
            .latency_ns
            .xbar
            .value()
    };
    assert!((run(Some(4)) / run(None) - 0.5).abs() < 1e-12);
    let bad = NetworkPlan {
        layers: vec![LayerPlan {
            scheme: LayerScheme::Dense,
            w_bits: Some(1),
            a_bits: None,
        }],
    };
    let e = simulate_plan(&net, &arch, Accounting::Physical, &bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("plan.layers[0].w_bits"), "{e}");
}

#[test]
fn a_network_bigger_than_the_chip_runs_on_a_grown_square_chip() {
    // 32-bit vgg16-imagenet needs about 16 k tiles; the preset chip has 64x64 = 4096.
    let r = compare(&request(
        "vgg16-imagenet",
        Accounting::Physical,
        "dense:bits=32",
        &["dense:bits=8"],
    ))
    .unwrap();
    assert!(r.baseline.tiles > 4096, "{}", r.baseline.tiles);
    assert!(r.rows[0].area_ratio > 4.0);
    // The simulator alone still refuses it on the preset chip.
    let mut spec = NetworkRef::Name("vgg16-imagenet".into()).spec().unwrap();
    spec.w_bits = 32;
    let e = simulate(
        &spec.build().unwrap(),
        &preset("mnsim2").unwrap(),
        Accounting::Physical,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("tiles"), "{e}");
}

#[test]
fn other_pruning_kinds_have_the_worked_out_counts() {
    // The one_conv layer in physical packing: 576 rows (64 channels x 9) x 64 columns,
    // 256x256 crossbars -> row chunks 256 + 256 + 64, one column chunk: 3 dense blocks,
    // 8 slices each (24 PEs).
    let net = one_conv();
    let arch = preset("mnsim2").unwrap();
    let map = |kind, ratio| {
        map_planned(
            0,
            &net.layers[0],
            &pruned(kind, ratio),
            9,
            &arch,
            Accounting::Physical,
        )
        .unwrap()
    };
    // crossbar 0.5: round(1.5) = 2 of 3 blocks removed -> 1 block, 8 PEs; a 3-bit bitmap.
    let m = map(PruneKind::Crossbar, 0.5);
    assert_eq!((m.pes, m.tables[1].bits, m.tables[1].read_bits), (8, 3, 0));
    // pim-prune 0.5: each step at 1 - sqrt(0.5) = 0.2929: rows 576 - round(168.7) = 407
    // (chunks 256 + 151: 2 blocks, 16 PEs), columns 64 - round(18.7) = 45; input index
    // 407 x 10 bits, output index 45 x 6 bits.
    let m = map(PruneKind::PimPrune, 0.5);
    assert_eq!((m.pes, m.max_row, m.max_col), (16, 256, 45));
    assert_eq!((m.tables[0].bits, m.tables[2].bits), (407 * 10, 45 * 6));
    // filter 0.5 (this layer alone): 32 columns kept, still 3 row chunks -> 24 PEs.
    let m = map(PruneKind::Filter, 0.5);
    assert_eq!((m.pes, m.max_col, m.out_cols), (24, 32, 32 * 8));
    // unstructured 0.5: a 256x64 block is all-pruned with probability 0.5^16384: no block
    // freed, no index: the dense counts.
    let m = map(PruneKind::Unstructured, 0.5);
    assert_eq!((m.pes, m.has_tables()), (24, false));
}

/// Every report carries the paper's 30.65x and our 15 % tolerance, and marks exactly the
/// rows whose area ratio lies within it (the page's paper table only shows the marks).
#[test]
fn rows_near_the_papers_area_ratio_are_marked_by_the_core() {
    let methods = [
        "dense:bits=3",
        "epitome:bits=3,ratio=2",
        "epitome:bits=3,ratio=4",
        "epitome:bits=3,ratio=8",
    ];
    let r = compare(&request(
        "resnet18",
        Accounting::Physical,
        "dense:bits=32",
        &methods,
    ))
    .unwrap();
    assert_eq!(
        (r.paper.area_ratio, r.paper.tolerance_0_to_1),
        (30.65, 0.15)
    );
    assert!(!r.baseline.near_paper_area_ratio);
    for row in &r.rows {
        let near = (row.area_ratio / 30.65 - 1.0).abs() <= 0.15;
        assert_eq!(row.near_paper_area_ratio, near, "{}", row.method);
    }
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["rows"][0]["near_paper_area_ratio"].is_boolean());
}
