#!/usr/bin/env bash
# Starts (or stops) the servers the tests need, on loopback only, in a temporary state directory:
#   one etcd, one Redis, three Redis masters for Redlock, one ZooKeeper, a three-node ZooKeeper ensemble,
#   one ZooKeeper over TLS, one PostgreSQL.
# Usage: scripts/test-servers.sh start STATE_DIR   -> writes STATE_DIR/env (export lines) and pids
#        scripts/test-servers.sh stop STATE_DIR
# Ports are LATCHKEY_PORT_BASE (default 20000) plus fixed offsets, so two sets can run side by side.
set -uo pipefail

cmd=${1:?start or stop}
state=${2:?state directory}
base=${LATCHKEY_PORT_BASE:-20000}

ETCD_PORT=$((base + 379)); ETCD_PEER=$((base + 380))
REDIS_PORT=$((base + 637)); REDLOCK_PORTS="$((base + 638)) $((base + 639)) $((base + 640))"
ZK_PORT=$((base + 181)); ZK_ENSEMBLE_PORTS="$((base + 182)) $((base + 183)) $((base + 184))"
PG_PORT=$((base + 432))

log() { echo "[servers] $*" >&2; }

install_missing() {
  local missing=()
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v etcdctl >/dev/null || missing+=(etcd-client)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
  [ -f /usr/share/java/curator-recipes.jar ] || missing+=(libcurator-recipes-java) # the JVM side of the zk layout=curator tests
  [ -f /usr/share/java/netty-codec.jar ] || missing+=(libnetty-java) # the zk TLS server (Netty)
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian's packages"
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || log "apt-get install failed for ${missing[*]}"
  fi
}

pg_bin() { # the newest installed PostgreSQL's bin directory (Debian keeps them under /usr/lib/postgresql/VERSION)
  local initdb
  initdb=$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  [ -n "$initdb" ] && dirname "$initdb"
}

as_postgres() { # PostgreSQL refuses to run as root (and CI runs as root): then run it as the postgres user
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() { # one server on 127.0.0.1:PG_PORT, trust auth, data and socket in STATE_DIR/postgres
  local bin dir=$state/postgres
  bin=$(pg_bin)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chmod o+x "$state"; chown postgres: "$dir"; fi
  chmod 700 "$dir"
  as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || { log "initdb failed: $dir/initdb.log"; return 1; }
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | as_postgres tee "$dir/data/pg_hba.conf" >/dev/null
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$dir" start >/dev/null 2>&1 \
    || { log "postgres did not start: $dir/log"; return 1; }
  wait_for postgres 100 "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
}

stop_postgres() {
  local bin
  bin=$(pg_bin)
  [ -n "$bin" ] && [ -f "$state/postgres/data/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$state/postgres/data" -m fast -w -t 30 stop >/dev/null 2>&1
}

# wait_for NAME TRIES COMMAND... : polls a readiness probe (bounded: TRIES x 0.1 s).
wait_for() {
  local name=$1 tries=$2; shift 2
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  log "$name did not become ready"; return 1
}

zk_ok() { # bash-only probe: ZooKeeper's four-letter 'ruok' answers 'imok'
  local port=$1 reply
  exec 3<>/dev/tcp/127.0.0.1/"$port" || return 1
  printf ruok >&3
  reply=$(timeout 2 cat <&3); exec 3>&-
  [ "$reply" = imok ]
}

zk_serving() { # a node of an ensemble answers 'srvr' with a mode once it has joined the quorum
  local port=$1 reply
  exec 3<>/dev/tcp/127.0.0.1/"$port" || return 1
  printf srvr >&3
  reply=$(timeout 2 cat <&3); exec 3>&-
  grep -q '^Mode: ' <<<"$reply"
}

start_zk() { # start_zk DIR CLIENT_PORT [ENSEMBLE_LINES] [MYID]
  local dir=$1 port=$2 servers=${3:-} myid=${4:-}
  mkdir -p "$dir/data"
  cat >"$dir/zoo.cfg" <<CFG
tickTime=500
initLimit=20
syncLimit=10
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,mntr,stat
maxSessionTimeout=60000
minSessionTimeout=1000
CFG
  if [ -n "$servers" ]; then printf '%s\n' "$servers" >>"$dir/zoo.cfg"; echo "$myid" >"$dir/data/myid"; fi
  cat >"$dir/log4j.properties" <<'L4J'
log4j.rootLogger=WARN, F
log4j.appender.F=org.apache.log4j.FileAppender
log4j.appender.F.File=${zk.log}
log4j.appender.F.layout=org.apache.log4j.PatternLayout
log4j.appender.F.layout.ConversionPattern=%d %p %c{1}: %m%n
L4J
  local cp=/usr/share/java/zookeeper.jar:/etc/zookeeper/conf
  for j in /usr/share/java/slf4j-api.jar /usr/share/java/slf4j-log4j12.jar /usr/share/java/log4j-1.2.jar /usr/share/java/netty.jar /usr/share/java/netty-all.jar; do [ -f "$j" ] && cp="$cp:$j"; done
  java -Xmx256m -Dzk.log="$dir/zk.log" -Dzookeeper.log.dir="$dir" -Dzookeeper.admin.enableServer=false \
    -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" >"$dir/stdout.log" 2>&1 &
  echo $! >>"$state/pids"
}

# ZooKeeper over TLS: one server with only a secureClientPort (Netty), its certificate (for 127.0.0.1 and localhost)
# signed by a throwaway CA made here; exports LATCHKEY_ZK_TLS (zks://…), LATCHKEY_ZK_TLS_CA (the CA's PEM) and
# LATCHKEY_ZK_TLS_CLIENT (a client certificate and key the CA signed; the server asks for one, ssl.clientAuth=want).
ZK_TLS_PORT=$((base + 185))

zk_tls_ok() { printf ruok | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$1" -CAfile "$2" 2>/dev/null | grep -q imok; }

start_zk_tls() {
  local dir="$state/zk-tls" pass=latchkey j
  mkdir -p "$dir/data"
  { openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Latchkey test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" &&
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 30 -out "$dir/server.pem" \
      -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') &&
    openssl pkcs12 -export -in "$dir/server.pem" -inkey "$dir/server.key" -name server -passout "pass:$pass" -out "$dir/server.p12" &&
    keytool -importcert -noprompt -alias ca -file "$dir/ca.pem" -keystore "$dir/trust.p12" -storetype PKCS12 -storepass "$pass" &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=latchkey-client" -keyout "$dir/client.key" -out "$dir/client.csr" &&
    openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 30 -out "$dir/client.pem" \
      -extfile <(printf 'extendedKeyUsage=clientAuth\n')
  } >"$dir/certs.log" 2>&1 || { log "zookeeper-tls: could not make the certificates (see $dir/certs.log)"; return 1; }
  cat >"$dir/zoo.cfg" <<CFG
tickTime=500
initLimit=20
syncLimit=10
dataDir=$dir/data
secureClientPort=$ZK_TLS_PORT
secureClientPortAddress=127.0.0.1
serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory
ssl.keyStore.location=$dir/server.p12
ssl.keyStore.password=$pass
ssl.keyStore.type=PKCS12
ssl.trustStore.location=$dir/trust.p12
ssl.trustStore.password=$pass
ssl.trustStore.type=PKCS12
ssl.clientAuth=want
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
maxSessionTimeout=60000
minSessionTimeout=1000
CFG
  printf '%s\n' 'log4j.rootLogger=WARN, F' 'log4j.appender.F=org.apache.log4j.FileAppender' "log4j.appender.F.File=$dir/zk.log" \
    'log4j.appender.F.layout=org.apache.log4j.PatternLayout' 'log4j.appender.F.layout.ConversionPattern=%d %p %c{1}: %m%n' >"$dir/log4j.properties"
  # Netty's codec is not on zookeeper.jar's manifest class path; libnetty-java has every jar it needs.
  local cp=/usr/share/java/zookeeper.jar
  for j in slf4j-api slf4j-log4j12 log4j-1.2 netty-buffer netty-codec netty-common netty-handler netty-resolver netty-transport \
    netty-transport-native-epoll netty-transport-native-unix-common; do [ -f "/usr/share/java/$j.jar" ] && cp="$cp:/usr/share/java/$j.jar"; done
  java -Xmx256m -Dlog4j.configuration="file:$dir/log4j.properties" -Dzookeeper.admin.enableServer=false \
    -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" >"$dir/stdout.log" 2>&1 &
  echo $! >>"$state/pids"
  wait_for zookeeper-tls 300 zk_tls_ok "$ZK_TLS_PORT" "$dir/ca.pem" || return 1
  echo "export LATCHKEY_ZK_TLS=zks://127.0.0.1:$ZK_TLS_PORT" >>"$state/env"
  echo "export LATCHKEY_ZK_TLS_CA=$dir/ca.pem" >>"$state/env"
  echo "export LATCHKEY_ZK_TLS_CLIENT=\"$dir/client.pem $dir/client.key\"" >>"$state/env"
}

start() {
  mkdir -p "$state"; : >"$state/pids"; : >"$state/env"
  install_missing
  local failed=0

  if command -v etcd >/dev/null; then
    mkdir -p "$state/etcd"
    etcd --name lk --data-dir "$state/etcd/data" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
      --initial-cluster "lk=http://127.0.0.1:$ETCD_PEER" --log-level error >"$state/etcd/log" 2>&1 &
    echo $! >>"$state/pids"
    if wait_for etcd 100 env ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$ETCD_PORT" endpoint health; then
      echo "export LATCHKEY_ETCD=etcd://127.0.0.1:$ETCD_PORT" >>"$state/env"
    else failed=1; fi
  else log "etcd is not installed"; failed=1; fi

  if command -v redis-server >/dev/null; then
    local urls=()
    for p in $REDIS_PORT $REDLOCK_PORTS; do
      mkdir -p "$state/redis-$p"
      redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --dir "$state/redis-$p" \
        --daemonize no --logfile "$state/redis-$p/log" >/dev/null 2>&1 &
      echo $! >>"$state/pids"
      if wait_for "redis:$p" 100 redis-cli -p "$p" ping; then urls+=("127.0.0.1:$p"); else failed=1; fi
    done
    echo "export LATCHKEY_REDIS=redis://127.0.0.1:$REDIS_PORT" >>"$state/env"
    echo "export LATCHKEY_REDLOCK=redis://$(echo $REDLOCK_PORTS | sed 's/\([0-9]*\)/127.0.0.1:\1/g; s/ /,/g')?mode=redlock" >>"$state/env"
    echo "export LATCHKEY_REDLOCK_PORTS=\"$REDLOCK_PORTS\"" >>"$state/env"
  else log "redis-server is not installed"; failed=1; fi

  if [ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null; then
    start_zk "$state/zk" "$ZK_PORT"
    local i=1 lines="" quorum=$((base + 800)) election=$((base + 900))
    for p in $ZK_ENSEMBLE_PORTS; do lines+="server.$i=127.0.0.1:$((quorum + i)):$((election + i))"$'\n'; i=$((i + 1)); done
    i=1
    for p in $ZK_ENSEMBLE_PORTS; do start_zk "$state/zk-$i" "$p" "$lines" "$i"; i=$((i + 1)); done
    if wait_for zookeeper 300 zk_ok "$ZK_PORT"; then
      echo "export LATCHKEY_ZK=zk://127.0.0.1:$ZK_PORT" >>"$state/env"
    else failed=1; fi
    local hosts=()
    for p in $ZK_ENSEMBLE_PORTS; do
      if wait_for "zookeeper:$p" 300 zk_serving "$p"; then hosts+=("127.0.0.1:$p"); else failed=1; fi
    done
    echo "export LATCHKEY_ZK_ENSEMBLE=zk://$(IFS=,; echo "${hosts[*]}")" >>"$state/env"
    echo "export LATCHKEY_ZK_ENSEMBLE_DIRS=\"$state/zk-1 $state/zk-2 $state/zk-3\"" >>"$state/env"
  else log "zookeeper is not installed"; failed=1; fi
  if [ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null; then start_zk_tls || failed=1; fi

  if [ -n "$(pg_bin)" ]; then
    if start_postgres; then
      echo "export LATCHKEY_POSTGRES='Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres'" >>"$state/env"
    else failed=1; fi
  else log "postgresql is not installed"; failed=1; fi

  cat "$state/env" >&2
  return $failed
}

stop() {
  stop_postgres
  [ -f "$state/pids" ] || return 0
  while read -r pid; do kill "$pid" 2>/dev/null; done <"$state/pids"
  for _ in $(seq 50); do
    alive=0
    while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$state/pids"
    [ $alive = 0 ] && break; sleep 0.1
  done
  while read -r pid; do kill -9 "$pid" 2>/dev/null; done <"$state/pids"
  rm -f "$state/pids"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
