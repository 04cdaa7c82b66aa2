#!/usr/bin/env bash
# Paired etcd runs, each round on a fresh etcd of its own, the order of the runs rotating from round to round.
#
#   bench/peers/etcd-rounds.sh ROUNDS "LABEL|HARNESS_DIR|SCHEME[|QUERY] ..." -- BENCH_ARGS...
#
# LABEL names a run, HARNESS_DIR holds a built harness (bench/Latchkey.Bench/bin/Release/net10.0, or a copy
# of an older build's), SCHEME is etcd, peer-etcd-v3lock or peer-etcd-putdelete, and
# QUERY an optional connection-string query (shape=txn, txn-read, txn-put or put-range for the
# Put+Delete peer sending other request shapes; see EtcdPutDeleteBackendFactory).
# Example: two builds and v3lock, 64 contenders on one lock sharing a provider, four rounds:
#
#   bench/peers/etcd-rounds.sh 4 "new|/tmp/new|etcd old|/tmp/old|etcd v3lock|/tmp/new|peer-etcd-v3lock" -- -n 64 -k 1 --shared-provider
#
# Why: an etcd without compaction slows down as a run writes to it (its memory grows by hundreds of MB in a
# few minutes of benchmarks), and the machine's speed drifts; a fresh etcd per round and a rotating order
# keep that out of the comparison. Only etcd runs here: starting the other servers of scripts/test-servers.sh
# (four JVMs) costs CPU for seconds after they answer. etcd listens on loopback, ETCD_ROUNDS_PORT (37379) and
# the next port. Prints one line per run: round | label | cycles/s | hand-off p50 / p99 (count).
set -uo pipefail

rounds="$1"; shift
IFS=' ' read -r -a entries <<< "$1"; shift
[ "${1:-}" = "--" ] && shift
port="${ETCD_ROUNDS_PORT:-37379}"
endpoint="127.0.0.1:$port"
data=$(mktemp -d /tmp/lk-etcd-rounds.XXXXXX)
pid=""
stop_etcd() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""; fi; rm -rf "$data/etcd"; }
trap 'stop_etcd; rm -rf "$data"' EXIT INT TERM

count=${#entries[@]}
for round in $(seq 1 "$rounds"); do
  stop_etcd
  etcd --name rounds --data-dir "$data/etcd" \
    --listen-client-urls "http://$endpoint" --advertise-client-urls "http://$endpoint" \
    --listen-peer-urls "http://127.0.0.1:$((port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
    --initial-cluster "rounds=http://127.0.0.1:$((port + 1))" --log-level error >"$data/etcd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    ETCDCTL_API=3 etcdctl --endpoints "$endpoint" endpoint health >/dev/null 2>&1 && break
    sleep 0.1
  done
  sleep 2 # let it settle
  for i in $(seq 0 $((count - 1))); do
    IFS='|' read -r label harness scheme query <<< "${entries[$(((i + round) % count))]}"
    out=$("$harness/Latchkey.Bench" --backend "$scheme://$endpoint${query:+?$query}" "$@" -d "${DURATION:-4s}" --warmup "${WARMUP:-3s}" 2>&1)
    cycles=$(grep -E 'cycles/s' <<< "$out" | grep -oE '[0-9,]+ *│$' | tr -d ' │,')
    handoff=$(grep -E 'hand-off p50' <<< "$out" | sed -E 's/.*│ +([^│]+)│$/\1/' | tr -s ' ')
    echo "round $round | $label | ${cycles:-FAILED} | $handoff"
  done
done
