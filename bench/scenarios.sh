#!/usr/bin/env bash
# The quick measurements of one backend, through the harness (they were skipped "tests" in the backends'
# test projects: EtcdHandOffBench, ZooKeeper's BenchTests, RedisMeasurementTests):
#   uncontended      one contender: the cycle's latency (acquire p50/p99)
#   8x1              8 contenders, a provider each, one lock, hold 1 ms, think 2 ms: hand-off latency, fairness
#   64x64-shared     64 contenders on 64 locks sharing one provider: throughput (batching)
#   round-trips      requests per uncontended cycle, counted by the server (redis://, etcd:// only)
#   held-locks       managed heap of 10,000 locks held by one provider, against memory://
#
#   dotnet build -c Release bench/Latchkey.Bench
#   bench/scenarios.sh redis://127.0.0.1:6379 [SCENARIO...]
#
# Peers for the same workloads: bench/peers/run-all.sh. DURATION (default 5s) and WARMUP (3s) tune the runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
harness="${HARNESS_BIN:-$root/bench/Latchkey.Bench/bin/Release/net10.0}/Latchkey.Bench"
[ -x "$harness" ] || { echo "no harness at $harness: dotnet build -c Release bench/Latchkey.Bench" >&2; exit 1; }
backend="${1:?usage: bench/scenarios.sh BACKEND_URI [uncontended|8x1|64x64-shared|round-trips|held-locks ...]}"; shift
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(uncontended 8x1 64x64-shared round-trips held-locks)
timing=(-d "${DURATION:-5s}" --warmup "${WARMUP:-3s}")

for scenario in "${scenarios[@]}"; do
  echo ">> $scenario on $backend" >&2
  case "$scenario" in
    uncontended)  "$harness" -b "$backend" -n 1 "${timing[@]}" ;;
    8x1)          "$harness" -b "$backend" -n 8 -k 1 --hold 1ms --think 2ms "${timing[@]}" ;;
    64x64-shared) "$harness" -b "$backend" -n 64 -k 64 --shared-provider "${timing[@]}" ;;
    round-trips)
      case "$backend" in
        redis://*|etcd://*) "$harness" round-trips -b "$backend" --cycles 1000 ;;
        *) echo "   (round-trips counts with the server's own counters: redis:// and etcd:// only)" >&2 ;;
      esac ;;
    held-locks)   "$harness" held-locks -b "$backend" --count 10000 ;;
    *) echo "unknown scenario '$scenario'" >&2; exit 64 ;;
  esac
done
