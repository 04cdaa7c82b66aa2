#!/usr/bin/env bash
# Compiles and runs Apache Curator's InterProcessMutex under the bench workload, with Debian's
# libcurator-recipes-java (Curator 5.4, ZooKeeper 3.8 client) and the Java ZooKeeper brings (OpenJDK 17).
# Prints one JSON object.
#   bench/peers/zk-curator/run.sh [HOST:PORT] [-contenders 8 -locks 1 -hold 1 -think 2 -duration 5 -warmup 0.5]
# -shared: one client (one session) for all contenders. (hold and think in milliseconds, duration and warm-up in seconds). HOST:PORT defaults to $LATCHKEY_ZK
# (zk://host:port) without its scheme, else 127.0.0.1:2181.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${PEERS_BUILD_DIR:-/tmp/latchkey-peers}/zk-curator"
mkdir -p "$out"
j=/usr/share/java
cp="$j/curator-recipes.jar:$j/curator-framework.jar:$j/curator-client.jar:$j/zookeeper.jar:$j/zookeeper-jute.jar:$j/guava.jar:$j/slf4j-api.jar:$j/slf4j-nop.jar:$j/netty-handler.jar:$j/netty-transport-native-epoll.jar"
if [ ! -f "$j/curator-recipes.jar" ]; then
  echo "needs: apt-get install -y libcurator-recipes-java" >&2
  exit 3
fi
if [ ! -f "$out/CuratorMutexBench.class" ] || [ "$here/CuratorMutexBench.java" -nt "$out/CuratorMutexBench.class" ]; then
  javac -nowarn -cp "$cp" -d "$out" "$here/CuratorMutexBench.java"
fi
connect="${1:-}"
if [ -n "$connect" ] && [ "${connect#-}" = "$connect" ]; then shift; else connect=""; fi
if [ -z "$connect" ]; then
  connect="${LATCHKEY_ZK:-zk://127.0.0.1:2181}"
  connect="${connect#*://}"
fi
exec java -Dcurator.jar="$(cd "$j" && ls curator-recipes-*.jar | head -1)" -Xms64m -cp "$out:$cp" CuratorMutexBench -connect "$connect" "$@"
