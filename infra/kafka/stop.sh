#!/usr/bin/env bash
# Stops the broker started from KAFKA_DATA_DIR: SIGTERM (controlled shutdown, logs flushed), then SIGKILL
# after KAFKA_STOP_TIMEOUT_S. Idempotent: prints "not running" and exits 0 when there is nothing to stop.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

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
kill -TERM "$pid" 2>/dev/null || true
deadline_s=$((SECONDS + KAFKA_STOP_TIMEOUT_S))
while kill -0 "$pid" 2>/dev/null; do
  if ((SECONDS >= deadline_s)); then
    kafka_log "pid $pid still alive after ${KAFKA_STOP_TIMEOUT_S} s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
    break
  fi
  sleep 0.2
done
rm -f "$KAFKA_PID_FILE"
echo "Kafka stopped (pid $pid, port $KAFKA_PORT) in $(($(kafka_now_ms) - started_ms)) ms"
