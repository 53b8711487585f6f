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
        network: NetworkRef::Name("resnet18".into()),
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
