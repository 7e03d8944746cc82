#!/usr/bin/env bash
# The node's single-transfer benchmark, reproducibly: a fresh development ledger
# in a temporary folder, `khata node` on a free port, and `khata bench load` at
# each offered rate (one signed transfer per request, JSON, open loop, evenly
# spread arrivals) from the same machine; prints the generator's report per run
# (throughput, p50/p99/p99.9 submit-to-durable-receipt, node and generator CPU).
#
# Usage: scripts/bench-node.sh [SECONDS] [RATE…]     (default: 15 s at 5000 8000 10000)
# Each run is measured after WARMUP seconds (default 5) of the same load on the
# fresh node (WARMUP=0 measures from the first request). PAYERS=N (default 0:
# the dev ledger's three) first opens N payer accounts with keys of their own,
# which then pay in turn: many signers that each sign rarely. Builds the release
# binary first. Node settings pass through the environment
# (KHATA_COMMIT_SPACING_US, KHATA_SNAPSHOT_INTERVAL; docs/OPERATIONS.md).
set -euo pipefail
seconds=${1:-15}
warmup=${WARMUP:-5}
payers=${PAYERS:-0}
shift || true
rates=("${@:-5000 8000 10000}")
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/khata-bench-node-XXXXXX)
node=""
cleanup() { if [ -n "$node" ]; then kill "$node" 2>/dev/null || true; wait "$node" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT
swift build -c release --product khata >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
khata=$(swift build -c release --show-bin-path)/khata
for rate in ${rates[@]}; do
  rm -rf "$work/ledger"
  "$khata" init --dev --data "$work/ledger" >/dev/null
  port=$((20000 + RANDOM % 10000))  # below Linux's ephemeral ports (32768-60999), which clients hold
  "$khata" node --data "$work/ledger" --port "$port" >"$work/node.log" 2>&1 &
  node=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  if ! curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; then
    echo "the node did not start on port $port:" >&2
    cat "$work/node.log" >&2
    exit 1
  fi
  echo "== offered $rate/s for $seconds s after $warmup s of warm-up"
  "$khata" bench load --node "http://127.0.0.1:$port" --data "$work/ledger" --clients 64 --duration "$seconds" --warmup "$warmup" --rate "$rate" --payers "$payers" 2>/dev/null
  kill "$node" 2>/dev/null || true; wait "$node" 2>/dev/null || true
  node=""
done
