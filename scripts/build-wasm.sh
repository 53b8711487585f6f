#!/usr/bin/env bash
# Builds the wasm package into www/pkg (release by default; --dev for a fast
# debug build). wasm-opt comes from node_modules/.bin (npm package binaryen),
# never from a download.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
mode=--release
[ "${1:-}" = "--dev" ] && mode=--dev
# --out-dir is resolved from crate/.
wasm-pack build crate --target web --out-dir ../www/pkg --mode no-install "$mode"
