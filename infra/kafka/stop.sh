#!/usr/bin/env bash
# Stops the broker started from KAFKA_DATA_DIR: SIGTERM (controlled shutdown, logs flushed), then SIGKILL
# after KAFKA_STOP_TIMEOUT_S. Idempotent: prints "not running" and exits 0 when there is nothing to stop.
# `--brokers N`: stops every node of that cluster (all at once, so no node waits for a quorum that is leaving).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
kafka_parse_args "$@"

# stop_pids PID...: SIGTERM to all, wait until they are gone, SIGKILL what is left after KAFKA_STOP_TIMEOUT_S.
stop_pids() {
  local pid deadline_s=$((SECONDS + KAFKA_STOP_TIMEOUT_S))
  kill -TERM "$@" 2>/dev/null || true
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline_s)); then
        kafka_log "pid $pid still alive after ${KAFKA_STOP_TIMEOUT_S} s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
        break
      fi
      sleep 0.2
    done
  done
}

if ((KAFKA_BROKER_COUNT > 1)); then
  if [[ ! -d "$KAFKA_CLUSTER_DIR" ]]; then
    echo "Kafka cluster not running (no data dir $KAFKA_CLUSTER_DIR)"
    exit 0
  fi
  kafka_cluster_lock
  pids=()
  pid_files=()
  for ((node = 1; node <= KAFKA_BROKER_COUNT; node++)); do
    kafka_select_node "$node"
    if pid="$(kafka_running_pid)"; then
      pids+=("$pid")
      pid_files+=("$KAFKA_PID_FILE")
    fi
  done
  if ((${#pids[@]} == 0)); then
    echo "Kafka cluster not running ($KAFKA_BROKER_COUNT nodes, data dir $KAFKA_CLUSTER_DIR)"
    exit 0
  fi
  started_ms=$(kafka_now_ms)
  stop_pids "${pids[@]}"
  rm -f "${pid_files[@]}"
  echo "Kafka cluster stopped (pids ${pids[*]}, data dir $KAFKA_CLUSTER_DIR) in $(($(kafka_now_ms) - started_ms)) ms"
  exit 0
fi

if [[ ! -d "$KAFKA_DATA_DIR" ]]; then
  echo "Kafka not running (no data dir $KAFKA_DATA_DIR)"
  exit 0
fi
kafka_lock

if ! pid="$(kafka_running_pid)"; then
  echo "Kafka not running (port $KAFKA_PORT, data dir $KAFKA_DATA_DIR)"
  exit 0
fi

started_ms=$(kafka_now_ms)
stop_pids "$pid"
rm -f "$KAFKA_PID_FILE"
echo "Kafka stopped (pid $pid, port $KAFKA_PORT) in $(($(kafka_now_ms) - started_ms)) ms"
