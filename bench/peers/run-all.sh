#!/usr/bin/env bash
# Runs Latchkey's backends and the peers through the same harness (bench/Latchkey.Bench: the engine of
# `latchkey bench` with the peers' backends beside it) on the same servers, one after the other, plus etcd's
# Go Mutex and Curator's InterProcessMutex (their own programs, same workload), and prints a Markdown table.
# Short runs: each is WARMUP + DURATION.
#
#   dotnet build -c Release bench/Latchkey.Bench
#   bench/peers/run-all.sh [OUT_DIR]
#
# Needs: the servers' addresses (source the env file of scripts/test-servers.sh, or set LATCHKEY_ETCD/REDIS/ZK)
# and a built harness (HARNESS_BIN, default bench/Latchkey.Bench/bin/Release/net10.0).
# DURATION (default 5s), WARMUP (3s: a .NET client still spends about a quarter of its CPU in the JIT
# 3-7 s into a run on 2 cores), ONLY (a regex of run labels to keep) tune it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-/tmp/latchkey-peers/results-$(date -u +%Y%m%dT%H%M%SZ)}"
harness="${HARNESS_BIN:-$root/bench/Latchkey.Bench/bin/Release/net10.0}/Latchkey.Bench"
duration="${DURATION:-5s}"
warmup="${WARMUP:-3s}"
only="${ONLY:-.}"
: "${LATCHKEY_ETCD:?source the servers env file first}" "${LATCHKEY_REDIS:?}" "${LATCHKEY_ZK:?}"
etcd="${LATCHKEY_ETCD#*://}"; redis="${LATCHKEY_REDIS#*://}"; zk="${LATCHKEY_ZK#*://}"

[ -x "$harness" ] || { echo "no harness at $harness: dotnet build -c Release bench/Latchkey.Bench" >&2; exit 1; }
mkdir -p "$out"

# label|contenders|locks|hold|think|extra harness flags
# Without --shared-provider every contender has a provider (connection, lease, session) of its own, as 64
# processes with one worker each would; with it, the contenders share one, as 64 tasks of one service would.
workloads=(
  "8x1-hold1-think2|8|1|1ms|2ms|"
  "64x64|64|64|0ms|0ms|"
  "64x64-shared|64|64|0ms|0ms|--shared-provider"
  "64x1|64|1|0ms|0ms|"
  "64x1-shared|64|1|0ms|0ms|--shared-provider"
  "uncontended|1|1|0ms|0ms|"
)
backends=(
  "latchkey etcd|etcd://$etcd"
  "peer etcd v3lock|peer-etcd-v3lock://$etcd"
  "limit etcd Put+Delete|peer-etcd-putdelete://$etcd"
  "limit etcd Txn+Delete|peer-etcd-putdelete://$etcd?shape=txn"
  "latchkey redis|redis://$redis"
  "latchkey redis fair|redis://$redis?fair=true"
  "peer DistributedLock.Redis|peer-distributedlock-redis://$redis"
  "limit Redis SET+DEL|peer-redis-raw://$redis"
  "latchkey zk|zk://$zk"
)

run() { # label file command...
  local label="$1" file="$2"; shift 2
  if ! [[ "$label" =~ $only ]]; then return; fi
  echo ">> $label" >&2
  echo "   $*" >&2
  if ! "$@" > "$file.log" 2>&1; then
    echo "   FAILED (see $file.log)" >&2
    tail -3 "$file.log" >&2
  fi
}

for w in "${workloads[@]}"; do
  IFS='|' read -r wl n k hold think extra <<< "$w"
  for b in "${backends[@]}"; do
    IFS='|' read -r name uri <<< "$b"
    flags=()
    if [[ -n "$extra" ]]; then flags+=($extra); fi
    # The dev ZooKeeper admits 60 connections per client address (maxClientCnxns), shared with other
    # users: 64 contenders share one provider (one session) there.
    if [[ "$uri" == zk://* && "$n" -gt 32 && "$extra" != *--shared-provider* ]]; then flags+=(--shared-provider); fi
    file="$out/$wl--${name// /_}"
    run "$wl | $name" "$file" "$harness" --backend "$uri" -n "$n" -k "$k" --hold "$hold" --think "$think" \
      -d "$duration" --warmup "$warmup" --json "$file.json" ${flags[@]+"${flags[@]}"}
  done
  holdms="${hold%ms}"; thinkms="${think%ms}"
  dsec="$(python3 -c "import sys; t=sys.argv[1]; print(float(t[:-2])/1000 if t.endswith('ms') else float(t.rstrip('s')))" "$duration")"
  wsec="$(python3 -c "import sys; t=sys.argv[1]; print(float(t[:-2])/1000 if t.endswith('ms') else float(t.rstrip('s')))" "$warmup")"
  file="$out/$wl--peer_etcd_Go_Mutex"
  gshared=""; if [[ "$extra" == *--shared-provider* ]]; then gshared="-shared"; fi
  # Go Mutexes of one session on one name share a key (they do not exclude each other): no shared run on one lock.
  if [[ -z "$gshared" || "$k" == "$n" ]]; then
    run "$wl | peer etcd Go Mutex" "$file" bash -c "\"$root/bench/peers/etcd-go-mutex/run.sh\" $etcd $gshared -contenders $n -locks $k -hold ${holdms}ms -think ${thinkms}ms -duration ${dsec}s -warmup ${wsec}s > \"$file.json\""
  fi
  cshared=""; if [[ "$n" -gt 32 || "$extra" == *--shared-provider* ]]; then cshared="-shared"; fi
  file="$out/$wl--peer_Curator_InterProcessMutex"
  run "$wl | peer Curator InterProcessMutex" "$file" bash -c "\"$root/bench/peers/zk-curator/run.sh\" $zk $cshared -contenders $n -locks $k -hold $holdms -think $thinkms -duration $dsec -warmup $wsec > \"$file.json\""
done

python3 "$root/bench/peers/summarize.py" "$out" | tee "$out/summary.md"
