#!/usr/bin/env bash
# Read latency during a full write load, for each `khata` binary given (run
# alternately, so that two builds are compared side by side on one machine):
# a fresh development ledger, `khata node`, `khata bench load` at RATE (default
# 4000) transactions/s for 25 s with 32 clients, and from second 5 `wrk -t1 -c4
# -d8s --latency` on GET /v1/accounts/{asha}, then on GET /log/tile/0/000.
# Prints wrk's p50 and p99 per endpoint, and the load's throughput and latency.
#
# Usage: scripts/bench-reads.sh KHATA [KHATA…]   e.g. old/.build/release/khata .build/release/khata
# Needs wrk and curl. Node, generator and wrk share the machine's cores; with
# CLIENT_NICE=N the generator and wrk run at that nice level, so that the node
# is scheduled first, as if its clients were on other machines.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 KHATA [KHATA…]" >&2; exit 64; }
for khata in "$@"; do
  echo "== $khata"
  work=$(mktemp -d /tmp/khata-bench-reads-XXXXXX)
  port=$((20000 + RANDOM % 10000))
  "$khata" init --dev --data "$work/l" >/dev/null
  "$khata" node --data "$work/l" --port "$port" >"$work/node.log" 2>&1 &
  node=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  asha=$(python3 -c "import json,sys;print([p['account'] for p in json.load(open(sys.argv[1]))['participants'] if p['name']=='asha'][0])" "$work/l/participants.json")
  nice -n "${CLIENT_NICE:-0}" "$khata" bench load --node "http://127.0.0.1:$port" --data "$work/l" --clients 32 --duration 25 --warmup 0 --rate "${RATE:-4000}" >"$work/load.txt" 2>/dev/null &
  load=$!
  sleep 5
  echo "-- GET /v1/accounts/{asha}"; nice -n "${CLIENT_NICE:-0}" wrk -t1 -c4 -d8s --latency "http://127.0.0.1:$port/v1/accounts/$asha" | grep -E " 50%| 99%|Requests/sec"
  echo "-- GET /log/tile/0/000"; nice -n "${CLIENT_NICE:-0}" wrk -t1 -c4 -d8s --latency "http://127.0.0.1:$port/log/tile/0/000" | grep -E " 50%| 99%|Requests/sec"
  wait "$load"
  grep -E "throughput|latency" "$work/load.txt" | head -2
  kill "$node"; wait "$node" 2>/dev/null || true
  rm -rf "$work"
done
