#!/usr/bin/env bash
# The long fuzz run (docs/limits.md, "Fuzzing"): the proptest targets with many cases,
# then every wasm export of the release package for FUZZ_SECONDS (default one hour).
#   npm run fuzz                                  # 20,000 cases per target, 1 hour
#   PROPTEST_CASES=2000 FUZZ_SECONDS=600 npm run fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export PROPTEST_CASES="${PROPTEST_CASES:-20000}"
mkdir -p test-results
cargo test --test fuzz_inputs -- --nocapture
[ -f www/pkg/epim_bg.wasm ] || bash scripts/build-wasm.sh
node scripts/fuzz.mjs --seconds "${FUZZ_SECONDS:-3600}" --seed "${FUZZ_SEED:-1}" --json test-results/fuzz.json
