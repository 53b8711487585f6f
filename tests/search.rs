//! The ask/tell search with a stand-in evaluator (a closed-form cost, no
//! simulator): determinism, constraint handling, the front, termination rules,
//! the visited set and misuse errors.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, HashSet};

use epim::nets::builtin;
use epim::search::pareto::{dominates, front_indices};
use epim::search::{
    Genome, InfeasibleClass, LayerChoice, Mode, Outcome, Search, SearchConfig, SearchSpace,
    SearchState, SpaceConfig, StopReason,
};
use proptest::prelude::*;

fn space(net: &str) -> SearchSpace {
    SearchSpace::from_network(&builtin(net).unwrap(), &SpaceConfig::default()).unwrap()
}

/// Stand-in objectives: [stored bits, activations (a latency proxy), a
/// compression penalty], from the decoded design alone.
fn cost(space: &SearchSpace, g: &Genome) -> [f64; 3] {
    let mut bits = 0.0;
    let mut acts = 0.0;
    let mut penalty = 0.0;
    for (c, m) in space.decode(g).iter().zip(&space.layers) {
        let l = m.geometry;
        let dense = (l.c_out * l.c_in * l.k_h * l.k_w) as f64;
        match *c {
            LayerChoice::Dense { w_bits } => {
                bits += dense * f64::from(w_bits);
                acts += 1.0;
            }
            LayerChoice::Epitome { shape, rep, w_bits } => {
                let p = shape.len() as f64;
                bits += p * f64::from(w_bits) * rep as f64;
                acts += (l.c_out.div_ceil(shape.e_out) as f64 / rep as f64).ceil();
                penalty += (dense / p).ln();
            }
        }
        penalty += (9.0 - f64::from(c.w_bits())) * 0.5;
    }
    [bits, acts, penalty]
}

/// Feasible when the stored bits fit `budget_bits`.
fn evaluator(space: &SearchSpace, budget_bits: f64) -> impl FnMut(&Genome) -> Outcome + '_ {
    move |g| {
        let c = cost(space, g);
        if c[0] > budget_bits {
            Outcome::Infeasible {
                class: InfeasibleClass::CrossbarBudget,
                reason: format!("{} bits > budget {budget_bits}", c[0]),
                excess: c[0] / budget_bits - 1.0,
            }
        } else {
            Outcome::Evaluated {
                objectives: c.to_vec(),
            }
        }
    }
}

fn dense_bits(space: &SearchSpace, w_bits: f64) -> f64 {
    space
        .layers
        .iter()
        .map(|m| (m.geometry.c_out * m.geometry.c_in * m.geometry.k_h * m.geometry.k_w) as f64)
        .sum::<f64>()
        * w_bits
}

fn cfg(seed: u64, population: usize, generations: usize) -> SearchConfig {
    SearchConfig {
        seed,
        population,
        generations,
        ..SearchConfig::default()
    }
}

#[test]
fn same_seed_gives_the_same_front_and_history() {
    let sp = space("resnet18");
    let budget = dense_bits(&sp, 32.0) / 30.0;
    let run = |seed| {
        let mut s = Search::new(sp.clone(), cfg(seed, 20, 15)).unwrap();
        let mut asked = Vec::new();
        let mut eval = evaluator(&sp, budget);
        s.run(|g| {
            asked.push(g.clone());
            eval(g)
        })
        .unwrap();
        (s.front(), asked, s.progress())
    };
    let (f1, a1, p1) = run(7);
    let (f2, a2, p2) = run(7);
    assert!(!f1.is_empty());
    assert_eq!(f1, f2);
    assert_eq!(a1, a2);
    assert_eq!(p1, p2);
    let (f3, a3, _) = run(8);
    assert_ne!(a1, a3, "another seed explores other genomes");
    let _ = f3;
}

#[test]
fn infeasible_candidates_are_counted_per_class_and_never_on_the_front() {
    let sp = space("resnet18");
    let budget = dense_bits(&sp, 32.0) / 30.0;
    let mut s = Search::new(sp.clone(), cfg(3, 30, 20)).unwrap();
    let mut eval = evaluator(&sp, budget);
    let mut infeasible = 0u64;
    s.run(|g| {
        let o = eval(g);
        if matches!(o, Outcome::Infeasible { .. }) {
            infeasible += 1;
        }
        o
    })
    .unwrap();
    assert!(infeasible > 0, "a 1/30 budget rejects some random designs");
    let counts = s.infeasible_counts();
    assert_eq!(
        counts.get(&InfeasibleClass::CrossbarBudget),
        Some(&infeasible)
    );
    assert_eq!(counts.len(), 1);
    let front = s.front();
    assert!(!front.is_empty());
    for p in &front {
        assert!(p.objectives[0] <= budget, "front point over budget");
        assert_eq!(p.objectives, cost(&sp, &p.genome).to_vec());
    }
}

#[test]
fn search_walks_back_into_a_tight_feasible_region() {
    // A budget so tight that random designs are almost all infeasible: the excess
    // ranking must lead the population to feasible designs.
    let sp = space("vgg8");
    let budget = dense_bits(&sp, 32.0) / 150.0;
    let mut s = Search::new(sp.clone(), cfg(11, 30, 40)).unwrap();
    let mut first_gen_feasible = 0;
    let mut n = 0;
    let mut eval = evaluator(&sp, budget);
    s.run(|g| {
        let o = eval(g);
        if n < 30 && matches!(o, Outcome::Evaluated { .. }) {
            first_gen_feasible += 1;
        }
        n += 1;
        o
    })
    .unwrap();
    assert!(first_gen_feasible < 10, "{first_gen_feasible}");
    assert!(s.front().len() > 3, "front {:?}", s.front().len());
}

#[test]
fn generation_limit_stops_after_exactly_that_many_generations() {
    let sp = space("resnet18");
    let mut s = Search::new(sp.clone(), cfg(1, 10, 6)).unwrap();
    s.run(evaluator(&sp, f64::INFINITY)).unwrap();
    assert_eq!(s.state(), SearchState::Done(StopReason::Generations));
    assert_eq!(s.generation(), 6);
    assert_eq!(s.evaluations(), 60);
    assert!(s.ask().is_none());
}

#[test]
fn evaluation_budget_is_never_exceeded_even_mid_generation() {
    let sp = space("resnet18");
    let mut c = cfg(1, 10, 100);
    c.max_evaluations = Some(37);
    let mut s = Search::new(sp.clone(), c).unwrap();
    let mut calls = 0;
    let mut eval = evaluator(&sp, f64::INFINITY);
    s.run(|g| {
        calls += 1;
        eval(g)
    })
    .unwrap();
    assert_eq!(s.state(), SearchState::Done(StopReason::Budget));
    assert_eq!((s.evaluations(), calls), (37, 37));
    assert_eq!(s.generation(), 4);
}

#[test]
fn stagnation_stops_a_search_that_cannot_improve() {
    let sp = space("resnet18");
    let mut c = cfg(1, 10, 100);
    c.stagnation_generations = Some(3);
    let mut s = Search::new(sp, c).unwrap();
    // Every design costs the same: generation 1 fills the front, nothing improves after.
    s.run(|_| Outcome::Evaluated {
        objectives: vec![1.0, 1.0],
    })
    .unwrap();
    assert_eq!(s.state(), SearchState::Done(StopReason::Stagnation));
    assert_eq!(s.generation(), 4);
    assert_eq!(s.front().len(), 1);
}

#[test]
fn visited_set_never_hands_out_a_genome_twice_and_exhaustion_stops() {
    // lenet with one bit width, one rep and no shape freedom: each of the 5 layers
    // is dense or an epitome of its own shape, 32 designs in all.
    let net = builtin("lenet").unwrap();
    let sc = SpaceConfig {
        bits: vec![8],
        rep: vec![1],
        max_channel_ratio: 1,
        spatial_extra: 0,
    };
    let sp = SearchSpace::from_network(&net, &sc).unwrap();
    assert_eq!(sp.log10_size(), 32f64.log10());
    let mut s = Search::new(sp.clone(), cfg(5, 8, 1000)).unwrap();
    let mut seen = HashSet::new();
    let mut eval = evaluator(&sp, f64::INFINITY);
    s.run(|g| {
        assert!(seen.insert(g.clone()), "genome asked twice");
        eval(g)
    })
    .unwrap();
    assert_eq!(s.state(), SearchState::Done(StopReason::Exhausted));
    assert!(seen.len() <= 32);
    assert!(
        seen.len() >= 24,
        "most of the 32 designs are reached: {}",
        seen.len()
    );
}

#[test]
fn cancel_stops_asking() {
    let sp = space("resnet18");
    let mut s = Search::new(sp.clone(), cfg(1, 10, 100)).unwrap();
    s.step(2, evaluator(&sp, f64::INFINITY)).unwrap();
    assert_eq!(s.generation(), 2);
    s.cancel();
    assert_eq!(s.state(), SearchState::Done(StopReason::Cancelled));
    assert!(s.ask().is_none());
    s.step(5, evaluator(&sp, f64::INFINITY)).unwrap();
    assert_eq!(s.generation(), 2);
}

#[test]
fn step_advances_whole_generations_and_ask_waits_for_tells() {
    let sp = space("resnet18");
    let mut s = Search::new(sp.clone(), cfg(1, 4, 10)).unwrap();
    let cands: Vec<_> = std::iter::from_fn(|| s.ask()).collect();
    assert_eq!(cands.len(), 4);
    assert_eq!(s.state(), SearchState::Waiting);
    assert!(s.ask().is_none());
    // Tells in any order; the generation ends with the last one.
    for c in cands.iter().rev() {
        s.tell(
            c.id,
            Outcome::Evaluated {
                objectives: cost(&sp, &c.genome).to_vec(),
            },
        )
        .unwrap();
    }
    assert_eq!(s.generation(), 1);
    assert_eq!(s.state(), SearchState::Asking);
    s.step(3, evaluator(&sp, f64::INFINITY)).unwrap();
    assert_eq!(s.generation(), 4);
}

#[test]
fn misuse_is_an_error_not_a_panic() {
    let sp = space("resnet18");
    let mut s = Search::new(sp, cfg(1, 4, 10)).unwrap();
    assert!(s
        .tell(
            99,
            Outcome::Evaluated {
                objectives: vec![1.0]
            }
        )
        .is_err());
    let a = s.ask().unwrap();
    let b = s.ask().unwrap();
    let c = s.ask().unwrap();
    assert!(s
        .tell(
            a.id,
            Outcome::Evaluated {
                objectives: vec![f64::NAN]
            }
        )
        .is_err());
    s.tell(
        a.id,
        Outcome::Evaluated {
            objectives: vec![1.0, 2.0],
        },
    )
    .unwrap();
    assert!(
        s.tell(
            a.id,
            Outcome::Evaluated {
                objectives: vec![1.0, 2.0]
            }
        )
        .is_err(),
        "told twice"
    );
    assert!(
        s.tell(
            b.id,
            Outcome::Evaluated {
                objectives: vec![1.0]
            }
        )
        .is_err(),
        "objective count changed"
    );
    let bad = Outcome::Infeasible {
        class: InfeasibleClass::LatencyCap,
        reason: String::new(),
        excess: -1.0,
    };
    assert!(s.tell(c.id, bad).is_err());
}

#[test]
fn bad_configs_are_errors_naming_the_field() {
    let sp = space("lenet");
    let bad = [
        (
            SearchConfig {
                population: 1,
                ..SearchConfig::default()
            },
            "population",
        ),
        (
            SearchConfig {
                generations: 0,
                ..SearchConfig::default()
            },
            "generations",
        ),
        (
            SearchConfig {
                tournament: 0,
                ..SearchConfig::default()
            },
            "tournament",
        ),
        (
            SearchConfig {
                crossover_rate: 1.5,
                ..SearchConfig::default()
            },
            "crossover_rate",
        ),
        (
            SearchConfig {
                max_evaluations: Some(0),
                ..SearchConfig::default()
            },
            "max_evaluations",
        ),
        (
            SearchConfig {
                mode: Mode::Scalarised {
                    weights: vec![f64::NAN],
                },
                ..SearchConfig::default()
            },
            "mode.weights",
        ),
    ];
    for (c, field) in bad {
        let e = Search::new(sp.clone(), c).unwrap_err().to_string();
        assert!(e.contains(field), "{e}");
    }
}

#[test]
fn scalarised_best_never_gets_worse_and_beats_the_first_generation() {
    let sp = space("resnet18");
    let mut c = cfg(2, 20, 30);
    c.mode = Mode::Scalarised {
        weights: vec![1.0, 1.0, 0.0],
    };
    let mut s = Search::new(sp.clone(), c).unwrap();
    let budget = dense_bits(&sp, 32.0) / 4.0;
    s.step(1, evaluator(&sp, budget)).unwrap();
    let first = s.best().map(|b| b.score);
    let mut last = first.unwrap_or(f64::INFINITY);
    while !s.is_done() {
        s.step(1, evaluator(&sp, budget)).unwrap();
        let b = s.best().map_or(f64::INFINITY, |b| b.score);
        assert!(b <= last);
        last = b;
    }
    assert!(last < first.unwrap_or(f64::INFINITY));
}

#[test]
fn progress_counts_add_up() {
    let sp = space("resnet18");
    let budget = dense_bits(&sp, 32.0) / 30.0;
    let mut s = Search::new(sp.clone(), cfg(4, 12, 5)).unwrap();
    let mut classes: BTreeMap<InfeasibleClass, u64> = BTreeMap::new();
    let mut eval = evaluator(&sp, budget);
    s.run(|g| {
        let o = eval(g);
        if let Outcome::Infeasible { class, .. } = &o {
            *classes.entry(*class).or_default() += 1;
        }
        o
    })
    .unwrap();
    let p = s.progress();
    assert_eq!(p.infeasible, classes);
    assert_eq!(p.evaluations, 60);
    assert_eq!(p.visited, 60);
    assert_eq!(p.front_size, s.front().len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn front_extraction_keeps_exactly_the_non_dominated_points(
        pts in prop::collection::vec(prop::collection::vec(0u8..6, 3), 0..40)
    ) {
        let pts: Vec<Vec<f64>> = pts.iter().map(|p| p.iter().map(|&x| f64::from(x)).collect()).collect();
        let front = front_indices(&pts);
        for &i in &front {
            for q in &pts {
                prop_assert!(!dominates(q, &pts[i]));
            }
        }
        for (j, p) in pts.iter().enumerate() {
            if !front.contains(&j) {
                prop_assert!(front.iter().any(|&i| dominates(&pts[i], p) || pts[i] == *p));
            }
        }
    }

    #[test]
    fn search_front_never_contains_a_dominated_point(seed in 0u64..1000, pop in 4usize..16, gens in 1usize..8) {
        let sp = space("resnet18");
        let budget = dense_bits(&sp, 32.0) / 20.0;
        let mut s = Search::new(sp.clone(), cfg(seed, pop, gens)).unwrap();
        let mut all = Vec::new();
        let mut eval = evaluator(&sp, budget);
        s.run(|g| {
            let o = eval(g);
            if let Outcome::Evaluated { objectives } = &o {
                all.push(objectives.clone());
            }
            o
        }).unwrap();
        let front = s.front();
        for p in &front {
            for q in &all {
                prop_assert!(!dominates(q, &p.objectives), "{:?} dominates front point {:?}", q, p.objectives);
            }
        }
        // Complete: every evaluated point is dominated by or equal to a front point.
        for q in &all {
            prop_assert!(front.iter().any(|p| dominates(&p.objectives, q) || p.objectives == *q));
        }
    }
}

#[test]
fn seeds_open_the_first_generation_in_order_without_repeats() {
    let sp = space("lenet");
    let cfg = SearchConfig {
        population: 6,
        generations: 1,
        seed: 4,
        ..SearchConfig::default()
    };
    let a = sp.all_dense(0);
    let b = sp.all_dense(1);
    let mut s = Search::seeded(
        sp.clone(),
        cfg.clone(),
        vec![b.clone(), a.clone(), b.clone()],
    )
    .unwrap();
    let mut asked = Vec::new();
    while let Some(c) = s.ask() {
        asked.push(c.genome);
    }
    assert_eq!(
        asked.len(),
        6,
        "seeds, then random genomes up to the population"
    );
    assert_eq!((&asked[0], &asked[1]), (&b, &a));
    assert_eq!(asked.iter().collect::<HashSet<_>>().len(), 6);
    // More seeds than the population: the first `population` are used.
    let many: Vec<Genome> = (0..sp.layers[0].bits.len())
        .map(|b| sp.all_dense(b as u8))
        .chain((0..20).map(|i| sp.random_genome(&mut epim::rng::Rng::new(i))))
        .collect();
    let mut s = Search::seeded(sp.clone(), cfg.clone(), many.clone()).unwrap();
    let first: Vec<Genome> = std::iter::from_fn(|| s.ask()).map(|c| c.genome).collect();
    assert_eq!(first, many[..6].to_vec());
    // A seed outside the space names it.
    let mut bad = sp.all_dense(0);
    bad.0.pop();
    let e = Search::seeded(sp, cfg, vec![a, bad])
        .unwrap_err()
        .to_string();
    assert!(e.contains("seeds[1]"), "{e}");
}
