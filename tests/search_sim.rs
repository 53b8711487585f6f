//! The search on the simulator: cached costs against the full simulator, the
//! design file against `compare`, constraints, determinism, the CLI.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/cli.rs"]
mod support;

use support::epim;

use epim::compare::{compare, CompareRequest};
use epim::rng::Rng;
use epim::search::{Evaluator, Fidelity, InfeasibleClass, Outcome, SearchRequest, SearchRun};
use epim::sim::NetworkRef;

fn request(net: &str, seed: u64, pop: usize, gens: usize) -> SearchRequest {
    let mut r = SearchRequest::for_network(net);
    r.search.seed = seed;
    r.search.population = pop;
    r.search.generations = gens;
    r
}

#[test]
fn cached_crossbars_are_exact_and_cached_area_is_within_one_percent() {
    let mut ev = Evaluator::new(&request("resnet50-imagenet", 0, 10, 1)).unwrap();
    let mut rng = Rng::new(1);
    for _ in 0..12 {
        let g = ev.space().random_genome(&mut rng);
        let (obj, xb, _) = ev.costs(&g).unwrap();
        let (exact, _) = ev.exact(&g).unwrap();
        assert_eq!(xb, exact.crossbars);
        let rel = (obj[0] - exact.area_um2).abs() / exact.area_um2;
        assert!(rel < 0.01, "area {} vs exact {}", obj[0], exact.area_um2);
    }
}

#[test]
fn sequential_latency_bounds_the_pipelined_latency() {
    for net in ["resnet18", "resnet50-imagenet", "vgg8"] {
        let mut ev = Evaluator::new(&request(net, 0, 10, 1)).unwrap();
        let mut rng = Rng::new(2);
        for _ in 0..8 {
            let g = ev.space().random_genome(&mut rng);
            let (obj, _, _) = ev.costs(&g).unwrap();
            let (exact, _) = ev.exact(&g).unwrap();
            assert!(
                exact.latency_ns <= obj[1] * (1.0 + 1e-9),
                "{net}: pipelined {} > sequential {}",
                exact.latency_ns,
                obj[1]
            );
        }
    }
}

#[test]
fn design_file_costs_equal_what_compare_reports() {
    let mut req = request("resnet18", 3, 16, 6);
    req.bits = Some(8);
    req.budget_fraction_of_dense32 = Some(1.0 / 10.0);
    let mut run = SearchRun::new(&req).unwrap();
    run.step(usize::MAX).unwrap();
    let design = run.design(None).unwrap().expect("a feasible design");
    let exact = run.exact(None).unwrap().unwrap();
    // Through JSON, as a file would go.
    let text = serde_json::to_string(&design).unwrap();
    let design = epim::compare::EpitomeDesign::from_json(&text).unwrap();
    let mut designs = std::collections::BTreeMap::new();
    designs.insert("d".to_string(), design);
    let report = compare(&CompareRequest {
        network: Some(NetworkRef::Name("resnet18".into())),
        preset: None,
        accounting: None,
        config: None,
        knobs: Default::default(),
        baseline: "dense:bits=32".into(),
        methods: vec!["epitome:bits=8,design=d".into()],
        designs,
    })
    .unwrap();
    let row = &report.rows[0];
    assert_eq!(row.crossbars, exact.crossbars);
    assert_eq!(row.area_um2, exact.area_um2);
    assert_eq!(row.latency_ns, exact.latency_ns);
    assert_eq!(row.energy_pj, exact.energy_pj);
    assert!(exact.crossbars <= run.info().budget_crossbars.unwrap());
    // The comparison's quality proxy (the Pareto chart's y axis) is the search's.
    let best = run.search().best().unwrap().clone();
    let search_proxy = best.objectives[3];
    assert!(search_proxy > 0.0);
    assert!(
        (row.quality_proxy - search_proxy).abs() < 1e-12,
        "compare {} vs search {search_proxy}",
        row.quality_proxy
    );
    // Dense rows: 0 at 8 bits and more, ln(8 / b) below.
    assert_eq!(report.baseline.quality_proxy, 0.0);
    let dense = compare(&CompareRequest {
        network: Some(NetworkRef::Name("resnet18".into())),
        preset: None,
        accounting: None,
        config: None,
        knobs: Default::default(),
        baseline: "dense:bits=8".into(),
        methods: vec!["dense:bits=4".into(), "dense:bits=2".into()],
        designs: Default::default(),
    })
    .unwrap();
    assert_eq!(dense.baseline.quality_proxy, 0.0);
    assert!((dense.rows[0].quality_proxy - 2f64.ln()).abs() < 1e-12);
    assert!((dense.rows[1].quality_proxy - 4f64.ln()).abs() < 1e-12);
    let chart = dense.chart_data();
    assert_eq!(
        chart.rows[1].quality_proxy,
        Some(dense.rows[0].quality_proxy)
    );
}

#[test]
fn every_front_point_meets_the_budget_and_the_latency_cap_exactly() {
    let mut req = request("resnet18", 5, 20, 8);
    req.budget_fraction_of_dense32 = Some(1.0 / 12.0);
    let mut probe = SearchRun::new(&req).unwrap();
    let dense_lat = probe.info().dense.latency_ns;
    let _ = probe.front();
    req.latency_cap_ns = Some(dense_lat * 4.0);
    let mut run = SearchRun::new(&req).unwrap();
    run.step(usize::MAX).unwrap();
    let budget = run.info().budget_crossbars.unwrap();
    let front = run.front().unwrap();
    assert!(!front.is_empty());
    for p in &front {
        assert!(p.crossbars <= budget);
        assert!(p.latency_ns <= dense_lat * 4.0);
        let e = run.exact(Some(p.id)).unwrap().unwrap();
        assert!(e.crossbars <= budget && e.latency_ns <= dense_lat * 4.0);
    }
    let counts = run.search().infeasible_counts();
    assert!(
        counts
            .get(&InfeasibleClass::CrossbarBudget)
            .copied()
            .unwrap_or(0)
            > 0
    );
}

#[test]
fn an_impossible_budget_gives_no_design_and_counts_every_candidate() {
    let mut req = request("resnet18", 1, 10, 3);
    req.budget_crossbars = Some(1);
    let mut run = SearchRun::new(&req).unwrap();
    run.step(usize::MAX).unwrap();
    assert!(run.front().unwrap().is_empty());
    assert!(run.design(None).unwrap().is_none());
    let n: u64 = run.search().infeasible_counts().values().sum();
    assert_eq!(n as usize, run.search().evaluations());
}

#[test]
fn same_seed_same_front_on_the_simulator() {
    let mut req = request("resnet50-imagenet", 9, 12, 5);
    req.budget_fraction_of_dense32 = Some(1.0 / 30.0);
    let front = |req: &SearchRequest| {
        let mut run = SearchRun::new(req).unwrap();
        run.step(usize::MAX).unwrap();
        run.front().unwrap()
    };
    assert_eq!(front(&req), front(&req));
}

#[test]
fn exact_fidelity_objectives_are_the_simulator_totals() {
    let mut req = request("vgg8", 2, 8, 2);
    req.fidelity = Fidelity::Exact;
    let mut ev = Evaluator::new(&req).unwrap();
    let mut rng = Rng::new(4);
    let g = ev.space().random_genome(&mut rng);
    let Outcome::Evaluated { objectives } = ev.evaluate(&g) else {
        panic!("no constraint, so feasible")
    };
    let (e, _) = ev.exact(&g).unwrap();
    assert_eq!(&objectives[..3], &[e.area_um2, e.latency_ns, e.energy_pj]);
}

#[test]
fn grouped_layers_stay_dense_at_the_method_bits() {
    let mut req = request("mobilenetv2-imagenet", 0, 10, 1);
    req.bits = Some(6);
    let ev = Evaluator::new(&req).unwrap();
    for m in ev.space().layers.iter().filter(|m| !m.epitome_allowed) {
        assert_eq!(m.bits, vec![6]);
    }
}

#[test]
fn bad_requests_are_errors_naming_the_field() {
    let mut r = SearchRequest::for_network("nope");
    assert!(Evaluator::new(&r).unwrap_err().to_string().contains("nope"));
    r = SearchRequest::for_network("lenet");
    r.budget_fraction_of_dense32 = Some(-1.0);
    assert!(Evaluator::new(&r)
        .unwrap_err()
        .to_string()
        .contains("budget_fraction_of_dense32"));
    r = SearchRequest::for_network("lenet");
    r.bits = Some(1);
    assert!(Evaluator::new(&r).unwrap_err().to_string().contains("bits"));
    r = SearchRequest::for_network("lenet");
    r.latency_cap_ns = Some(f64::NAN);
    assert!(Evaluator::new(&r).is_err());
    let e = serde_json::from_str::<SearchRequest>(r#"{"network":"lenet","budget":3}"#);
    assert!(e.is_err(), "unknown keys are errors");
}

#[test]
fn cli_search_writes_a_design_that_compare_accepts() {
    let dir = std::env::temp_dir().join(format!("epim-search-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("design.json");
    let o = epim(&[
        "search",
        "--net",
        "resnet18",
        "--preset",
        "mnsim2",
        "--budget-crossbars",
        "1500",
        "--generations",
        "4",
        "--population",
        "12",
        "--seed",
        "3",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["evaluations"], 48);
    assert_eq!(report["stop"], "generations");
    let best_xb = report["best_exact"]["crossbars"].as_u64().unwrap();
    assert!(best_xb <= 1500);
    let method = format!("epitome:bits=9,design={}", out.display());
    let c = epim(&[
        "compare", "--net", "resnet18", "--method", &method, "--json",
    ]);
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    let cmp: serde_json::Value = serde_json::from_slice(&c.stdout).unwrap();
    assert_eq!(cmp["rows"][0]["crossbars"].as_u64(), Some(best_xb));
    assert_eq!(cmp["rows"][0]["area_um2"], report["best_exact"]["area_um2"]);
}

#[test]
fn cli_search_errors_are_one_line() {
    let o = epim(&["search", "--net", "nope", "--budget-crossbars", "10"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let o = epim(&["search", "--net", "lenet", "--population", "1"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("population"));
}

#[test]
fn cli_search_runs_over_a_trained_models_layers() {
    let o = epim(&[
        "search",
        "--net",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/mnist-cnn-epim2.25-3b.safetensors"
        ),
        "--generations",
        "2",
        "--population",
        "6",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // The model has the cnn geometry (its epitomes are not carried over) and
    // 3-bit weights, so B = 3; its four weight layers are searched.
    assert_eq!(r["info"]["network"], "cnn");
    assert_eq!(r["info"]["bits"], 3);
    assert_eq!(r["info"]["layers"], 4);
    assert_eq!(r["evaluation"], serde_json::Value::Null);
}

#[test]
fn cli_search_evaluate_needs_a_trainable_network() {
    let o = epim(&[
        "search",
        "--net",
        "lenet",
        "--generations",
        "1",
        "--evaluate",
        "train",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("needs a trainable --net (cnn, tiny or a .safetensors model), got 'lenet'"),
        "{err}"
    );
    let o = epim(&["search", "--net", "cnn", "--evaluate", "guess"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("train"));
}

/// Without the `train` feature, `--evaluate train` names the feature.
#[cfg(not(feature = "train"))]
#[test]
fn cli_search_evaluate_without_the_train_feature_names_it() {
    let o = epim(&[
        "search",
        "--net",
        "tiny",
        "--generations",
        "1",
        "--evaluate",
        "train",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`train` feature"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// Seeding (issue 15, defect 11): the smallest design of the space, the fast
/// per-layer minimum against the whole menu, and the first generation under a budget.
mod seeding {
    use super::*;
    use epim::search::SpaceConfig;

    /// A menu small enough to enumerate in a debug build, on several nets and chips.
    fn small_space(net: &str, preset: &str, xbar: Option<u32>, mnsim: bool) -> SearchRequest {
        let mut r = request(net, 0, 4, 1);
        r.preset = Some(preset.into());
        r.knobs.crossbar_size = xbar;
        if mnsim {
            r.accounting = Some(epim::sim::Accounting::Mnsim);
        }
        r.space = SpaceConfig {
            bits: vec![8, 2, 5, 3],
            rep: vec![2, 1],
            max_channel_ratio: 8,
            spatial_extra: 1,
        };
        r
    }

    #[test]
    fn the_fast_smallest_gene_equals_the_whole_menus_minimum() {
        let cases = [
            ("lenet", "mnsim2", None, false),
            ("vgg8", "isaac", Some(128), false),
            ("vgg8", "mnsim2", Some(128), true),
            ("resnet18", "isaac", None, true),
            ("mobilenetv2-imagenet", "mnsim2", Some(128), false),
        ];
        let mut layers = 0;
        for (net, preset, xbar, mnsim) in cases {
            let mut ev = Evaluator::new(&small_space(net, preset, xbar, mnsim)).unwrap();
            let mut sum = 0u64;
            for i in 0..ev.space().layers.len() {
                let (fast_gene, fast) = ev.smallest_gene(i).unwrap();
                let (_, slow) = ev.smallest_gene_exhaustive(i).unwrap();
                assert_eq!(
                    fast, slow,
                    "{net} {preset} {xbar:?} mnsim={mnsim} layer {i}"
                );
                let mut g = ev.space().all_dense(0);
                g.0[i] = fast_gene;
                sum += fast;
                layers += 1;
            }
            let (smallest, min) = ev.smallest().unwrap();
            assert_eq!(min, sum);
            // The smallest design's count is the full simulator's.
            assert_eq!(ev.exact(&smallest).unwrap().0.crossbars, min, "{net}");
        }
        assert!(layers > 40, "{layers} layers compared");
        assert!(Evaluator::new(&small_space("lenet", "mnsim2", None, false))
            .unwrap()
            .smallest_gene(99)
            .unwrap_err()
            .to_string()
            .contains("layer"));
    }

    #[test]
    fn repair_meets_every_reachable_budget_and_leaves_fitting_designs_alone() {
        let mut req = request("resnet50-imagenet", 0, 4, 1);
        req.budget_crossbars = Some(1);
        let mut probe = Evaluator::new(&req).unwrap();
        let (_, min) = probe.smallest().unwrap();
        let dense = probe.dense().crossbars;
        let mut rng = Rng::new(11);
        for k in 0..16u64 {
            let budget = min + (dense - min) * k / 15;
            req.budget_crossbars = Some(budget);
            let mut ev = Evaluator::new(&req).unwrap();
            let g0 = ev.space().random_genome(&mut rng);
            let before = ev.crossbars(&g0).unwrap();
            let mut g = g0.clone();
            ev.repair(&mut g, &mut rng).unwrap();
            let after = ev.crossbars(&g).unwrap();
            assert!(after <= budget, "budget {budget}: {before} -> {after}");
            if before <= budget {
                assert_eq!(g, g0, "a design that fits is not changed");
            } else {
                assert_ne!(g, g0);
            }
            assert_eq!(ev.exact(&g).unwrap().0.crossbars, after);
        }
    }

    /// ISAAC (128-row crossbars) at 3 bits and the page's budget (1/30 of dense 32-bit):
    /// a random first generation meets no design (and some whole runs never did: the
    /// page showed "2,500 infeasible, front of 0"); seeded, generation 1 does.
    #[test]
    fn isaac_with_128_row_crossbars_gives_a_front_under_the_budget() {
        let mut req = request("resnet50-imagenet", 1, 24, 3);
        req.preset = Some("isaac".into());
        req.knobs.crossbar_size = Some(128);
        req.bits = Some(3);
        req.budget_fraction_of_dense32 = Some(0.0333);
        let mut run = SearchRun::new(&req).unwrap();
        let info = run.info();
        let budget = info.budget_crossbars.unwrap();
        assert!(info.budget_reachable && info.min_crossbars <= budget);
        assert!(run.unreachable("budget").is_none());
        run.step(1).unwrap();
        let first = run.front().unwrap();
        assert!(!first.is_empty(), "generation 1 has a feasible design");
        run.step(usize::MAX).unwrap();
        let front = run.front().unwrap();
        assert!(!front.is_empty());
        for p in &front {
            assert!(p.crossbars <= budget, "{} > {budget}", p.crossbars);
            let e = run.exact(Some(p.id)).unwrap().unwrap();
            assert_eq!(e.crossbars, p.crossbars);
        }
        assert!(run.design(None).unwrap().is_some());
    }

    #[test]
    fn an_unreachable_budget_is_said_with_the_smallest_reachable_count() {
        // ISAAC's chip with 256-row crossbars: 1/30 of dense 32-bit is just below reach.
        let mut req = request("resnet50-imagenet", 1, 8, 2);
        req.preset = Some("isaac".into());
        req.knobs.crossbar_size = Some(256);
        req.bits = Some(3);
        req.budget_fraction_of_dense32 = Some(0.0333);
        let mut run = SearchRun::new(&req).unwrap();
        let info = run.info();
        let budget = info.budget_crossbars.unwrap();
        assert!(!info.budget_reachable, "{} < {budget}", info.min_crossbars);
        assert!(info.min_crossbars > budget);
        let msg = run
            .unreachable("budget_fraction_of_dense32")
            .unwrap()
            .to_string();
        assert!(msg.contains("budget_fraction_of_dense32"), "{msg}");
        assert!(
            msg.contains(&format!("budget of {budget} crossbars")),
            "{msg}"
        );
        assert!(
            msg.contains(&format!("needs {}", info.min_crossbars)),
            "{msg}"
        );
        assert!(!msg.ends_with("..."), "{msg}");
        // ... and it is true: the search finds nothing under it.
        run.step(usize::MAX).unwrap();
        assert!(run.front().unwrap().is_empty());
        // Without a budget there is nothing to reach.
        req.budget_fraction_of_dense32 = None;
        let run = SearchRun::new(&req).unwrap();
        assert!(run.info().budget_reachable && run.unreachable("budget").is_none());
    }

    #[test]
    fn cli_search_meets_a_reachable_budget_or_names_the_smallest_reachable_cost() {
        let dir = std::env::temp_dir().join(format!("epim-search-seed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("design.json");
        let args = |budget: &'static str, out: &str| {
            epim(&[
                "search",
                "--net",
                "resnet50-imagenet",
                "--budget-crossbars",
                budget,
                "--population",
                "24",
                "--generations",
                "15",
                "--quiet",
                "--out",
                out,
            ])
        };
        // The issue's command: found nothing, wrote nothing and exited 0.
        let o = args("897", out.to_str().unwrap());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(report["best_exact"]["crossbars"].as_u64().unwrap() <= 897);
        assert!(!report["front"].as_array().unwrap().is_empty());
        let design = std::fs::read_to_string(&out).unwrap();
        assert!(design.contains("resnet50-imagenet"), "{design}");
        // Below the smallest design: non-zero, one line naming both numbers.
        let mut req = request("resnet50-imagenet", 0, 24, 15);
        req.budget_crossbars = Some(100);
        let min = SearchRun::new(&req).unwrap().info().min_crossbars;
        assert!(min > 100);
        let missing = dir.join("none.json");
        let o = args("100", missing.to_str().unwrap());
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("--budget-crossbars"), "{err}");
        assert!(err.contains("budget of 100 crossbars"), "{err}");
        assert!(err.contains(&format!("needs {min}")), "{err}");
        assert!(!missing.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn cli_search_without_a_feasible_design_fails_naming_the_constraint() {
        let o = epim(&[
            "search",
            "--net",
            "lenet",
            "--latency-cap-ns",
            "1",
            "--population",
            "6",
            "--generations",
            "2",
            "--quiet",
        ]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("no feasible design") && err.contains("latency_cap"),
            "{err}"
        );
    }
}

/// `--table` prints the same front as the JSON summary: one row per front point
/// with its full-simulator crossbars and area (typed fields, never NaN).
#[test]
fn cli_search_table_shows_the_json_summarys_front() {
    let args = [
        "search",
        "--net",
        "vgg8",
        "--budget-fraction",
        "0.2",
        "--generations",
        "3",
        "--population",
        "10",
        "--seed",
        "2",
        "--quiet",
    ];
    let j = epim(&args);
    assert!(j.status.success(), "{}", String::from_utf8_lossy(&j.stderr));
    let report: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let mut with_table = args.to_vec();
    with_table.push("--table");
    let t = epim(&with_table);
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    let text = String::from_utf8(t.stdout).unwrap();
    assert!(!text.contains("NaN"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let front = report["front"].as_array().unwrap();
    assert!(lines[0].starts_with(&format!(
        "vgg8: {} searched layers, B = {} bits, {} evaluations in ",
        report["info"]["layers"], report["info"]["bits"], report["evaluations"]
    )));
    assert!(lines[0].ends_with(&format!("front {} points, stop generations", front.len())));
    assert!(lines[1].starts_with("design") && lines[1].contains("crossbars"));
    assert_eq!(lines.len(), 2 + front.len(), "{text}");
    for (line, p) in lines[2..].iter().zip(front) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[..2], ["id", &p["point"]["id"].to_string()[..]]);
        assert_eq!(cells[2], p["exact"]["crossbars"].to_string());
        let area_mm2: f64 = cells[3].parse().unwrap();
        let want = p["exact"]["area_um2"].as_f64().unwrap() / 1e6;
        assert!((area_mm2 - want).abs() <= 5e-4, "{line}: {want}");
    }
}
