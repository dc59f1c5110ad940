# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings below are used by the scripts that source this file
# Shared settings and helpers for the local Kafka scripts (sourced, not run).
#
# Environment (all optional):
#   KAFKA_PORT             client listener on 127.0.0.1            (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener on 127.0.0.1  (default 9093)
#   KAFKA_DATA_DIR         config, pid, logs and partitions        (default infra/.data/kafka-<port>)
#   KAFKA_HEAP_OPTS        JVM heap flags                          (default -Xms256m -Xmx768m)
#   KAFKA_JVM_OPTS         extra JVM flags appended after the defaults
#   KAFKA_NUM_PARTITIONS   default partitions of new topics        (default 3)
#   KAFKA_START_TIMEOUT_S  seconds start.sh waits for metadata     (default 90)
#   KAFKA_STOP_TIMEOUT_S   seconds stop.sh waits before SIGKILL    (default 60)

KAFKA_VERSION="4.4.0" # keep in sync with <kafka.version> in pom.xml and infra/docker-compose.yml

KAFKA_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_REPO_ROOT="$(cd "$KAFKA_SCRIPT_DIR/../.." && pwd)"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:-}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-3}"
KAFKA_START_TIMEOUT_S="${KAFKA_START_TIMEOUT_S:-90}"
KAFKA_STOP_TIMEOUT_S="${KAFKA_STOP_TIMEOUT_S:-60}"

for _kafka_var in KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_NUM_PARTITIONS KAFKA_START_TIMEOUT_S KAFKA_STOP_TIMEOUT_S; do
  if ! [[ "${!_kafka_var}" =~ ^[0-9]+$ ]]; then
    echo "kafka: $_kafka_var must be a positive integer, got '${!_kafka_var}'" >&2
    exit 2
  fi
done
if [[ "$KAFKA_PORT" == "$KAFKA_CONTROLLER_PORT" ]]; then
  echo "kafka: KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ (both $KAFKA_PORT)" >&2
  exit 2
fi

KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_REPO_ROOT/infra/.data/kafka-$KAFKA_PORT}"
case "$KAFKA_DATA_DIR" in
  /*) ;;
  *) KAFKA_DATA_DIR="$PWD/$KAFKA_DATA_DIR" ;;
esac

KAFKA_CACHE_DIR="$KAFKA_REPO_ROOT/infra/.cache/kafka/$KAFKA_VERSION"
KAFKA_LIBS_DIR="$KAFKA_CACHE_DIR/libs"
KAFKA_CACHE_MARKER="$KAFKA_CACHE_DIR/.complete"

KAFKA_PID_FILE="$KAFKA_DATA_DIR/kafka.pid"
KAFKA_PROPS_FILE="$KAFKA_DATA_DIR/server.properties"
KAFKA_LOG4J_FILE="$KAFKA_DATA_DIR/log4j2.xml"
KAFKA_CLUSTER_ID_FILE="$KAFKA_DATA_DIR/cluster.id"
KAFKA_VERSION_FILE="$KAFKA_DATA_DIR/kafka.version"
KAFKA_LOG_DIR="$KAFKA_DATA_DIR/logs"
KAFKA_SERVER_LOG="$KAFKA_LOG_DIR/server.log"
KAFKA_STDOUT_LOG="$KAFKA_LOG_DIR/stdout.log"
KAFKA_PARTITIONS_DIR="$KAFKA_DATA_DIR/kraft-log"
KAFKA_LOCK_FILE="$KAFKA_DATA_DIR/.lock"

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
