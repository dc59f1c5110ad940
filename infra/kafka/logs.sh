#!/usr/bin/env bash
# Shows the broker's server log; extra arguments go to tail (e.g. `logs.sh -f`, `logs.sh -n 500`).
# `--brokers N`: every node's log of that cluster, each under a `==> file <==` header (tail's own).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
kafka_parse_args "$@"

logs=()
for ((node = 1; node <= KAFKA_BROKER_COUNT; node++)); do
  ((KAFKA_BROKER_COUNT > 1)) && kafka_select_node "$node"
  [[ -f "$KAFKA_SERVER_LOG" ]] && logs+=("$KAFKA_SERVER_LOG")
done
if ((${#logs[@]} == 0)); then
  echo "no server log yet at $KAFKA_SERVER_LOG (start the broker with infra/kafka/start.sh)" >&2
  exit 1
fi
# A later -n from the caller overrides this default.
exec tail -n 100 "${KAFKA_REST_ARGS[@]}" "${logs[@]}"
