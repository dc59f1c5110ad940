#!/usr/bin/env bash
# Starts a single-node KRaft Kafka broker (broker+controller) on 127.0.0.1 and waits until it answers
# metadata requests. Idempotent: when a broker already answers on KAFKA_PORT it prints so and exits 0.
# Settings: see lib.sh (KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_DATA_DIR, KAFKA_HEAP_OPTS, ...).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

wait_ready() { # wait_ready [extra wait-ready.mjs args...]
  node "$KAFKA_SCRIPT_DIR/wait-ready.mjs" --port "$KAFKA_PORT" --log "$KAFKA_SERVER_LOG" "$@"
}

if ! command -v node >/dev/null 2>&1; then
  kafka_log "node not found: Node.js >= 20.19 is needed to check that the broker is ready"
  exit 1
fi
if [[ ! -d "$KAFKA_REPO_ROOT/node_modules/kafkajs" ]]; then
  kafka_log "kafkajs not installed (it checks that the broker is ready): run 'npm ci' in $KAFKA_REPO_ROOT first"
  exit 1
fi

kafka_lock

# 1. Already running from this data dir: make sure it answers (it may still be starting), then done.
if pid="$(kafka_running_pid)"; then
  if summary="$(wait_ready --pid "$pid" --timeout-s "$KAFKA_START_TIMEOUT_S")"; then
    echo "Kafka already running on 127.0.0.1:$KAFKA_PORT (pid $pid, data dir $KAFKA_DATA_DIR): $summary"
    exit 0
  fi
  kafka_log "broker pid $pid runs but does not answer on 127.0.0.1:$KAFKA_PORT; see $KAFKA_SERVER_LOG or run stop.sh"
  exit 1
fi

# 2. Some other broker (another data dir, Docker, ...) already answers on the port: leave it alone.
if kafka_port_open "$KAFKA_PORT"; then
  if summary="$(wait_ready --once 2>/dev/null)"; then
    echo "Kafka already answers on 127.0.0.1:$KAFKA_PORT (not started from $KAFKA_DATA_DIR; left alone): $summary"
    exit 0
  fi
  kafka_log "port $KAFKA_PORT is in use by something that is not a Kafka broker; set KAFKA_PORT to a free port"
  exit 1
fi
if kafka_port_open "$KAFKA_CONTROLLER_PORT"; then
  kafka_log "controller port $KAFKA_CONTROLLER_PORT is in use; set KAFKA_CONTROLLER_PORT to a free port"
  exit 1
fi

# 3. Start a new broker.
started_ms=$(kafka_now_ms)
kafka_require_java
bash "$KAFKA_SCRIPT_DIR/fetch.sh"
mkdir -p "$KAFKA_LOG_DIR" "$KAFKA_PARTITIONS_DIR"

cat >"$KAFKA_PROPS_FILE" <<EOF
# Written by infra/kafka/start.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_PARTITIONS_DIR

# Topics are created by the apps at boot; a typo in a topic name must fail, not create a topic.
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=$KAFKA_NUM_PARTITIONS
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

# Small machine: few threads, one week of retention.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
EOF

cat >"$KAFKA_LOG4J_FILE" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by infra/kafka/start.sh. Shutdown hook off so Kafka's own shutdown messages reach the log. -->
<Configuration status="WARN" shutdownHook="disable">
  <Appenders>
    <RollingFile name="server" fileName="$KAFKA_SERVER_LOG" filePattern="$KAFKA_LOG_DIR/server.log.%i">
      <PatternLayout pattern="[%d{ISO8601}] %p %m (%c)%n"/>
      <Policies><SizeBasedTriggeringPolicy size="50 MB"/></Policies>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="kafka.authorizer.logger" level="WARN"/>
    <Root level="INFO"><AppenderRef ref="server"/></Root>
  </Loggers>
</Configuration>
EOF

classpath="$KAFKA_LIBS_DIR/*"
log4j_opt="-Dlog4j2.configurationFile=$KAFKA_LOG4J_FILE"

# Format the storage on first start only; the cluster id is kept in the data dir.
if [[ ! -f "$KAFKA_PARTITIONS_DIR/meta.properties" ]]; then
  if [[ ! -s "$KAFKA_CLUSTER_ID_FILE" ]]; then
    java -cp "$classpath" "$log4j_opt" kafka.tools.StorageTool random-uuid >"$KAFKA_CLUSTER_ID_FILE"
  fi
  cluster_id="$(tr -d '[:space:]' <"$KAFKA_CLUSTER_ID_FILE")"
  kafka_log "formatting storage in $KAFKA_PARTITIONS_DIR (cluster id $cluster_id)"
  if ! java -cp "$classpath" "$log4j_opt" kafka.tools.StorageTool format \
    --cluster-id "$cluster_id" --config "$KAFKA_PROPS_FILE" --ignore-formatted >"$KAFKA_LOG_DIR/format.log" 2>&1; then
    cat "$KAFKA_LOG_DIR/format.log" >&2
    kafka_log "storage format failed"
    exit 1
  fi
fi

# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS / KAFKA_JVM_OPTS are flag lists on purpose
set -- $KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
  -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
  "$log4j_opt" "-Dkafka.logs.dir=$KAFKA_LOG_DIR" $KAFKA_JVM_OPTS \
  -cp "$classpath" kafka.Kafka "$KAFKA_PROPS_FILE"

echo "$KAFKA_VERSION" >"$KAFKA_VERSION_FILE"
echo "--- $(date -Is) start (port $KAFKA_PORT) ---" >>"$KAFKA_STDOUT_LOG"
# New session (setsid) + nohup: the broker outlives this shell and the terminal or test runner that
# called it; fd 9 (the start lock) is closed so the broker does not hold it.
(cd "$KAFKA_DATA_DIR" && exec nohup setsid java "$@" </dev/null >>"$KAFKA_STDOUT_LOG" 2>&1 9>&-) &
pid=$!
# $! is the JVM itself (nohup and setsid exec); should setsid have forked, find the JVM by its command line.
for _ in $(seq 1 30); do
  kafka_is_our_pid "$pid" && break
  if ! kill -0 "$pid" 2>/dev/null; then
    found="$(pgrep -f "kafka.Kafka $KAFKA_PROPS_FILE" | head -n 1 || true)"
    [[ -n "$found" ]] && pid="$found"
    break
  fi
  sleep 0.1
done
echo "$pid" >"$KAFKA_PID_FILE"

if ! summary="$(wait_ready --pid "$pid" --timeout-s "$KAFKA_START_TIMEOUT_S")"; then
  if kill -0 "$pid" 2>/dev/null; then
    kafka_log "broker did not answer within ${KAFKA_START_TIMEOUT_S} s; stopping it"
    kill -TERM "$pid" 2>/dev/null || true
    sleep 5
    kill -KILL "$pid" 2>/dev/null || true
  elif [[ -s "$KAFKA_STDOUT_LOG" ]]; then
    tail -n 20 "$KAFKA_STDOUT_LOG" >&2
  fi
  rm -f "$KAFKA_PID_FILE"
  exit 1
fi
echo "Kafka $KAFKA_VERSION started on 127.0.0.1:$KAFKA_PORT (pid $pid, data dir $KAFKA_DATA_DIR) in $(($(kafka_now_ms) - started_ms)) ms: $summary"
