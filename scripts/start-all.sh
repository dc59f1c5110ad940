#!/usr/bin/env bash
# Starts the whole stack locally: Kafka (infra/kafka), PostgreSQL (infra/postgres), then ingest, planner
# and admin-api from dist/. Ctrl-C (or SIGTERM) stops the apps cleanly; Kafka and PostgreSQL keep running
# (stop them with `npm run kafka:stop` / `node infra/postgres/url.mjs --stop`).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
gridshift_use_pinned_node "$PWD"
bash infra/kafka/start.sh
DATABASE_URL="${DATABASE_URL:-$(node infra/postgres/url.mjs)}"
export DATABASE_URL
node scripts/build.mjs
bash scripts/console-build.sh
pids=()
stop() {
  trap - INT TERM
  echo "stopping apps…"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  exit 0
}
trap stop INT TERM
for app in ingest planner admin-api; do
  node "dist/apps/$app/src/main.js" &
  pids+=($!)
done
echo "stack up: admin-api http://127.0.0.1:${ADMIN_API_PORT:-3100} (console at /console/, Swagger UI at /docs), ingest :3101, planner :3102 (Ctrl-C stops)"
wait -n "${pids[@]}" || true
stop
