#!/usr/bin/env bash
# Sapa's test command (the one README.md gives and CI runs):
#  1. builds the default configuration (tract only, no system libraries);
#  2. fetches ONNX Runtime from its PyPI wheel and runs every test, unit, integration and
#     criterion bench (once, in test mode) with both backends.
# Tests that need ../shared (model reference cases, labelled photos) print a notice and skip
# when it is absent; CI always has it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --locked
eval "$(scripts/fetch-onnxruntime.sh)"
cargo test --workspace --all-targets --locked \
  --features sapa-engine/ort,sapa-server/ort,sapa-tests/ort,sapa-benches/ort
