//! The built-in networks.
//!
//! The CIFAR-10 ones are MNSIM 2.0's built-ins (`MNSIM/Interface/network.py`,
//! `get_net`, commit ca39ccb) exactly as docs/mnsim-model.md#networks-and-hardware-layers
//! describes them: 3x32x32 input, 9-bit weights and
//! activations, ReLU/BN/dropout dropped. The ImageNet ones are torchvision's
//! `resnet18`, `resnet50` (v1.5: stride on the 3x3), `vgg16` and `mobilenet_v2`
//! at 3x224x224, with 8-bit weights and activations (the usual INT8 deployment).

use super::{LayerSpec, Network, NetworkSpec, PoolOp, Shape};
use crate::{Error, Result};

/// One zoo network: name, description, constructor.
pub struct ZooEntry {
    /// Name accepted by `--net` and `simulate()`.
    pub name: &'static str,
    /// One-line description with the source.
    pub description: &'static str,
    build: fn() -> NetworkSpec,
}

impl ZooEntry {
    /// The network's spec.
    pub fn spec(&self) -> NetworkSpec {
        (self.build)()
    }
}

/// Every built-in network, in display order.
pub const ZOO: &[ZooEntry] = &[
    ZooEntry {
        name: "lenet",
        description: "LeNet-5, CIFAR-10 (MNSIM 2.0 built-in)",
        build: lenet,
    },
    ZooEntry {
        name: "alexnet",
        description: "AlexNet, CIFAR-10 (MNSIM 2.0 built-in)",
        build: alexnet,
    },
    ZooEntry {
        name: "vgg8",
        description: "VGG-8, CIFAR-10 (MNSIM 2.0 built-in)",
        build: vgg8,
    },
    ZooEntry {
        name: "vgg16",
        description: "VGG-16, CIFAR-10 (MNSIM 2.0 built-in)",
        build: vgg16,
    },
    ZooEntry {
        name: "resnet18",
        description: "ResNet-18 with 3x3 stride-2 shortcuts, CIFAR-10 (MNSIM 2.0 built-in)",
        build: resnet18,
    },
    ZooEntry {
        name: "resnet18-imagenet",
        description: "ResNet-18, ImageNet 224x224 (torchvision resnet18)",
        build: resnet18_imagenet,
    },
    ZooEntry {
        name: "resnet50-imagenet",
        description: "ResNet-50 v1.5, ImageNet 224x224 (torchvision resnet50)",
        build: resnet50_imagenet,
    },
    ZooEntry {
        name: "vgg16-imagenet",
        description: "VGG-16, ImageNet 224x224 (torchvision vgg16)",
        build: vgg16_imagenet,
    },
    ZooEntry {
        name: "mobilenetv2-imagenet",
        description: "MobileNetV2, ImageNet 224x224 (torchvision mobilenet_v2)",
        build: mobilenetv2_imagenet,
    },
];

/// Names of the built-in networks.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    ZOO.iter().map(|e| e.name)
}

/// Builds the built-in network `name`.
pub fn builtin(name: &str) -> Result<Network> {
    match ZOO.iter().find(|e| e.name == name) {
        Some(e) => e.spec().build(),
        None => Err(Error::Unknown {
            kind: "network".into(),
            name: name.into(),
            known: builtin_names().collect::<Vec<_>>().join(", "),
        }),
    }
}

/// Small builder for the zoo's layer lists.
struct B {
    layers: Vec<LayerSpec>,
}

impl B {
    fn new() -> Self {
        Self { layers: Vec::new() }
    }
    fn conv_g(&mut self, c_out: usize, k: usize, p: usize, s: usize, g: usize, from: i64) {
        self.layers.push(LayerSpec::Conv {
            name: None,
            c_out,
            kernel: k,
            stride: (s != 1).then_some(s),
            padding: (p != 0).then_some(p),
            groups: (g != 1).then_some(g),
            from: (from != -1).then(|| vec![from]),
        });
    }
    /// `C(_, c_out, k, p, s)` reading the previous layer.
    fn conv(&mut self, c_out: usize, k: usize, p: usize, s: usize) {
        self.conv_g(c_out, k, p, s, 1, -1);
    }
    fn pool(&mut self, k: usize, s: usize, p: usize, op: PoolOp) {
        self.layers.push(LayerSpec::Pool {
            name: None,
            kernel: k,
            stride: Some(s),
            padding: (p != 0).then_some(p),
            op,
            from: None,
        });
    }
    /// MNSIM's `P`: 2x2 max pooling, stride 2.
    fn p(&mut self) {
        self.pool(2, 2, 0, PoolOp::Max);
    }
    fn fc(&mut self, out: usize) {
        self.layers.push(LayerSpec::Fc {
            name: None,
            out,
            from: None,
        });
    }
    fn add(&mut self, from: &[i64]) {
        self.layers.push(LayerSpec::Add {
            name: None,
            from: from.to_vec(),
        });
    }
    fn spec(self, name: &str, hw: usize, bits: u32) -> NetworkSpec {
        NetworkSpec {
            name: name.into(),
            input: Shape { c: 3, h: hw, w: hw },
            w_bits: bits,
            a_bits: bits,
            layers: self.layers,
        }
    }
}

fn lenet() -> NetworkSpec {
    let mut b = B::new();
    b.conv(6, 5, 0, 1);
    b.p();
    b.conv(16, 5, 0, 1);
    b.p();
    b.conv(120, 5, 0, 1);
    b.fc(84);
    b.fc(10);
    b.spec("lenet", 32, 9)
}

fn alexnet() -> NetworkSpec {
    let mut b = B::new();
    b.conv(64, 3, 1, 2);
    b.p();
    b.conv(192, 3, 1, 1);
    b.p();
    b.conv(384, 3, 1, 1);
    b.conv(256, 3, 1, 1);
    b.conv(256, 3, 1, 1);
    b.p();
    b.fc(512);
    b.fc(10);
    b.spec("alexnet", 32, 9)
}

fn vgg8() -> NetworkSpec {
    let mut b = B::new();
    b.conv(128, 3, 1, 1);
    b.conv(128, 3, 1, 1);
    b.p();
    b.conv(256, 3, 1, 1);
    b.conv(256, 3, 1, 1);
    b.p();
    b.conv(512, 3, 1, 1);
    b.conv(512, 3, 1, 1);
    b.p();
    b.conv(1024, 3, 0, 1);
    b.p();
    b.fc(10);
    b.spec("vgg8", 32, 9)
}

/// The 13 VGG-16 convolutions (3x3, pad 1) with a 2x2 pool after each block but the
/// last when `pool_last` is false.
fn vgg16_body(b: &mut B, pool_last: bool) {
    let blocks: [&[usize]; 5] = [
        &[64, 64],
        &[128, 128],
        &[256, 256, 256],
        &[512, 512, 512],
        &[512, 512, 512],
    ];
    for (i, block) in blocks.iter().enumerate() {
        for &c in block.iter() {
            b.conv(c, 3, 1, 1);
        }
        if i < 4 || pool_last {
            b.p();
        }
    }
}

fn vgg16() -> NetworkSpec {
    let mut b = B::new();
    vgg16_body(&mut b, false);
    b.fc(10);
    b.spec("vgg16", 32, 9)
}

/// ResNet-18's eight basic blocks: (output channels, stride).
const RESNET18_BLOCKS: [(usize, usize); 8] = [
    (64, 1),
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
];

/// ResNet-18's blocks after a 64-channel stem. A basic block is identity
/// `C C S[-1,-3]`, or down-sampling `C(s) C C(s)[-3] S[-1,-2]` whose shortcut
/// conv is `shortcut_k x shortcut_k` (MNSIM: 3x3 pad 1; torchvision: 1x1 pad 0).
fn resnet18_blocks(b: &mut B, shortcut_k: usize) {
    let mut c_in = 64;
    for (c, s) in RESNET18_BLOCKS {
        b.conv(c, 3, 1, s);
        b.conv(c, 3, 1, 1);
        if c_in == c && s == 1 {
            b.add(&[-1, -3]);
        } else {
            b.conv_g(c, shortcut_k, shortcut_k / 2, s, 1, -3);
            b.add(&[-1, -2]);
        }
        c_in = c;
    }
}

fn resnet18() -> NetworkSpec {
    let mut b = B::new();
    b.conv(64, 3, 1, 1);
    b.p();
    resnet18_blocks(&mut b, 3);
    b.fc(512);
    b.fc(10);
    b.spec("resnet18", 32, 9)
}

/// torchvision stem: conv 7x7/2 pad 3, max pool 3x3/2 pad 1.
fn imagenet_stem(b: &mut B) {
    b.conv(64, 7, 3, 2);
    b.pool(3, 2, 1, PoolOp::Max);
}

fn resnet18_imagenet() -> NetworkSpec {
    let mut b = B::new();
    imagenet_stem(&mut b);
    // torchvision BasicBlock: the shortcut is a 1x1 conv with the block's stride.
    resnet18_blocks(&mut b, 1);
    b.pool(7, 1, 0, PoolOp::Avg);
    b.fc(1000);
    b.spec("resnet18-imagenet", 224, 8)
}

fn resnet50_imagenet() -> NetworkSpec {
    let mut b = B::new();
    imagenet_stem(&mut b);
    let mut c_in = 64;
    for (width, blocks, stride) in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)] {
        for i in 0..blocks {
            let s = if i == 0 { stride } else { 1 };
            let c_out = width * 4;
            b.conv(width, 1, 0, 1);
            b.conv(width, 3, 1, s);
            b.conv(c_out, 1, 0, 1);
            if i == 0 {
                b.conv_g(c_out, 1, 0, s, 1, -4);
                b.add(&[-1, -2]);
            } else {
                b.add(&[-1, -4]);
            }
            c_in = c_out;
        }
    }
    debug_assert_eq!(c_in, 2048);
    b.pool(7, 1, 0, PoolOp::Avg);
    b.fc(1000);
    b.spec("resnet50-imagenet", 224, 8)
}

fn vgg16_imagenet() -> NetworkSpec {
    let mut b = B::new();
    vgg16_body(&mut b, true);
    b.fc(4096);
    b.fc(4096);
    b.fc(1000);
    b.spec("vgg16-imagenet", 224, 8)
}

fn mobilenetv2_imagenet() -> NetworkSpec {
    let mut b = B::new();
    b.conv(32, 3, 1, 2);
    let mut c_in = 32;
    for (t, c, n, s) in [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ] {
        for i in 0..n {
            let stride = if i == 0 { s } else { 1 };
            let hidden = c_in * t;
            let mut depth = 0;
            if t != 1 {
                b.conv(hidden, 1, 0, 1);
                depth += 1;
            }
            b.conv_g(hidden, 3, 1, stride, hidden, -1);
            b.conv(c, 1, 0, 1);
            depth += 2;
            if stride == 1 && c_in == c {
                b.add(&[-1, -(depth + 1)]);
            }
            c_in = c;
        }
    }
    b.conv(1280, 1, 0, 1);
    b.pool(7, 1, 0, PoolOp::Avg);
    b.fc(1000);
    b.spec("mobilenetv2-imagenet", 224, 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zoo_network_builds() {
        for e in ZOO {
            let n = e
                .spec()
                .build()
                .unwrap_or_else(|err| panic!("{}: {err}", e.name));
            assert_eq!(n.name, e.name);
        }
    }

    /// (weights, sum of conv output channels, sum of fc outputs)
    fn counts(n: &str) -> (u64, u64, u64) {
        let net = builtin(n).unwrap();
        let mut conv_c = 0;
        let mut fc_out = 0;
        for l in &net.layers {
            match l.op {
                super::super::Op::Conv(g) => conv_c += g.c_out as u64,
                super::super::Op::Fc { out_features, .. } => fc_out += out_features as u64,
                _ => {}
            }
        }
        (net.params(), conv_c, fc_out)
    }

    #[test]
    fn torchvision_parameter_counts_are_reproduced() {
        // torchvision's published totals. ResNets and MobileNetV2: bias-free convs, each
        // followed by a batch norm (2 parameters per channel), fc with bias.
        for (name, total) in [
            ("resnet18-imagenet", 11_689_512u64),
            ("resnet50-imagenet", 25_557_032),
            ("mobilenetv2-imagenet", 3_504_872),
        ] {
            let (w, conv_c, fc_out) = counts(name);
            assert_eq!(w + 2 * conv_c + fc_out, total, "{name}");
        }
        // VGG-16: convs and fcs with bias, no batch norm.
        let (w, conv_c, fc_out) = counts("vgg16-imagenet");
        assert_eq!(w + conv_c + fc_out, 138_357_544);
    }

    #[test]
    fn mnsim_networks_have_the_documented_hardware_layer_counts() {
        // docs/mnsim-model.md#networks-and-hardware-layers and the checkpoints of
        // tests/fixtures/mnsim2: vgg8 has 12 hardware layers, lenet 7, resnet18 31.
        assert_eq!(builtin("vgg8").unwrap().layers.len(), 12);
        assert_eq!(builtin("lenet").unwrap().layers.len(), 7);
        let r = builtin("resnet18").unwrap();
        assert_eq!(r.layers.len(), 31);
        assert_eq!(r.layers[10].inputs, vec![-3]);
        assert_eq!(r.layers[11].inputs, vec![-1, -2]);
        assert_eq!(r.layers[1].outputs, vec![1, 3]);
        assert_eq!(r.layers[30].outputs, Vec::<usize>::new());
    }

    #[test]
    fn unknown_network_lists_the_known_ones() {
        let e = builtin("lenet5").unwrap_err();
        assert!(e.to_string().contains("vgg8"), "{e}");
    }
}
