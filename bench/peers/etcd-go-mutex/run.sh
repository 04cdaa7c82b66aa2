#!/usr/bin/env bash
# Builds (offline, GOPATH mode, from Debian's golang-go and golang-etcd-server-dev) and runs etcd's Go
# concurrency.Mutex under the bench workload. Prints one JSON object.
#   bench/peers/etcd-go-mutex/run.sh [ENDPOINT] [flags...]
#   e.g. run.sh 127.0.0.1:2379 -contenders 8 -locks 1 -hold 1ms -think 2ms -duration 5s
# ENDPOINT defaults to $LATCHKEY_ETCD (etcd://host:port) without its scheme, else 127.0.0.1:2379.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${PEERS_BUILD_DIR:-/tmp/latchkey-peers}/etcd-go-mutex"
mkdir -p "$out/gopath" "$out/cache"
if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/go.etcd.io/etcd/clientv3/concurrency ]; then
  echo "needs: apt-get install -y golang-go golang-etcd-server-dev" >&2
  exit 3
fi
if [ ! -x "$out/etcd-go-mutex" ] || [ "$here/main.go" -nt "$out/etcd-go-mutex" ]; then
  # GOPATH mode: the etcd client and its dependencies come from Debian's /usr/share/gocode, no network.
  (cd "$out" && GO111MODULE=off GOPATH="$out/gopath:/usr/share/gocode" GOCACHE="$out/cache" GOFLAGS= \
    go build -o "$out/etcd-go-mutex" "$here/main.go")
fi
endpoint="${1:-}"
if [ -n "$endpoint" ] && [ "${endpoint#-}" = "$endpoint" ]; then shift; else endpoint=""; fi
if [ -z "$endpoint" ]; then
  endpoint="${LATCHKEY_ETCD:-etcd://127.0.0.1:2379}"
  endpoint="${endpoint#*://}"
fi
exec "$out/etcd-go-mutex" -endpoints "$endpoint" "$@"
