#!/usr/bin/env bash
# Distributed batch throughput on this machine: one job of every photo in DIR, done by N workers
# (`sapa worker`, one thread each), on a throw-away PostgreSQL in a temp directory.
#   benches/fleet/workers.sh target/release/sapa ../shared/fixtures/faces 1 3
# Prints, per worker count: wall time from the first worker's start to the last one's end (model
# loading included, as a fleet pays it), photos/s, and each worker's own report.
set -euo pipefail
sapa=$(realpath "$1"); dir=$(realpath "$2"); shift 2
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
base=$(mktemp -d /tmp/sapa-bench-pg.XXXXXX); chmod 755 "$base"
as_pg=(); [ "$(id -u)" = 0 ] && { chown postgres: "$base"; as_pg=(runuser -u postgres --); }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$bin/initdb" -D "$base/data" -U sapa -A trust --no-sync >/dev/null
"${as_pg[@]}" "$bin/postgres" -D "$base/data" -k "$base" -p "$port" -c listen_addresses=127.0.0.1 \
  -c fsync=off >"$base/log" 2>&1 &
trap '"${as_pg[@]}" "$bin/pg_ctl" stop -D "$base/data" -m fast >/dev/null; rm -rf "$base"' EXIT
until "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q; do sleep 0.2; done
export SAPA_QUEUE_URL="postgres://sapa@127.0.0.1:$port/postgres"
export SAPA_STORE_KEYS="bench:$(head -c 32 /dev/urandom | base64)"
ls "$dir"/*.jpg "$dir"/*.png > "$base/photos.txt"
for n in "$@"; do
  job="bench-$n-workers"
  "$sapa" batch --job "$job" --input "$base/photos.txt" --chunk-size 4 >/dev/null
  start=$(date +%s.%N)
  pids=()
  for i in $(seq "$n"); do
    "$sapa" --threads 1 worker --job "$job" --name "w$i" >"$base/w$i.json" 2>/dev/null & pids+=($!)
  done
  wait "${pids[@]}"
  end=$(date +%s.%N)
  total=$("$sapa" batch --job "$job" --status | python3 -c 'import json,sys; print(json.load(sys.stdin)["done"])')
  python3 -c "w=$end-$start; print(f'$n worker(s): {$total} photos in {w:.1f} s = {$total/w:.1f} photos/s')"
  cat "$base"/w*.json; rm -f "$base"/w*.json
done
