# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings below are used by the scripts that source this file
# Shared settings and helpers for the local Kafka scripts (sourced, not run).
#
# Every script takes `--brokers N` (or KAFKA_BROKER_COUNT=N; default 1): with N > 1 it acts on a KRaft cluster of
# N nodes on loopback, each broker+controller, node i on client port KAFKA_PORT+i-1 and controller port
# KAFKA_CONTROLLER_PORT+i-1, in KAFKA_DATA_DIR/node-<i> (see kafka_parse_args).
#
# Environment (all optional):
#   KAFKA_PORT             client listener on 127.0.0.1            (default 9092; a cluster's first node)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener on 127.0.0.1  (default 9093; a cluster's first: KAFKA_PORT+100)
#   KAFKA_DATA_DIR         config, pid, logs and partitions        (default infra/.data/kafka-<port>;
#                                                                    a cluster's: infra/.data/kafka-cluster-<port>)
#   KAFKA_HEAP_OPTS        JVM heap flags                          (default -Xms256m -Xmx768m; a cluster's nodes
#                                                                    -Xms128m -Xmx512m each)
#   KAFKA_JVM_OPTS         extra JVM flags appended after the defaults
#   KAFKA_NUM_PARTITIONS   default partitions of new topics        (default 3)
#   KAFKA_START_TIMEOUT_S  seconds start.sh waits for metadata     (default 90)
#   KAFKA_STOP_TIMEOUT_S   seconds stop.sh waits before SIGKILL    (default 60)

KAFKA_VERSION="4.4.0" # keep in sync with <kafka.version> in pom.xml and infra/docker-compose.yml

KAFKA_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_REPO_ROOT="$(cd "$KAFKA_SCRIPT_DIR/../.." && pwd)"

# What the caller set, before the defaults below fill them in (a cluster derives its own defaults).
KAFKA_CONTROLLER_PORT_GIVEN="${KAFKA_CONTROLLER_PORT:-}"
KAFKA_DATA_DIR_GIVEN="${KAFKA_DATA_DIR:-}"
KAFKA_HEAP_OPTS_GIVEN="${KAFKA_HEAP_OPTS:-}"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
KAFKA_BROKER_COUNT="${KAFKA_BROKER_COUNT:-1}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:-}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-3}"
KAFKA_START_TIMEOUT_S="${KAFKA_START_TIMEOUT_S:-90}"
KAFKA_STOP_TIMEOUT_S="${KAFKA_STOP_TIMEOUT_S:-60}"

for _kafka_var in KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_NUM_PARTITIONS KAFKA_START_TIMEOUT_S KAFKA_STOP_TIMEOUT_S KAFKA_BROKER_COUNT; do
  if ! [[ "${!_kafka_var}" =~ ^[0-9]+$ ]]; then
    echo "kafka: $_kafka_var must be a positive integer, got '${!_kafka_var}'" >&2
    exit 2
  fi
done
if [[ "$KAFKA_PORT" == "$KAFKA_CONTROLLER_PORT" ]]; then
  echo "kafka: KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ (both $KAFKA_PORT)" >&2
  exit 2
fi

KAFKA_CACHE_DIR="$KAFKA_REPO_ROOT/infra/.cache/kafka/$KAFKA_VERSION"
KAFKA_LIBS_DIR="$KAFKA_CACHE_DIR/libs"
KAFKA_CACHE_MARKER="$KAFKA_CACHE_DIR/.complete"

# The Node that runs wait-ready.mjs: the repo's pinned one (devDependency `node`) when installed.
KAFKA_NODE="$KAFKA_REPO_ROOT/node_modules/.bin/node"
[[ -x "$KAFKA_NODE" ]] || KAFKA_NODE="node"

# kafka_abs_path PATH: PATH made absolute against the current directory.
kafka_abs_path() {
  case "$1" in
    /*) echo "$1" ;;
    *) echo "$PWD/$1" ;;
  esac
}

# kafka_set_paths: the file locations of the node whose data dir is KAFKA_DATA_DIR.
kafka_set_paths() {
  KAFKA_PID_FILE="$KAFKA_DATA_DIR/kafka.pid"
  KAFKA_PROPS_FILE="$KAFKA_DATA_DIR/server.properties"
  KAFKA_LOG4J_FILE="$KAFKA_DATA_DIR/log4j2.xml"
  KAFKA_VERSION_FILE="$KAFKA_DATA_DIR/kafka.version"
  KAFKA_LOG_DIR="$KAFKA_DATA_DIR/logs"
  KAFKA_SERVER_LOG="$KAFKA_LOG_DIR/server.log"
  KAFKA_STDOUT_LOG="$KAFKA_LOG_DIR/stdout.log"
  KAFKA_PARTITIONS_DIR="$KAFKA_DATA_DIR/kraft-log"
  KAFKA_LOCK_FILE="$KAFKA_DATA_DIR/.lock"
}

# Single node (the default): node 1, its own controller quorum.
KAFKA_DATA_DIR="$(kafka_abs_path "${KAFKA_DATA_DIR:-$KAFKA_REPO_ROOT/infra/.data/kafka-$KAFKA_PORT}")"
KAFKA_NODE_ID=1
KAFKA_QUORUM_VOTERS="1@127.0.0.1:$KAFKA_CONTROLLER_PORT"
KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
KAFKA_CLUSTER_DIR=""
kafka_set_paths
KAFKA_CLUSTER_ID_FILE="$KAFKA_DATA_DIR/cluster.id"

# kafka_parse_args ARGS...: takes `--brokers N` out of the script's arguments (the rest are left in
# KAFKA_REST_ARGS) and, for N > 1, sets up the cluster: KAFKA_CLUSTER_DIR, the ports, KAFKA_QUORUM_VOTERS,
# KAFKA_BOOTSTRAP, the shared cluster id file, and selects node 1 (kafka_select_node).
kafka_parse_args() {
  KAFKA_REST_ARGS=()
  while (($# > 0)); do
    case "$1" in
      --brokers)
        KAFKA_BROKER_COUNT="${2:-}"
        shift 2 || shift
        ;;
      --brokers=*)
        KAFKA_BROKER_COUNT="${1#--brokers=}"
        shift
        ;;
      *)
        KAFKA_REST_ARGS+=("$1")
        shift
        ;;
    esac
  done
  if ! [[ "$KAFKA_BROKER_COUNT" =~ ^[1-9]$ ]]; then
    echo "kafka: --brokers must be a number from 1 to 9, got '$KAFKA_BROKER_COUNT'" >&2
    exit 2
  fi
  ((KAFKA_BROKER_COUNT > 1)) || return 0

  KAFKA_BASE_PORT="$KAFKA_PORT"
  KAFKA_CONTROLLER_BASE_PORT="${KAFKA_CONTROLLER_PORT_GIVEN:-$((KAFKA_BASE_PORT + 100))}"
  if ((KAFKA_CONTROLLER_BASE_PORT < KAFKA_BASE_PORT + KAFKA_BROKER_COUNT &&
    KAFKA_BASE_PORT < KAFKA_CONTROLLER_BASE_PORT + KAFKA_BROKER_COUNT)); then
    echo "kafka: client ports $KAFKA_BASE_PORT.. and controller ports $KAFKA_CONTROLLER_BASE_PORT.. overlap for $KAFKA_BROKER_COUNT brokers; set KAFKA_CONTROLLER_PORT" >&2
    exit 2
  fi
  KAFKA_CLUSTER_DIR="$(kafka_abs_path "${KAFKA_DATA_DIR_GIVEN:-$KAFKA_REPO_ROOT/infra/.data/kafka-cluster-$KAFKA_BASE_PORT}")"
  KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS_GIVEN:--Xms128m -Xmx512m}"
  local i voters=() bootstrap=()
  for ((i = 1; i <= KAFKA_BROKER_COUNT; i++)); do
    voters+=("$i@127.0.0.1:$((KAFKA_CONTROLLER_BASE_PORT + i - 1))")
    bootstrap+=("127.0.0.1:$((KAFKA_BASE_PORT + i - 1))")
  done
  KAFKA_QUORUM_VOTERS="$(
    IFS=,
    echo "${voters[*]}"
  )"
  KAFKA_BOOTSTRAP="$(
    IFS=,
    echo "${bootstrap[*]}"
  )"
  KAFKA_CLUSTER_ID_FILE="$KAFKA_CLUSTER_DIR/cluster.id"
  kafka_select_node 1
}

# kafka_select_node I: points KAFKA_NODE_ID, KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_DATA_DIR and the file
# locations at node I of the cluster (kafka_parse_args first).
kafka_select_node() {
  KAFKA_NODE_ID="$1"
  KAFKA_PORT=$((KAFKA_BASE_PORT + $1 - 1))
  KAFKA_CONTROLLER_PORT=$((KAFKA_CONTROLLER_BASE_PORT + $1 - 1))
  KAFKA_DATA_DIR="$KAFKA_CLUSTER_DIR/node-$1"
  kafka_set_paths
}

# kafka_replication_factor: the default replication of topics (internal ones too): one per node, at most 3.
kafka_replication_factor() {
  echo $((KAFKA_BROKER_COUNT < 3 ? KAFKA_BROKER_COUNT : 3))
}

# kafka_min_insync_replicas: 2 from 3 replicas on (one node may be down), else 1.
kafka_min_insync_replicas() {
  echo $(($(kafka_replication_factor) >= 3 ? 2 : 1))
}

# kafka_log MESSAGE...: one prefixed line on stderr (stdout stays for machine-readable output).
kafka_log() {
  echo "kafka[$KAFKA_PORT]: $*" >&2
}

# kafka_now_ms: wall clock in milliseconds, for timings in messages.
kafka_now_ms() {
  date +%s%3N
}

# kafka_lock: serialise start/stop on one data dir (parallel test workers may race); no-op without flock.
kafka_lock() {
  mkdir -p "$KAFKA_DATA_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$KAFKA_LOCK_FILE"
    flock 9
  fi
}

# kafka_cluster_lock: serialise start/stop of a whole cluster (its dir's lock); no-op without flock.
kafka_cluster_lock() {
  mkdir -p "$KAFKA_CLUSTER_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$KAFKA_CLUSTER_DIR/.lock"
    flock 9
  fi
}

# kafka_is_our_pid PID: true when PID is a live kafka.Kafka JVM started with this data dir's config.
kafka_is_our_pid() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $KAFKA_PROPS_FILE"
}

# kafka_running_pid: prints the pid of this data dir's broker and returns 0, or returns 1 (removes a stale pid file).
kafka_running_pid() {
  local pid=""
  if [[ -f "$KAFKA_PID_FILE" ]]; then
    pid="$(tr -dc '0-9' <"$KAFKA_PID_FILE")"
    if kafka_is_our_pid "$pid"; then
      echo "$pid"
      return 0
    fi
    rm -f "$KAFKA_PID_FILE"
  fi
  # Pid file lost (e.g. deleted by hand) but the JVM still runs: find it by its unique command line.
  pid="$(pgrep -f "kafka.Kafka $KAFKA_PROPS_FILE" 2>/dev/null | head -n 1 || true)"
  if [[ -n "$pid" ]] && kafka_is_our_pid "$pid"; then
    echo "$pid" >"$KAFKA_PID_FILE"
    echo "$pid"
    return 0
  fi
  return 1
}

# kafka_port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
kafka_port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# kafka_join SEP ITEMS...: the items joined by SEP.
kafka_join() {
  local IFS="$1"
  shift
  echo "$*"
}

# kafka_warn_ephemeral_ports: warns when the selected node's ports lie in the kernel's ephemeral range. A port there
# can be taken, between the free-port check and the JVM's bind, as the source port of any outgoing connection (the
# broker's own to its peers, a readiness probe, a database client...): the bind then fails with "Address already in
# use" even with SO_REUSEADDR and the node exits. Ports below the range (Linux: 32768) cannot be taken that way.
kafka_warn_ephemeral_ports() {
  local range low high port
  range="$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true)"
  read -r low high <<<"$range"
  [[ "$low" =~ ^[0-9]+$ && "$high" =~ ^[0-9]+$ ]] || return 0
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if ((port >= low && port <= high)); then
      kafka_log "warning: port $port is in the ephemeral port range $low-$high: an outgoing connection can take it before the broker binds it; prefer ports below $low"
    fi
  done
}

# kafka_require_java: exits with a clear message unless Java 17+ is on PATH.
kafka_require_java() {
  if ! command -v java >/dev/null 2>&1; then
    kafka_log "java not found: install a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless) or use infra/docker-compose.yml"
    exit 1
  fi
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n 1)"
  if [[ -n "$major" && "$major" -lt 17 ]]; then
    kafka_log "Kafka $KAFKA_VERSION needs Java 17+, found Java $major"
    exit 1
  fi
}
