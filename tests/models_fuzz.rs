//! The model loader never panics: random bytes and mutated valid files give
//! errors (or, for harmless mutations such as a changed weight, a valid model).
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use epim::model::{ArchSpec, EpitomeDesc, LayerSpec, Model, WeightLayerSpec};
use epim::quant::ActivationParams;
use proptest::prelude::*;

/// A small valid model: conv (epitome, 4 bits) -> relu -> pool -> flatten -> dense.
pub fn small_model() -> Model {
    let conv = WeightLayerSpec {
        name: "c".into(),
        c_in: 1,
        c_out: 4,
        k: 3,
        stride: 1,
        padding: 1,
        epitome: Some(EpitomeDesc {
            e_out: 2,
            e_in: 1,
            e_h: 4,
            e_w: 4,
            offsets: vec![[0, 0, 0], [0, 1, 1]],
        }),
        w_bits: Some(4),
        act: Some(ActivationParams {
            bits: 8,
            scale: 1.0 / 255.0,
        }),
        prune: None,
    };
    let dense = WeightLayerSpec {
        name: "fc".into(),
        c_in: 4 * 3 * 3,
        c_out: 10,
        k: 1,
        stride: 1,
        padding: 0,
        epitome: None,
        w_bits: None,
        act: None,
        prune: None,
    };
    let arch = ArchSpec {
        input: [1, 6, 6],
        classes: 10,
        layers: vec![
            LayerSpec::Conv(conv),
            LayerSpec::Relu,
            LayerSpec::MaxPool { k: 2 },
            LayerSpec::Flatten,
            LayerSpec::Dense(dense),
        ],
    };
    let e: Vec<f32> = (0..32).map(|i| (i as f32 - 16.0) / 10.0).collect();
    let w: Vec<f32> = (0..360)
        .map(|i| ((i * 7 % 13) as f32 - 6.0) / 20.0)
        .collect();
    let mut meta = BTreeMap::new();
    meta.insert("epim.dataset".to_string(), "mnist".to_string());
    Model::from_float(arch, vec![(e, vec![0.1; 4]), (w, vec![0.0; 10])], meta).unwrap()
}

#[test]
fn small_model_round_trips_exactly() {
    let m = small_model();
    let bytes = m.to_bytes().unwrap();
    let back = Model::from_bytes(&bytes).unwrap();
    assert_eq!(back, m);
    assert_eq!(back.to_bytes().unwrap(), bytes);
}

#[test]
fn inconsistent_files_give_precise_errors() {
    let m = small_model();
    let bytes = m.to_bytes().unwrap();
    // Edit the header JSON in place (same length keeps the offsets valid).
    let edit = |from: &str, to: &str| {
        assert_eq!(from.len(), to.len());
        let (f, t) = (from.as_bytes(), to.as_bytes());
        let at = bytes
            .windows(f.len())
            .position(|w| w == f)
            .unwrap_or_else(|| panic!("{from} not in the file"));
        let mut b = bytes.clone();
        b[at..at + t.len()].copy_from_slice(t);
        Model::from_bytes(&b).unwrap_err().to_string()
    };
    assert!(edit("epim-model/1", "epim-model/2").contains("epim.format"));
    assert!(edit("\\\"c_out\\\":4", "\\\"c_out\\\":5").contains("offsets"));
    assert!(edit("\\\"w_bits\\\":4", "\\\"w_bits\\\":9").contains("w_bits"));
    assert!(edit("\\\"e_in\\\":1", "\\\"e_in\\\":2").contains("codes"));
    assert!(edit("\\\"classes\\\":10", "\\\"classes\\\":11").contains("classes"));
    assert!(edit("c.scales", "c.scalez").contains("c.scales"));
    assert!(edit("\\\"kind\\\":\\\"relu\\\"", "\\\"kind\\\":\\\"relv\\\"").contains("epim.arch"));
}

#[test]
fn codes_beyond_the_bit_range_are_errors() {
    let m = small_model();
    let mut st = epim::model::safetensors::SafeTensors::from_bytes(&m.to_bytes().unwrap()).unwrap();
    if let Some(t) = st.tensors.get_mut("c.codes") {
        t.data = epim::model::safetensors::TensorData::I8(vec![8; 32]);
    }
    let e = Model::from_bytes(&st.to_bytes().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("exceeds +-7 for 4 bits"), "{e}");
    st.tensors.insert(
        "extra".into(),
        epim::model::safetensors::Tensor {
            shape: vec![1],
            data: epim::model::safetensors::TensorData::F32(vec![0.0]),
        },
    );
    let e = Model::from_bytes(&st.to_bytes().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("codes") || e.contains("extra"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_are_errors_not_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert!(Model::from_bytes(&bytes).is_err());
    }

    #[test]
    fn mutated_valid_files_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = small_model().to_bytes().unwrap();
        for (i, v) in &flips {
            let k = i.index(bytes.len());
            bytes[k] = *v;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        // Either an error or a valid model that runs; never a panic.
        if let Ok(m) = Model::from_bytes(&bytes) {
            let x = epim::nn::Tensor4::new("x", [1, 1, 6, 6], vec![0.5; 36]).unwrap();
            let _ = m.forward(&x);
        }
    }
}

/// A model's kernels are bounded by the crate's one `limits::MAX_KERNEL`, as the
/// simulator's networks are: a 64x64 kernel loads and costs, 65 names the field.
#[test]
fn model_kernels_share_the_simulators_bound() {
    use epim::limits::MAX_KERNEL;
    let arch = |k: usize| {
        let conv = WeightLayerSpec {
            name: "c".into(),
            c_in: 1,
            c_out: 2,
            k,
            stride: 1,
            padding: 0,
            epitome: None,
            w_bits: None,
            act: None,
            prune: None,
        };
        let fc = WeightLayerSpec {
            name: "fc".into(),
            c_in: 2,
            c_out: 10,
            ..conv.clone()
        };
        ArchSpec {
            input: [1, k, k],
            classes: 10,
            layers: vec![
                LayerSpec::Conv(conv),
                LayerSpec::Flatten,
                LayerSpec::Dense(WeightLayerSpec { k: 1, ..fc }),
            ],
        }
    };
    let ok = arch(MAX_KERNEL);
    ok.validate().unwrap();
    epim::compare::model_network(&ok, "big")
        .unwrap()
        .build()
        .unwrap();
    let e = arch(MAX_KERNEL + 1).validate().unwrap_err().to_string();
    assert!(
        e.contains(".k") && e.contains(&MAX_KERNEL.to_string()),
        "{e}"
    );
}
