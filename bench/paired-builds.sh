#!/usr/bin/env bash
# Paired rounds of two builds of the latchkey tool on the same servers, alternating which goes first:
#   bench/paired-builds.sh OLD_BIN NEW_BIN [ROUNDS]
# OLD_BIN/NEW_BIN: the Latchkey.Cli executables of two Release builds (e.g. a worktree of an older commit).
# Needs LATCHKEY_ETCD, LATCHKEY_REDIS, LATCHKEY_ZK (scripts/test-servers.sh). Prints one TSV row a run:
#   round  backend  scenario  build  cycles/s  acquire-p99-ms  longest-wait-ms
set -euo pipefail
old=${1:?old build}; new=${2:?new build}; rounds=${3:-2}
declare -A backends=([etcd]="$LATCHKEY_ETCD" [redis]="$LATCHKEY_REDIS" [zk]="$LATCHKEY_ZK")
declare -A scenarios=([1x1]="-n 1 -k 1" [8x1]="-n 8 -k 1 --hold 1ms --think 2ms" [64x64]="-n 64 -k 64 --shared-provider" [64x1]="-n 64 -k 1 --shared-provider")
json=$(mktemp)
trap 'rm -f "$json"' EXIT
for round in $(seq 1 "$rounds"); do
  for b in etcd redis zk; do
    for s in 1x1 8x1 64x64 64x1; do
      if (( round % 2 )); then order=(old new); else order=(new old); fi
      for which in "${order[@]}"; do
        bin=${!which}
        # shellcheck disable=SC2086
        timeout 60 "$bin" bench -b "${backends[$b]}" ${scenarios[$s]} -d 4s --warmup 2s --json "$json" >/dev/null 2>&1
        python3 -c "import json;d=json.load(open('$json'));print('$round\t$b\t$s\t$which\t%.0f\t%.1f\t%.0f'%(d['cyclesPerSecond'],d['acquireP99Microseconds']/1000,d['longestWaitMilliseconds']))"
      done
    done
  done
done
