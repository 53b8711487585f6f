#!/usr/bin/env bash
# Builds the wasm package into www/pkg (release by default; --dev for a fast
# debug build). wasm-opt comes from node_modules/.bin (npm package binaryen),
# never from a download.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
mode=--release
[ "${1:-}" = "--dev" ] && mode=--dev
# opt-level 3 for the wasm package (the release profile's "s" is for native
# size): the inference plan's GEMM runs 1.7x faster in Node at 3 (1,501 vs 899
# images/s, mnist-cnn-dense-8b), for a module under 1 MB. simd128 comes from
# .cargo/config.toml.
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-3}"
# --out-dir is resolved from crate/.
# The trainer (feature `train`) is in the package: the page trains in a worker.
wasm-pack build crate --target web --out-dir ../www/pkg --mode no-install "$mode" -- --features train
# The second module, fetched by the page only on demand (an .onnx file dropped on the
# Crossbar costs panel, the tract-core engine in Try it): tract-onnx + tract-core and the
# importer (crate-onnx/, docs/import.md). Kept out of www/pkg so the first load stays small.
wasm-pack build crate-onnx --target web --out-dir ../www/pkg-onnx --mode no-install "$mode"
# Plain doc comments in the TypeScript declarations (tsify-next writes the docs of
# macro-generated fields as raw-string tokens); docs/api.md is generated from them.
node scripts/api-reference.mjs --fix-dts
