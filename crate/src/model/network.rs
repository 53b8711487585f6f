//! The trainable architectures (`cnn`, `tiny`) and a model's architecture as a
//! simulator network, so `epim search`, `epim compare` and `epim simulate`-style
//! costing run over a trained model's layers.
//!
//! [`network_spec`] ([`super::stored::model_network`], whose
//! default bits it changes) maps an [`ArchSpec`] to a [`NetworkSpec`] layer by layer:
//! `conv` -> `conv` (same name, kernel, stride, padding), `dense` -> `fc` (same
//! name), `max_pool` -> `pool` (max, window = stride = k), and drops `relu` and
//! `flatten` (the simulator charges neither; `fc` flattens its input). It takes
//! the **dense geometry**: a layer's epitome, bits and pruning record are not
//! carried over, because the network is what a design is searched or costed on.
//! [`crate::model::cost::model_cost`] simulates each weight layer alone instead
//! (it charges what a model stores); this is the whole network, with pooling, in
//! the layer order that design files index.

use crate::error::{Error, Result};
use crate::model::{ArchSpec, LayerSpec, Model, WeightLayerSpec};
use crate::nets::{NetworkSpec, Op};

fn conv(name: &str, c_in: usize, c_out: usize) -> LayerSpec {
    LayerSpec::Conv(WeightLayerSpec {
        name: name.into(),
        c_in,
        c_out,
        k: 3,
        stride: 1,
        padding: 1,
        epitome: None,
        w_bits: None,
        act: None,
        prune: None,
    })
}

fn dense(name: &str, c_in: usize, c_out: usize) -> LayerSpec {
    LayerSpec::Dense(WeightLayerSpec {
        name: name.into(),
        c_in,
        c_out,
        k: 1,
        stride: 1,
        padding: 0,
        epitome: None,
        w_bits: None,
        act: None,
        prune: None,
    })
}

/// `conv{i} 3x3 channels[i-1] -> channels[i]`, ReLU, pool 2 per stage, then
/// flatten and `dense fc_in -> 10`.
fn conv_stack(channels: &[usize], fc_in: usize) -> Vec<LayerSpec> {
    let mut layers = Vec::new();
    for (i, pair) in channels.windows(2).enumerate() {
        layers.push(conv(&format!("conv{}", i + 1), pair[0], pair[1]));
        layers.push(LayerSpec::Relu);
        layers.push(LayerSpec::MaxPool { k: 2 });
    }
    layers.push(LayerSpec::Flatten);
    layers.push(dense("fc", fc_in, 10));
    layers
}

/// Names of the trainable architectures.
pub const ARCH_NAMES: [&str; 2] = ["cnn", "tiny"];

/// A float, dense architecture for 28x28 grey images and 10 classes:
///
/// - `cnn`: conv 3x3 1->16, ReLU, pool 2, conv 3x3 16->32, ReLU, pool 2,
///   conv 3x3 32->64, ReLU, pool 2 (3x3), flatten, dense 576->10;
/// - `tiny` (tests): conv 3x3 1->4, ReLU, pool 2, conv 3x3 4->8, ReLU, pool 2,
///   flatten, dense 392->10.
pub fn architecture(name: &str) -> Result<ArchSpec> {
    let layers = match name {
        "cnn" => conv_stack(&[1, 16, 32, 64], 576),
        "tiny" => conv_stack(&[1, 4, 8], 392),
        _ => {
            return Err(Error::Unknown {
                kind: "architecture".into(),
                name: name.into(),
                known: ARCH_NAMES.join(", "),
            })
        }
    };
    let arch = ArchSpec {
        input: [1, 28, 28],
        classes: 10,
        layers,
    };
    arch.validate()?;
    Ok(arch)
}

/// `arch` without epitomes, bits, activation parameters and pruning records
/// (what a design is applied to).
pub fn dense_geometry(arch: &ArchSpec) -> ArchSpec {
    let mut out = arch.clone();
    for layer in &mut out.layers {
        if let LayerSpec::Conv(l) | LayerSpec::Dense(l) = layer {
            l.epitome = None;
            l.w_bits = None;
            l.act = None;
            l.prune = None;
        }
    }
    out
}

/// The trainable architecture whose dense geometry `arch` has (a model trained
/// with `--arch cnn`, epitome or not, is `cnn`); `None` for any other geometry
/// (e.g. a filter-pruned model).
pub fn builtin_name(arch: &ArchSpec) -> Option<&'static str> {
    let geometry = dense_geometry(arch);
    ARCH_NAMES
        .into_iter()
        .find(|n| architecture(n).is_ok_and(|a| a == geometry))
}

/// The simulator network of `arch` named `name` (see the module docs): the
/// stored model's [`super::stored::model_network`], with one change of default:
/// the weight bits are the layers' common `w_bits`, else 8 (a float
/// architecture such as `cnn` is searched and costed at 8 bits, as
/// [`crate::model::cost::model_cost`] charges float layers, not at 32).
pub fn network_spec(arch: &ArchSpec, name: &str) -> Result<NetworkSpec> {
    let mut spec = super::stored::model_network(arch, name)?;
    let bits: Vec<Option<u32>> = arch.weight_layers().map(|l| l.w_bits).collect();
    spec.w_bits = match bits.first() {
        Some(Some(b)) if bits.iter().all(|x| *x == Some(*b)) => *b,
        _ => 8,
    };
    // The two shape rules must agree: every weight layer sees the same inputs.
    let net = spec.build()?;
    let sim = net
        .layers
        .iter()
        .filter(|l| matches!(l.op, Op::Conv(_) | Op::Fc { .. }));
    for (l, s) in arch.weight_layers().zip(sim) {
        let c_in = match s.op {
            Op::Conv(g) => g.c_in,
            Op::Fc { in_features, .. } => in_features,
            _ => 0,
        };
        if c_in != l.c_in {
            return Err(Error::invalid(
                format!("{}.c_in", l.name),
                format!(
                    "the simulator network gives this layer {c_in} inputs, the architecture {}",
                    l.c_in
                ),
            ));
        }
    }
    Ok(spec)
}

/// A trainable network named on the command line: a trainable architecture
/// name (`cnn`, `tiny`) or a model file (`*.safetensors`; only its architecture
/// is used). Returns the network's name and architecture, or `None` when `text`
/// is neither (a zoo name or a network JSON file). A model file's name is its
/// architecture's name when it has the geometry of one ([`builtin_name`]), else
/// the file stem.
pub fn trainable(text: &str) -> Result<Option<(String, ArchSpec)>> {
    if text.ends_with(".safetensors") {
        let path = std::path::Path::new(text);
        let bytes = crate::error::read_file(path)?;
        let model = Model::from_bytes(&bytes).map_err(|e| Error::parse(text, e))?;
        let arch = model.arch().clone();
        let name = match builtin_name(&arch) {
            Some(n) => n.to_string(),
            None => path
                .file_stem()
                .map_or_else(|| "model".to_string(), |s| s.to_string_lossy().into_owned()),
        };
        return Ok(Some((name, arch)));
    }
    if ARCH_NAMES.contains(&text) {
        return Ok(Some((text.to_string(), architecture(text)?)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnn_becomes_convs_pools_and_fc_in_order() {
        let spec = network_spec(&architecture("cnn").unwrap(), "cnn").unwrap();
        let net = spec.build().unwrap();
        let kinds: Vec<&str> = net.layers.iter().map(|l| l.op.kind()).collect();
        assert_eq!(
            kinds,
            ["conv", "pool", "conv", "pool", "conv", "pool", "fc"]
        );
        let names: Vec<&str> = net.layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names[0], "conv1");
        assert_eq!(names[2], "conv2");
        assert_eq!(names[6], "fc");
        assert_eq!(
            net.layers[6].op,
            Op::Fc {
                in_features: 576,
                out_features: 10
            }
        );
        assert_eq!((spec.w_bits, spec.a_bits), (8, 8));
    }

    #[test]
    fn an_epitome_model_has_its_architecture_name_and_common_bits() {
        let mut arch = architecture("tiny").unwrap();
        for layer in &mut arch.layers {
            if let LayerSpec::Conv(l) | LayerSpec::Dense(l) = layer {
                l.w_bits = Some(3);
            }
        }
        assert_eq!(builtin_name(&arch), Some("tiny"));
        assert_eq!(network_spec(&arch, "tiny").unwrap().w_bits, 3);
        if let LayerSpec::Conv(l) = &mut arch.layers[0] {
            l.c_out = 3;
        }
        if let LayerSpec::Conv(l) = &mut arch.layers[3] {
            l.c_in = 3;
        }
        assert_eq!(builtin_name(&arch), None);
    }

    #[test]
    fn names_resolve_and_others_are_not_trainable() {
        assert_eq!(trainable("cnn").unwrap().unwrap().0, "cnn");
        assert!(trainable("resnet18").unwrap().is_none());
        let e = trainable("/nonexistent/m.safetensors")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/m.safetensors"), "{e}");
    }

    /// Models take the one kernel bound of `limits::MAX_KERNEL` (64), as network
    /// specs and epitome layers do (it was 32 here).
    #[test]
    fn model_kernels_share_the_one_kernel_bound() {
        let with_conv1 = |k: usize, padding: usize| {
            let mut a = architecture("tiny").unwrap();
            if let LayerSpec::Conv(l) = &mut a.layers[0] {
                l.k = k;
                l.padding = padding;
            }
            a.validate()
        };
        assert_eq!(crate::limits::MAX_KERNEL, 64);
        // k = 33 with padding 16 keeps 28x28: over the old 32, within 64.
        assert!(with_conv1(33, 16).is_ok());
        let e = with_conv1(65, 32).unwrap_err().to_string();
        assert!(e.contains("1..=64") && e.contains("layers[0].k"), "{e}");
    }
}
