#!/usr/bin/env bash
# Sapa's test command (the one README.md gives and CI runs):
#  1. builds the default configuration in the release profile (both backends; ONNX Runtime is
#     loaded at run time, so the build needs no system library): the same artefacts as the
#     README's first command, so one build serves both;
#  2. fetches ONNX Runtime from its PyPI wheel and runs every test, unit, integration and
#     criterion bench (once, in test mode) with both backends, on that release build.
#  3. validates the service's OpenAPI document (written by server/tests/http.rs) with
#     openapi-spec-validator from PyPI, when pip can install it.
# Tests that need ../shared (model reference cases, labelled photos) print a notice and skip
# when it is absent, except under CI=true, where they fail.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --workspace --locked
eval "$(scripts/fetch-onnxruntime.sh)"
cargo test --release --workspace --all-targets --locked \
  --features sapa-engine/ort,sapa-server/ort,sapa-tests/ort,sapa-benches/ort
doc="${CARGO_TARGET_DIR:-target}/tmp/openapi.json"
validator=.cache/openapi-spec-validator
have_validator() { PYTHONPATH="$validator" python3 -c "import openapi_spec_validator" 2>/dev/null; }
have_validator || python3 -m pip install --quiet --target "$validator" openapi-spec-validator >&2 \
  || python3 -m pip install --quiet --break-system-packages --target "$validator" openapi-spec-validator >&2 || true
if have_validator; then
  PYTHONPATH="$validator" python3 -m openapi_spec_validator "$doc"
else
  echo "warning: openapi-spec-validator could not be installed; the OpenAPI document was checked by the tests only" >&2
fi
