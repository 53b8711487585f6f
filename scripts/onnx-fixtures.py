#!/usr/bin/env python3
"""ONNX files of the simulator zoo's own architectures, with random weights.

    python3 scripts/onnx-fixtures.py OUT_DIR [NAME ...]

writes OUT_DIR/NAME.onnx (opset 13) for each NAME (default: all of them) of
lenet, vgg16, resnet18 (the CIFAR-10 networks) and resnet18-imagenet,
resnet50-imagenet, mobilenetv2-imagenet. Each graph mirrors the network of the
same name in crate/src/nets/zoo.rs layer for layer, in the same order, with what
an exporter adds around the layers: batch norm after every convolution, ReLU /
ReLU6 (Clip), Flatten or Reshape before the classifier, Gemm or MatMul + Add for
fully connected layers, a softmax at the end. tests/onnx_import.rs imports them
and checks that they simulate exactly like the zoo networks.

vgg16-imagenet is left out: its 138 M weights make a 553 MB file.

Needs the `onnx` package from PyPI (scripts/setup.sh --with-onnx installs the
pinned version) and numpy (an onnx dependency).
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


class G:
    """A graph under construction: nodes in order, initializers, value names."""

    def __init__(self, name, c, hw, seed):
        self.name = name
        self.nodes = []
        self.inits = []
        self.n = 0
        self.rng = np.random.default_rng(seed)
        self.c = c  # channels of the current value
        self.input = "images"
        self.cur = self.input
        self.in_hw = hw

    def fresh(self, prefix):
        self.n += 1
        return f"{prefix}{self.n}"

    def const(self, prefix, array):
        name = self.fresh(prefix)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def weights(self, shape):
        fan_in = int(np.prod(shape[1:]))
        w = self.rng.standard_normal(shape, dtype=np.float32)
        return (w * np.float32(np.sqrt(2.0 / fan_in))).astype(np.float32)

    def node(self, op, inputs, **attrs):
        out = self.fresh(op.lower() + "_")
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, c_out, k, p, s, groups=1, src=None, c_in=None):
        """Conv + BatchNormalization (+ the caller's activation); returns the BN output."""
        src = src or self.cur
        c_in = c_in or self.c
        w = self.const("w", self.weights((c_out, c_in // groups, k, k)))
        out = self.node(
            "Conv", [src, w], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4, group=groups
        )
        scale = self.const("bn_scale", np.ones(c_out, np.float32))
        bias = self.const("bn_bias", np.zeros(c_out, np.float32))
        mean = self.const("bn_mean", np.zeros(c_out, np.float32))
        var = self.const("bn_var", np.ones(c_out, np.float32))
        out = self.node("BatchNormalization", [out, scale, bias, mean, var])
        self.c = c_out
        self.cur = out
        return out

    def relu(self):
        self.cur = self.node("Relu", [self.cur])
        return self.cur

    def relu6(self):
        lo = self.const("lo", np.array(0.0, np.float32))
        hi = self.const("hi", np.array(6.0, np.float32))
        self.cur = self.node("Clip", [self.cur, lo, hi])
        return self.cur

    def pool(self, op, k, s, p=0):
        self.cur = self.node(op, [self.cur], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4)
        return self.cur

    def global_avg(self):
        self.cur = self.node("GlobalAveragePool", [self.cur])
        return self.cur

    def flatten(self):
        self.cur = self.node("Flatten", [self.cur], axis=1)
        return self.cur

    def reshape_flat(self):
        shape = self.const("shape", np.array([1, -1], np.int64))
        self.cur = self.node("Reshape", [self.cur, shape])
        return self.cur

    def fc(self, n_in, n_out, matmul=False):
        if matmul:
            w = self.const("w", self.weights((n_out, n_in)).T.copy())
            out = self.node("MatMul", [self.cur, w])
            b = self.const("b", np.zeros(n_out, np.float32))
            self.cur = self.node("Add", [out, b])
        else:
            w = self.const("w", self.weights((n_out, n_in)))
            b = self.const("b", np.zeros(n_out, np.float32))
            self.cur = self.node("Gemm", [self.cur, w, b], transB=1)
        return self.cur

    def add(self, a, b):
        self.cur = self.node("Add", [a, b])
        return self.cur

    def model(self, classes):
        out = self.node("Softmax", [self.cur], axis=1)
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info(self.input, TensorProto.FLOAT, ["N", 3, self.in_hw, self.in_hw])],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", classes])],
            self.inits,
        )
        m = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="epim scripts/onnx-fixtures.py",
        )
        m.ir_version = 8
        return m


def lenet():
    g = G("lenet", 3, 32, 1)
    g.conv(6, 5, 0, 1); g.relu(); g.pool("MaxPool", 2, 2)
    g.conv(16, 5, 0, 1); g.relu(); g.pool("MaxPool", 2, 2)
    g.conv(120, 5, 0, 1); g.relu()
    g.flatten()
    g.fc(120, 84); g.relu()
    g.fc(84, 10)
    return g.model(10)


def vgg16_body(g, pool_last):
    blocks = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]
    for i, block in enumerate(blocks):
        for c in block:
            g.conv(c, 3, 1, 1); g.relu()
        if i < 4 or pool_last:
            g.pool("MaxPool", 2, 2)


def vgg16():
    g = G("vgg16", 3, 32, 2)
    vgg16_body(g, False)
    g.flatten()
    g.fc(512 * 2 * 2, 10)
    return g.model(10)


def resnet18():
    """MNSIM's CIFAR ResNet-18: 3x3 stride-2 shortcuts."""
    g = G("resnet18", 3, 32, 3)
    g.conv(64, 3, 1, 1); g.relu(); g.pool("MaxPool", 2, 2)
    c_in = 64
    for c, s in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]:
        x = g.cur
        g.conv(c, 3, 1, s); g.relu()
        main = g.conv(c, 3, 1, 1)
        if c_in == c and s == 1:
            g.add(main, x)
        else:
            short = g.conv(c, 3, 1, s, src=x, c_in=c_in)
            g.add(short, main)
        g.relu()
        c_in = c
    g.flatten()
    g.fc(512 * 2 * 2, 512); g.relu()
    g.fc(512, 10)
    return g.model(10)


def stem(g):
    g.conv(64, 7, 3, 2); g.relu()
    g.pool("MaxPool", 3, 2, 1)


def resnet18_imagenet():
    g = G("resnet18-imagenet", 3, 224, 4)
    stem(g)
    c_in = 64
    for c, s in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]:
        x = g.cur
        g.conv(c, 3, 1, s); g.relu()
        main = g.conv(c, 3, 1, 1)
        if c_in == c and s == 1:
            g.add(main, x)
        else:
            short = g.conv(c, 1, 0, s, src=x, c_in=c_in)
            g.add(short, main)
        g.relu()
        c_in = c
    g.pool("AveragePool", 7, 1)
    g.flatten()
    g.fc(512, 1000)
    return g.model(1000)


def resnet50_imagenet():
    g = G("resnet50-imagenet", 3, 224, 5)
    stem(g)
    c_in = 64
    for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for i in range(blocks):
            s = stride if i == 0 else 1
            x = g.cur
            g.conv(width, 1, 0, 1); g.relu()
            g.conv(width, 3, 1, s); g.relu()
            main = g.conv(width * 4, 1, 0, 1)
            if i == 0:
                short = g.conv(width * 4, 1, 0, s, src=x, c_in=c_in)
                g.add(short, main)
            else:
                g.add(main, x)
            g.relu()
            c_in = width * 4
    g.global_avg()
    g.flatten()
    g.fc(2048, 1000)
    return g.model(1000)


def mobilenetv2_imagenet():
    g = G("mobilenetv2-imagenet", 3, 224, 6)
    g.conv(32, 3, 1, 2); g.relu6()
    c_in = 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = c_in * t
            x = g.cur
            if t != 1:
                g.conv(hidden, 1, 0, 1); g.relu6()
            g.conv(hidden, 3, 1, stride, groups=hidden); g.relu6()
            main = g.conv(c, 1, 0, 1)
            if stride == 1 and c_in == c:
                g.add(main, x)
            c_in = c
    g.conv(1280, 1, 0, 1); g.relu6()
    g.global_avg()
    g.reshape_flat()
    g.fc(1280, 1000, matmul=True)
    return g.model(1000)


NETS = {
    "lenet": lenet,
    "vgg16": vgg16,
    "resnet18": resnet18,
    "resnet18-imagenet": resnet18_imagenet,
    "resnet50-imagenet": resnet50_imagenet,
    "mobilenetv2-imagenet": mobilenetv2_imagenet,
}


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out_dir = sys.argv[1]
    names = sys.argv[2:] or list(NETS)
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        if name not in NETS:
            print(f"onnx-fixtures: unknown network {name!r} (known: {', '.join(NETS)})", file=sys.stderr)
            sys.exit(2)
        m = NETS[name]()
        onnx.checker.check_model(m)
        path = os.path.join(out_dir, f"{name}.onnx")
        tmp = f"{path}.{os.getpid()}.tmp"  # concurrent runs never share a temporary file
        onnx.save(m, tmp)
        os.replace(tmp, path)
        print(f"{path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
