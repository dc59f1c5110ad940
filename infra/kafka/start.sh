#!/usr/bin/env bash
# Starts a single-node KRaft Kafka broker (broker+controller) on 127.0.0.1 and waits until it answers
# metadata requests. Idempotent: when a broker already answers on KAFKA_PORT it prints so and exits 0.
# `--brokers N` (N > 1) starts a KRaft cluster of N broker+controller nodes on loopback instead (ports: lib.sh),
# starting only the nodes that do not run yet, and waits until all N brokers are registered.
# Settings: see lib.sh (KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_DATA_DIR, KAFKA_HEAP_OPTS, ...).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
kafka_parse_args "$@"

wait_ready() { # wait_ready [extra wait-ready.mjs args...]: the one broker, or every broker of the cluster
  "$KAFKA_NODE" "$KAFKA_SCRIPT_DIR/wait-ready.mjs" --port "${KAFKA_BOOTSTRAP//127.0.0.1:/}" \
    --brokers "$KAFKA_BROKER_COUNT" "$@"
}

if ! command -v "$KAFKA_NODE" >/dev/null 2>&1; then
  kafka_log "node not found: run 'npm ci' in $KAFKA_REPO_ROOT (it installs the Node that checks the broker is ready)"
  exit 1
fi
if [[ ! -d "$KAFKA_REPO_ROOT/node_modules/kafkajs" ]]; then
  kafka_log "kafkajs not installed (it checks that the broker is ready): run 'npm ci' in $KAFKA_REPO_ROOT first"
  exit 1
fi

# write_node_config: server.properties and log4j2.xml of the selected node (the single one or kafka_select_node's).
write_node_config() {
  local rf min_isr
  rf="$(kafka_replication_factor)"
  min_isr="$(kafka_min_insync_replicas)"
  mkdir -p "$KAFKA_LOG_DIR" "$KAFKA_PARTITIONS_DIR"
  cat >"$KAFKA_PROPS_FILE" <<EOF
# Written by infra/kafka/start.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=$KAFKA_NODE_ID
controller.quorum.voters=$KAFKA_QUORUM_VOTERS
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
# $KAFKA_BROKER_COUNT node(s): one replica per node, at most 3; from 3 replicas on an acks=all write is on at
# least 2, so one node may be lost (the apps' ensureTopics applies the same rule to the topics it creates).
default.replication.factor=$rf
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
unclean.leader.election.enable=false
# A node that died is fenced (its partitions get new leaders) after 6 s without a heartbeat (Kafka's default: 9 s).
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000

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
}

# format_node_storage: formats the selected node's storage on its first start only. The cluster id is kept in
# KAFKA_CLUSTER_ID_FILE (the data dir's, or the cluster dir's: every node of a cluster formats with the same id).
format_node_storage() {
  local classpath="$KAFKA_LIBS_DIR/*" log4j_opt="-Dlog4j2.configurationFile=$KAFKA_LOG4J_FILE" cluster_id
  [[ -f "$KAFKA_PARTITIONS_DIR/meta.properties" ]] && return 0
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
}

# launch_node: starts the selected node's JVM in the background; its pid goes to KAFKA_PID_FILE and stdout.
launch_node() {
  local log4j_opt="-Dlog4j2.configurationFile=$KAFKA_LOG4J_FILE" pid found
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS / KAFKA_JVM_OPTS are flag lists on purpose
  set -- $KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "$log4j_opt" "-Dkafka.logs.dir=$KAFKA_LOG_DIR" $KAFKA_JVM_OPTS \
    -cp "$KAFKA_LIBS_DIR/*" kafka.Kafka "$KAFKA_PROPS_FILE"

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
  echo "$pid"
}

# stop_started PID...: after a start that did not become ready, stops what it started (SIGTERM, then SIGKILL).
stop_started() {
  kill -TERM "$@" 2>/dev/null || true
  sleep 5
  kill -KILL "$@" 2>/dev/null || true
}

# fail_cluster_start: stops the nodes start_cluster started now (to_start, pids: its locals) and exits 1.
fail_cluster_start() {
  kafka_log "stopping the nodes started now (${to_start[*]})"
  stop_started "${pids[@]}"
  for node in "${to_start[@]}"; do
    kafka_select_node "$node"
    rm -f "$KAFKA_PID_FILE"
  done
  exit 1
}

# start_cluster: the `--brokers N` path. Nodes that run are left alone; the others are (re)started; then it waits
# until the cluster (a controller majority elected, every broker registered) answers with all N brokers.
start_cluster() {
  local node port started_ms summary to_start=() pids=()
  kafka_cluster_lock
  started_ms=$(kafka_now_ms)
  for ((node = 1; node <= KAFKA_BROKER_COUNT; node++)); do
    kafka_select_node "$node"
    kafka_warn_ephemeral_ports
    kafka_running_pid >/dev/null && continue
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
      if kafka_port_open "$port"; then
        kafka_log "port $port (node $node) is in use by something not started from $KAFKA_CLUSTER_DIR (a single broker? 'npm run kafka:stop' stops that one); set KAFKA_PORT / KAFKA_CONTROLLER_PORT to free ports"
        exit 1
      fi
    done
    to_start+=("$node")
  done
  kafka_select_node 1

  if ((${#to_start[@]} == 0)); then
    if summary="$(wait_ready --timeout-s "$KAFKA_START_TIMEOUT_S")"; then
      echo "Kafka cluster already running: $KAFKA_BROKER_COUNT brokers on $KAFKA_BOOTSTRAP (data dir $KAFKA_CLUSTER_DIR): $summary"
      exit 0
    fi
    kafka_log "the cluster's $KAFKA_BROKER_COUNT nodes run but do not all answer on $KAFKA_BOOTSTRAP; see 'npm run kafka:logs -- --brokers $KAFKA_BROKER_COUNT' or stop it"
    exit 1
  fi

  kafka_require_java
  bash "$KAFKA_SCRIPT_DIR/fetch.sh"
  for node in "${to_start[@]}"; do
    kafka_select_node "$node"
    write_node_config
    format_node_storage
    pids+=("$(launch_node)")
  done
  # Every node's JVM and log (started now or before): a node that exits (e.g. a port of its was taken meanwhile: an
  # outgoing connection's source port, see kafka_warn_ephemeral_ports) ends the wait at once with its log, instead
  # of a silent wait until KAFKA_START_TIMEOUT_S.
  local all_pids=() all_logs=() pid
  for ((node = 1; node <= KAFKA_BROKER_COUNT; node++)); do
    kafka_select_node "$node"
    if ! pid="$(kafka_running_pid)"; then
      kafka_log "node $node exited right after its start"
      [[ -s "$KAFKA_SERVER_LOG" ]] && tail -n 40 "$KAFKA_SERVER_LOG" >&2
      fail_cluster_start
    fi
    all_pids+=("$pid")
    all_logs+=("$KAFKA_SERVER_LOG")
  done
  kafka_select_node 1
  if ! summary="$(wait_ready --timeout-s "$KAFKA_START_TIMEOUT_S" --pid "$(kafka_join , "${all_pids[@]}")" \
    --log "$(kafka_join , "${all_logs[@]}")")"; then
    kafka_log "the cluster did not answer with $KAFKA_BROKER_COUNT brokers within ${KAFKA_START_TIMEOUT_S} s, or a node exited (see above)"
    fail_cluster_start
  fi
  echo "Kafka $KAFKA_VERSION cluster started: $KAFKA_BROKER_COUNT brokers on $KAFKA_BOOTSTRAP (nodes started now: ${to_start[*]}, pids ${pids[*]}; data dir $KAFKA_CLUSTER_DIR) in $(($(kafka_now_ms) - started_ms)) ms: $summary"
}

if ((KAFKA_BROKER_COUNT > 1)); then
  start_cluster
  exit 0
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
kafka_warn_ephemeral_ports
started_ms=$(kafka_now_ms)
kafka_require_java
bash "$KAFKA_SCRIPT_DIR/fetch.sh"
write_node_config
format_node_storage
pid="$(launch_node)"

if ! summary="$(wait_ready --pid "$pid" --timeout-s "$KAFKA_START_TIMEOUT_S")"; then
  if kill -0 "$pid" 2>/dev/null; then
    kafka_log "broker did not answer within ${KAFKA_START_TIMEOUT_S} s; stopping it"
    stop_started "$pid"
  elif [[ -s "$KAFKA_STDOUT_LOG" ]]; then
    tail -n 20 "$KAFKA_STDOUT_LOG" >&2
  fi
  rm -f "$KAFKA_PID_FILE"
  exit 1
fi
echo "Kafka $KAFKA_VERSION started on 127.0.0.1:$KAFKA_PORT (pid $pid, data dir $KAFKA_DATA_DIR) in $(($(kafka_now_ms) - started_ms)) ms: $summary"
