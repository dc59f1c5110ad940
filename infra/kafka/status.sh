#!/usr/bin/env bash
# Prints whether the broker of KAFKA_DATA_DIR runs, with pid, port, version and data dir.
# Exit 0 when running, 3 when stopped (like `service status`).
# `--brokers N`: one line per node of that cluster; exit 0 when all run, 3 when none does, 1 when only some do.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
kafka_parse_args "$@"

# node_status LABEL: prints the selected node's line; returns 0 when it runs.
node_status() {
  local version="$KAFKA_VERSION" state pid rss_kb note=""
  [[ -f "$KAFKA_VERSION_FILE" ]] && version="$(cat "$KAFKA_VERSION_FILE")"
  if [[ -d "$KAFKA_DATA_DIR" ]] && pid="$(kafka_running_pid)"; then
    state="running"
    kafka_port_open "$KAFKA_PORT" || state="starting (port not open yet)"
    rss_kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo '?')"
    echo "$1 $state: pid $pid, port 127.0.0.1:$KAFKA_PORT, controller port $KAFKA_CONTROLLER_PORT, version $version, rss ${rss_kb} kB, data dir $KAFKA_DATA_DIR, log $KAFKA_SERVER_LOG"
    return 0
  fi
  if kafka_port_open "$KAFKA_PORT"; then
    note=" (note: something not started from this data dir listens on 127.0.0.1:$KAFKA_PORT)"
  fi
  echo "$1 stopped: port 127.0.0.1:$KAFKA_PORT, version $version, data dir $KAFKA_DATA_DIR$note"
  return 1
}

if ((KAFKA_BROKER_COUNT > 1)); then
  running=0
  for ((node = 1; node <= KAFKA_BROKER_COUNT; node++)); do
    kafka_select_node "$node"
    if node_status "Kafka node $node/$KAFKA_BROKER_COUNT"; then running=$((running + 1)); fi
  done
  echo "Kafka cluster: $running of $KAFKA_BROKER_COUNT nodes running (bootstrap $KAFKA_BOOTSTRAP)"
  if ((running == KAFKA_BROKER_COUNT)); then exit 0; fi
  if ((running == 0)); then exit 3; fi
  exit 1
fi

if node_status "Kafka"; then exit 0; fi
exit 3
