#!/usr/bin/env bash
# Prints whether the broker of KAFKA_DATA_DIR runs, with pid, port, version and data dir.
# Exit 0 when running, 3 when stopped (like `service status`).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

version="$KAFKA_VERSION"
[[ -f "$KAFKA_VERSION_FILE" ]] && version="$(cat "$KAFKA_VERSION_FILE")"

if [[ -d "$KAFKA_DATA_DIR" ]] && pid="$(kafka_running_pid)"; then
  state="running"
  kafka_port_open "$KAFKA_PORT" || state="starting (port not open yet)"
  rss_kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo '?')"
  echo "Kafka $state: pid $pid, port 127.0.0.1:$KAFKA_PORT, controller port $KAFKA_CONTROLLER_PORT, version $version, rss ${rss_kb} kB, data dir $KAFKA_DATA_DIR, log $KAFKA_SERVER_LOG"
  exit 0
fi

note=""
if kafka_port_open "$KAFKA_PORT"; then
  note=" (note: something not started from this data dir listens on 127.0.0.1:$KAFKA_PORT)"
fi
echo "Kafka stopped: port 127.0.0.1:$KAFKA_PORT, version $version, data dir $KAFKA_DATA_DIR$note"
exit 3
