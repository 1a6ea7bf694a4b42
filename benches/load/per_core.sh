#!/usr/bin/env bash
# Per-core throughput of `sapa serve` against `sapa batch` on the same photos (issue #16, item 3).
#   benches/load/per_core.sh PHOTO...
# Both run on one worker thread. What is compared is CPU time per photo, read from the kernel
# (/proc/PID/stat for the server, getrusage for the batch), so another job on the machine slows
# both without changing the ratio much. The server is sent each photo once, one request at a time
# over loopback, after a warm-up; the batch gets the same files; model loading is measured on a
# one-photo batch and taken out. Prints one markdown row per side and the ratio.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 PHOTO PHOTO..." >&2; exit 2; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${SAPA_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/sapa}"
backend="${BACKEND:-ort}"
port="${PORT:-18090}"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
tck="$(getconf CLK_TCK)"
cpu_of() { awk -v t="$tck" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }

# The batch: CPU seconds for all photos, less a one-photo run's (model loading, start-up).
# Lists hold absolute paths: batch reads a list's paths relative to the list itself.
realpath -- "$@" > "$work/all.txt"
realpath -- "$1" > "$work/one.txt"
batch_cpu() { # batch_cpu LIST → CPU seconds (user + sys) of the whole run
  /usr/bin/time -f '%U %S' -o "$work/time" "$bin" --backend "$backend" --threads 1 batch \
    --input "$1" --out "$work/out-$(basename "$1").jsonl" >/dev/null 2>&1
  awk '{ print $1 + $2 }' "$work/time"
}
one="$(batch_cpu "$work/one.txt")"
grep -q '"error"' "$work/out-one.txt.jsonl" && { echo "the batch could not read $1" >&2; exit 1; }
all="$(batch_cpu "$work/all.txt")"

# The server: one worker, the same photos one request at a time.
SAPA_STORE="$work/refs.sqlite" SAPA_AUDIT_LOG="$work/audit.jsonl" SAPA_AUDIT_KEY="per-core-bench" \
  SAPA_WORKERS=1 SAPA_LOG=warn "$bin" --backend "$backend" --threads 1 serve --addr "127.0.0.1:$port" \
  2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 && break
  sleep 0.1
done
post() { # post FILE: the photo as the raw body, typed by its extension
  local type=image/jpeg
  case "${1,,}" in *.png) type=image/png ;; *.webp) type=image/webp ;; esac
  curl -fsS -o /dev/null -X POST -H "Content-Type: $type" --data-binary "@$1" \
    "http://127.0.0.1:$port/v1/validate"
}
for f in "$@"; do post "$f"; done # warm-up: sessions, buffers, caches
before="$(cpu_of "$pid")"
start="$(date +%s.%N)"
for f in "$@"; do post "$f"; done
end="$(date +%s.%N)"
after="$(cpu_of "$pid")"

python3 - "$#" "$one" "$all" "$before" "$after" "$start" "$end" <<'PY'
import sys
n, one, all_, before, after, start, end = int(sys.argv[1]), *map(float, sys.argv[2:])
batch = (all_ - one) / (n - 1)      # CPU s per photo, loading taken out
serve = (after - before) / n
print("| side | CPU ms per photo | photos per CPU-second |")
print("|---|---|---|")
print(f"| `sapa batch`, 1 thread | {batch*1e3:.0f} | {1/batch:.2f} |")
print(f"| `sapa serve`, 1 worker, sequential requests | {serve*1e3:.0f} | {1/serve:.2f} |")
print(f"\nserve per-core throughput / batch: {batch/serve*100:.0f}% (wall time of the served pass: {(end-start)/n*1e3:.0f} ms per photo)")
PY
