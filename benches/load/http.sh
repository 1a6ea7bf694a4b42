#!/usr/bin/env bash
# Load test of `sapa serve` on loopback with oha (`cargo install oha`).
#   benches/load/http.sh PHOTO.jpg [SECONDS]
# Starts target/release/sapa (build it first, e.g. with --features sapa-server/ort and
# ORT_DYLIB_PATH exported for the ort backend), finds capacity with a closed loop, then offers
# 50%, 80% and 100% of it at a fixed rate (latency measured from the intended send time, so
# queueing is not hidden), and prints one markdown row per load.
set -euo pipefail
photo="$1"
secs="${2:-30}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/target/release/sapa"
port="${PORT:-18080}"
url="http://127.0.0.1:$port/v1/validate"
work="${KEEP:-$(mktemp -d)}"; mkdir -p "$work"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

SAPA_STORE="$work/refs.sqlite" SAPA_AUDIT_LOG="$work/audit.jsonl" SAPA_AUDIT_KEY="load-test-audit-key" \
  SAPA_QUEUE="${QUEUE:-4}" SAPA_LOG=warn \
  "$bin" --backend "${BACKEND:-ort}" serve --addr "127.0.0.1:$port" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 && break
  sleep 0.1
done

run() { # run NAME oha-args...
  local name="$1"; shift
  oha --no-tui --output-format json -m POST -T image/jpeg -D "$photo" "$@" "$url" >"$work/$name.json"
}
row() { # row LABEL NAME
  python3 - "$1" "$work/$2.json" <<'PY'
import json, sys
label, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
s, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
# oha cancels the requests still open when the duration ends; those are not the server's errors.
errors = sum(v for k, v in r.get("errorDistribution", {}).items() if "deadline" not in k)
ok = codes.get("200", 0)
busy = codes.get("503", 0)
other = sum(v for k, v in codes.items() if k not in ("200", "503"))
print(f"| {label} | {ok / s['total']:.1f} | {ok} | {p['p50']*1e3:.1f} | {p['p90']*1e3:.1f} | {p['p99']*1e3:.1f} | {busy} | {other + errors} |")
PY
}

run warmup -n 40 -c 2
run capacity -z "${secs}s" -c "${CONNECTIONS:-4}"
# Capacity counts answered validations only (200s), not fast refusals.
cap="$(python3 -c "import json;r=json.load(open('$work/capacity.json'));print(r['statusCodeDistribution'].get('200',0)/r['summary']['total'])")"
echo "| load | validations/s | 200s | p50 ms | p90 ms | p99 ms | 503s | other errors |"
echo "|---|---|---|---|---|---|---|---|"
row "closed loop, ${CONNECTIONS:-4} connections (capacity)" capacity
for pct in 50 80 100; do
  q="$(python3 -c "print(max(1, round($cap * $pct / 100)))")"
  run "rate$pct" -z "${secs}s" -c 32 -q "$q" --latency-correction
  row "$pct% of capacity ($q req/s offered)" "rate$pct"
done
