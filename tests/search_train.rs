//! `epim search --evaluate train` end to end through the binary, and the one
//! design file format: what `epim search --out` writes, `epim train --design`
//! and `epim compare` read; mismatched layers and shapes are precise errors.
#![cfg(all(feature = "train", not(target_arch = "wasm32")))]

#[path = "support/cli.rs"]
mod support;

use epim::design::{DesignLayer, EpitomeDesign, LayerRef};
use epim::model::{LayerSpec, Model};
use epim::train::{apply_design, architecture};
use support::{assert_clean_error, epim, json_out, temp_file};

fn layer(r: LayerRef, epitome: [usize; 4]) -> DesignLayer {
    DesignLayer {
        layer: r,
        epitome,
        offsets: None,
        rep: None,
        w_bits: None,
        a_bits: None,
    }
}

/// A tiny search on `tiny`, the best two designs re-trained on 640 images: the
/// report carries accuracies in [0, 1], above chance (0.1); the design written
/// trains with its per-layer bits and compares with the search's numbers.
#[test]
fn search_evaluate_train_runs_end_to_end_and_its_design_trains_and_compares() {
    let design_path = temp_file("design.json", "");
    let d = design_path.to_str().unwrap();
    let o = epim(&[
        "search",
        "--net",
        "tiny",
        "--generations",
        "3",
        "--population",
        "8",
        "--seed",
        "1",
        "--quiet",
        "--out",
        d,
        "--evaluate",
        "train",
        "--evaluate-top",
        "2",
        "--evaluate-epochs",
        "2",
        "--evaluate-limit",
        "640",
        "--evaluate-test-limit",
        "300",
    ]);
    let r = json_out(&o);
    assert_eq!(r["info"]["network"], "tiny");
    assert_eq!(r["info"]["layers"], 3, "conv1, conv2, fc");
    let ev = &r["evaluation"];
    assert_eq!(ev["train_images"], 640);
    assert_eq!(ev["test_images"], 300);
    assert_eq!(ev["epochs"], 2);
    let designs = ev["designs"].as_array().unwrap();
    let front = r["front"].as_array().unwrap();
    assert_eq!(designs.len(), 2.min(front.len()));
    let acc = |m: &serde_json::Value| m["measured"]["accuracy_0_to_1"].as_f64().unwrap();
    let reference = acc(&ev["reference"]);
    assert!(reference > 0.3, "dense reference accuracy {reference}");
    let mut best = 0.0f64;
    let mut last_score = f64::NEG_INFINITY;
    for x in designs {
        let a = acc(x);
        assert!((0.0..=1.0).contains(&a), "accuracy {a}");
        best = best.max(a);
        let score = x["point"]["score"].as_f64().unwrap();
        assert!(score >= last_score, "designs are ranked by score");
        last_score = score;
        assert_eq!(x["exact"]["crossbars"], x["point"]["crossbars"]);
        assert_eq!(x["design"]["network"], "tiny");
    }
    assert!(best > 0.3, "best re-trained design accuracy {best}");

    // The written design is the best-score design: epim train accepts it and
    // honours its per-layer bits and shapes.
    let design = EpitomeDesign::read(&design_path).unwrap();
    assert!(!design.layers.is_empty());
    let model_path = temp_file("model.safetensors", "");
    let t = epim(&[
        "train",
        "--arch",
        "tiny",
        "--design",
        d,
        "--epochs",
        "1",
        "--limit",
        "128",
        "--test-limit",
        "50",
        "--out",
        model_path.to_str().unwrap(),
    ]);
    json_out(&t);
    let model = Model::from_bytes(&std::fs::read(&model_path).unwrap()).unwrap();
    let names = ["conv1", "conv2", "fc"];
    for dl in &design.layers {
        let LayerRef::Index(i) = dl.layer else {
            panic!("the search writes indices")
        };
        // Simulator indices: conv1 0, pool 1, conv2 2, pool 3, fc 4.
        let name = names[i / 2];
        let l = model
            .arch()
            .weight_layers()
            .find(|l| l.name == name)
            .unwrap();
        assert_eq!(l.w_bits, dl.w_bits, "{name}");
        let dense = [l.c_out, l.c_in, l.k, l.k];
        match &l.epitome {
            Some(e) => assert_eq!([e.e_out, e.e_in, e.e_h, e.e_w], dl.epitome),
            None => assert_eq!(dense, dl.epitome, "{name} kept dense"),
        }
    }

    // epim compare reads the same file, on the arch name and on the model file.
    let method = format!("epitome:bits=8,design={d}");
    for net in ["tiny", model_path.to_str().unwrap()] {
        let c = json_out(&epim(&[
            "compare", "--net", net, "--method", &method, "--json",
        ]));
        assert_eq!(
            c["rows"][0]["crossbars"], r["best_exact"]["crossbars"],
            "{net}"
        );
        assert_eq!(
            c["rows"][0]["area_um2"], r["best_exact"]["area_um2"],
            "{net}"
        );
    }
}

#[test]
fn trainer_resolves_names_and_indices_to_the_same_layer() {
    let arch = architecture("cnn").unwrap();
    let by = |r: LayerRef| {
        let mut l = layer(r, [16, 8, 4, 4]);
        l.w_bits = Some(4);
        l.rep = Some(4); // hardware only: ignored
        apply_design(
            &arch,
            &EpitomeDesign {
                network: Some("cnn".into()),
                layers: vec![l],
            },
        )
        .unwrap()
    };
    let a = by(LayerRef::Index(2));
    assert_eq!(a, by(LayerRef::Name("conv2".into())));
    let conv2 = a.weight_layers().find(|l| l.name == "conv2").unwrap();
    assert_eq!(conv2.w_bits, Some(4));
    assert_eq!(conv2.epitome.as_ref().unwrap().e_in, 8);
    let others: Vec<_> = a.weight_layers().filter(|l| l.name != "conv2").collect();
    assert!(others
        .iter()
        .all(|l| l.epitome.is_none() && l.w_bits.is_none()));
}

#[test]
fn mismatched_layers_shapes_and_bits_are_precise_errors() {
    let arch = architecture("cnn").unwrap();
    let err = |mut l: DesignLayer, w_bits: Option<u32>, a_bits: Option<u32>, net: &str| {
        l.w_bits = w_bits;
        l.a_bits = a_bits;
        let d = EpitomeDesign {
            network: Some(net.into()),
            layers: vec![layer(LayerRef::Name("conv3".into()), [32, 16, 4, 4]), l],
        };
        apply_design(&arch, &d).unwrap_err().to_string()
    };
    let cases = [
        (
            err(layer(LayerRef::Index(3), [1, 1, 1, 1]), None, None, "cnn"),
            "design.layers[1].layer: layer 3 (pool",
        ),
        (
            err(layer(LayerRef::Index(7), [1, 1, 1, 1]), None, None, "cnn"),
            "index 7 is out of range (the network 'cnn' has 7 layers",
        ),
        (
            err(
                layer(LayerRef::Name("conv9".into()), [1, 1, 1, 1]),
                None,
                None,
                "cnn",
            ),
            "no layer named 'conv9' in 'cnn' (conv and fc layers: conv1, conv2, conv3, fc)",
        ),
        (
            err(layer(LayerRef::Index(2), [64, 16, 3, 3]), None, None, "cnn"),
            "design.layers[1].epitome: layer conv2 (weights 32x16x3x3)",
        ),
        (
            err(
                layer(LayerRef::Index(2), [16, 8, 4, 4]),
                Some(16),
                None,
                "cnn",
            ),
            "design.layers[1].w_bits: layer conv2: quantization-aware training supports 2..=8",
        ),
        (
            err(
                layer(LayerRef::Index(2), [16, 8, 4, 4]),
                None,
                Some(4),
                "cnn",
            ),
            "design.layers[1].a_bits: layer conv2",
        ),
        (
            err(layer(LayerRef::Index(2), [16, 8, 4, 4]), None, None, "tiny"),
            "the design is for 'tiny', the network is 'cnn'",
        ),
        (
            err(layer(LayerRef::Index(4), [32, 16, 4, 4]), None, None, "cnn"),
            "design.layers[1].layer: layer 4 (conv3) is listed twice",
        ),
    ];
    for (e, needle) in cases {
        assert!(e.contains(needle), "{e:?} lacks {needle:?}");
    }
}

#[test]
fn train_design_errors_are_one_line_before_training() {
    let bad = temp_file(
        "bad-design.json",
        r#"{"network":"cnn","layers":[{"layer":"conv2","epitome":[64,16,3,3]}]}"#,
    );
    let out = temp_file("never.safetensors", "");
    let o = epim(&[
        "train",
        "--arch",
        "cnn",
        "--design",
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_clean_error(&o, "design.layers[0].epitome: layer conv2");
    let old = temp_file(
        "old-format.json",
        r#"{"conv2":{"e_out":16,"e_in":8,"e_h":4,"e_w":4}}"#,
    );
    let o = epim(&[
        "train",
        "--design",
        old.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_clean_error(&o, "old-format.json");
}

/// A non-square epitome (the search's menus allow `e_h != e_w`) is costed by
/// the model's cost model with the crossbars the simulator gives it.
#[test]
fn non_square_epitome_models_are_costed_like_compare() {
    let arch = architecture("cnn").unwrap();
    let d = EpitomeDesign {
        network: Some("cnn".into()),
        layers: vec![layer(LayerRef::Name("conv3".into()), [32, 32, 3, 5])],
    };
    let a = apply_design(&arch, &d).unwrap();
    let cost = epim::model::cost::model_cost(&a, "mnsim2").unwrap();
    let path = temp_file("nonsquare.json", &d.to_json().unwrap());
    let method = format!("epitome:bits=8,design={}", path.display());
    let c = json_out(&epim(&[
        "compare", "--net", "cnn", "--method", &method, "--json",
    ]));
    assert_eq!(c["rows"][0]["crossbars"].as_u64(), Some(cost.crossbars));
    assert!(matches!(a.layers[6], LayerSpec::Conv(ref l) if l.epitome.is_some()));
}
