//! A trained model on the simulator as it is stored: its architecture as a
//! simulator network ([`model_network`]), its layers as a per-layer plan
//! ([`model_plan`]: epitomes with their offsets, pruning masks taken from its real
//! weights, per-layer bits), and its dense weights for pruning methods that choose
//! masks by magnitude ([`model_weights`]). The comparison (`crate::compare`) and
//! the search's network of a model ([`super::network`]) build on these; this
//! module depends on the simulator, never on the comparison.

use crate::model::{ArchSpec, LayerSpec as ModelLayer, Model, WeightLayerSpec};
use crate::nets::{LayerSpec, Network, NetworkSpec, PoolOp, Shape};
use crate::nn::Tensor4;
use crate::sim::plan::{measured_pruned_layer, EpitomeLayout, LayerPlan, LayerScheme, NetworkPlan};
use crate::sim::{Accounting, Arch};
use crate::{Error, Result};

/// The simulator network of a model architecture, named `name`: convolutions and
/// dense layers at their full (unpruned, un-epitomized) shapes, named as in the
/// model, max pooling as `pool` layers; ReLU and flatten are transparent to the
/// simulator (an `fc` flattens its input). Weight bits: the largest of the
/// model's layers (32 for float weights); activation bits: the largest stored
/// activation bits (8 when none is stored).
pub fn model_network(arch: &ArchSpec, name: &str) -> Result<NetworkSpec> {
    arch.validate()?;
    let mut layers = Vec::new();
    for layer in &arch.layers {
        match layer {
            ModelLayer::Conv(l) => layers.push(LayerSpec::Conv {
                name: Some(l.name.clone()),
                c_out: l.c_out,
                kernel: l.k,
                stride: Some(l.stride),
                padding: Some(l.padding),
                groups: None,
                from: None,
            }),
            ModelLayer::Dense(l) => layers.push(LayerSpec::Fc {
                name: Some(l.name.clone()),
                out: l.c_out,
                from: None,
            }),
            ModelLayer::MaxPool { k } => layers.push(LayerSpec::Pool {
                name: None,
                kernel: *k,
                stride: Some(*k),
                padding: Some(0),
                op: PoolOp::Max,
                from: None,
            }),
            ModelLayer::Relu | ModelLayer::Flatten => {}
        }
    }
    let weight_layers = || arch.weight_layers();
    let [c, h, w] = arch.input;
    Ok(NetworkSpec {
        name: name.to_string(),
        input: Shape { c, h, w },
        w_bits: weight_layers()
            .map(|l| l.w_bits.unwrap_or(32))
            .max()
            .unwrap_or(32),
        a_bits: weight_layers()
            .filter_map(|l| l.act.map(|a| a.bits))
            .max()
            .unwrap_or(8),
        layers,
    })
}

/// The network layer index of each weight layer of `model`, by name.
fn layer_indices<'m>(
    model: &'m Model,
    net: &Network,
) -> Result<Vec<(usize, &'m WeightLayerSpec, usize)>> {
    model
        .arch()
        .weight_layers()
        .enumerate()
        .map(|(i, l)| {
            let at = net
                .layers
                .iter()
                .position(|n| n.name == l.name)
                .ok_or_else(|| {
                    Error::invalid(
                        format!("model layer {}", l.name),
                        format!("network {} has no layer of that name", net.name),
                    )
                })?;
            Ok((i, l, at))
        })
        .collect()
}

/// The model's dense weights (OIHW, materialized and dequantized) per network
/// layer of `net`, for the layers that are plain dense in the model (no epitome,
/// no pruning); `None` elsewhere. `net` is [`model_network`] of the model.
pub fn model_weights(model: &Model, net: &Network) -> Result<Vec<Option<Tensor4>>> {
    let mut out = vec![None; net.layers.len()];
    for (i, l, at) in layer_indices(model, net)? {
        if l.epitome.is_none() && l.prune.is_none_or(|p| p.ratio == 0.0) {
            out[at] = Some(model.values()[i].dense.clone());
        }
    }
    Ok(out)
}

/// The plan of `model` as stored, on `net` ([`model_network`] of the model):
/// each weight layer at its own weight bits (32 for float weights) and input
/// activation bits; an epitome layer as its epitome with the model's offsets;
/// a pruned layer as the counts of [`crate::prune::prune_weights`] on its real
/// (stored, partly zero) weights with the recorded method and ratio, on `arch`'s
/// crossbars in `accounting`. Pooling layers stay dense at the network's bits.
pub fn model_plan(
    model: &Model,
    net: &Network,
    arch: &Arch,
    accounting: Accounting,
) -> Result<NetworkPlan> {
    let mut plan = NetworkPlan::uniform(net, None, None);
    for (i, l, at) in layer_indices(model, net)? {
        let scheme = match (&l.epitome, &l.prune) {
            (Some(e), _) => LayerScheme::Epitome(EpitomeLayout {
                shape: l.epitome_spec().epitome,
                offsets: Some(e.offsets.clone()),
                rep: 1,
            }),
            (None, Some(p)) if p.ratio > 0.0 => {
                LayerScheme::Measured(Box::new(measured_pruned_layer(
                    &net.layers[at],
                    &model.values()[i].dense,
                    p,
                    arch,
                    accounting,
                )?))
            }
            _ => LayerScheme::Dense,
        };
        plan.layers[at] = LayerPlan {
            scheme,
            w_bits: Some(l.w_bits.unwrap_or(32)),
            a_bits: l.act.map(|a| a.bits),
        };
    }
    plan.validate(net)?;
    Ok(plan)
}
