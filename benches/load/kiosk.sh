#!/usr/bin/env bash
# Kiosk load on `sapa serve` on loopback (issue #18): K kiosks streaming frames over the guidance
# WebSocket, for both kinds of frame, then sequential identifications.
#   benches/load/kiosk.sh [KIOSKS] [FPS] [SECONDS]
# Needs target/release/sapa and target/release/kiosk-load (`cargo build --release -p sapa-load`);
# for ONNX Runtime build sapa with --features sapa-server/ort and export ORT_DYLIB_PATH
# (eval "$(scripts/fetch-onnxruntime.sh)"). BACKEND=tract|ort (default ort), WORKERS (default 2),
# REUSE_MS (the server's [kiosk] parser_reuse_ms, default 1000), FRAMES ("hint ready"),
# IDENTIFY_N (sequential identifications at the end, default 10; 0: none).
set -euo pipefail
kiosks="${1:-4}"; fps="${2:-10}"; secs="${3:-30}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}/release"
port="${PORT:-18090}"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/serve.toml" <<TOML
[kiosk]
parser_reuse_ms = ${REUSE_MS:-1000}
TOML
SAPA_STORE="$work/refs.sqlite" SAPA_AUDIT_LOG="$work/audit.jsonl" SAPA_AUDIT_KEY="load-test-audit-key" \
  SAPA_WORKERS="${WORKERS:-2}" SAPA_LOG=warn SAPA_MODELS="$root/models" \
  "$target/sapa" --backend "${BACKEND:-ort}" serve --addr "127.0.0.1:$port" --config "$work/serve.toml" \
  2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
cd "$root"
load() { "$target/kiosk-load" --url "http://127.0.0.1:$port" "$@"; }
echo "## $(date -u +%FT%TZ) $(nproc) cores; backend ${BACKEND:-ort}, workers ${WORKERS:-2}, parser_reuse_ms ${REUSE_MS:-1000}"
# Warm-up: every model run once per worker.
load stream --kiosks 2 --fps 2 --seconds 3 --frame ready >/dev/null
for frame in ${FRAMES:-hint ready}; do
  echo "### frame: $frame; before: $(uptime)"
  load stream --kiosks "$kiosks" --fps "$fps" --seconds "$secs" --frame "$frame"
  echo "after: $(uptime)"
done
if [ "${IDENTIFY_N:-10}" != 0 ]; then
  echo "### identify"
  load identify --n "${IDENTIFY_N:-10}"
fi
