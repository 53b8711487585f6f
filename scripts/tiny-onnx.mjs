// A small valid ONNX file built in JS (protobuf wire format by hand), for the fuzzer and
// the Node tests of the on-demand module (www/pkg-onnx) where Python's onnx package is
// not at hand: input `x` [1, c, h, w] -> Conv (k x k, padding p, random weights) -> Relu
// -> GlobalAveragePool -> Flatten -> Gemm (classes) -> `y`. Opset 13.

const varint = (n) => {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
};
const key = (field, wire) => varint((field << 3) | wire);
const bytesField = (field, data) => [...key(field, 2), ...varint(data.length), ...data];
const str = (field, s) => bytesField(field, [...new TextEncoder().encode(s)]);
const int = (field, n) => [...key(field, 0), ...varint(n)];
const floats = (field, xs) => bytesField(field, [...new Uint8Array(Float32Array.from(xs).buffer)]);
const ints = (field, xs) => bytesField(field, xs.flatMap((x) => varint(x)));

/** AttributeProto: ints (type INTS = 7) or int (type INT = 2). */
const attrInts = (name, xs) => [...str(1, name), ...ints(8, xs), ...int(20, 7)];
const attrInt = (name, x) => [...str(1, name), ...int(3, x), ...int(20, 2)];

const node = (name, op, inputs, outputs, attrs = []) => [
  ...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(3, name), ...str(4, op),
  ...attrs.flatMap((a) => bytesField(5, a)),
];
const tensor = (name, dims, values) => [...ints(1, dims), ...int(2, 1), ...floats(4, values), ...str(8, name)];
const valueInfo = (name, dims) => {
  const shape = dims.flatMap((d) => bytesField(1, int(1, d)));
  const tensorType = [...int(1, 1), ...bytesField(2, shape)];
  return [...str(1, name), ...bytesField(2, bytesField(1, tensorType))];
};

/** Deterministic pseudo-random weights in [-0.5, 0.5). */
function weights(n, seed) {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** The file's bytes. */
export function tinyOnnx({ c = 1, h = 8, w = 8, cOut = 4, k = 3, pad = 1, classes = 10, seed = 1 } = {}) {
  const graph = [
    ...bytesField(1, node('conv', 'Conv', ['x', 'W'], ['c'], [attrInts('kernel_shape', [k, k]), attrInts('pads', [pad, pad, pad, pad]), attrInts('strides', [1, 1])])),
    ...bytesField(1, node('relu', 'Relu', ['c'], ['r'])),
    ...bytesField(1, node('gap', 'GlobalAveragePool', ['r'], ['g'])),
    ...bytesField(1, node('flat', 'Flatten', ['g'], ['f'], [attrInt('axis', 1)])),
    ...bytesField(1, node('fc', 'Gemm', ['f', 'Wfc', 'b'], ['y'], [attrInt('transB', 1)])),
    ...str(2, 'tiny'),
    ...bytesField(5, tensor('W', [cOut, c, k, k], weights(cOut * c * k * k, seed))),
    ...bytesField(5, tensor('Wfc', [classes, cOut], weights(classes * cOut, seed + 1))),
    ...bytesField(5, tensor('b', [classes], weights(classes, seed + 2))),
    ...bytesField(11, valueInfo('x', [1, c, h, w])),
    ...bytesField(12, valueInfo('y', [1, classes])),
  ];
  const model = [...int(1, 7), ...str(2, 'epim-tiny-onnx'), ...bytesField(7, graph), ...bytesField(8, [...str(1, ''), ...int(2, 13)])];
  return new Uint8Array(model);
}
