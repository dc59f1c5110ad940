#!/usr/bin/env bash
# Shows the broker's server log; extra arguments go to tail (e.g. `logs.sh -f`, `logs.sh -n 500`).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

if [[ ! -f "$KAFKA_SERVER_LOG" ]]; then
  echo "no server log yet at $KAFKA_SERVER_LOG (start the broker with infra/kafka/start.sh)" >&2
  exit 1
fi
# A later -n from the caller overrides this default.
exec tail -n 100 "$@" "$KAFKA_SERVER_LOG"
