#!/usr/bin/env bash
# `npm test`: installs dependencies on a fresh clone, then runs every vitest tier (unit, integration, e2e).
# Kafka and PostgreSQL are brought up by the test harness (tests/support/global-setup.ts) when not running.
# Arguments go to vitest, e.g. `npm test -- --project unit`. Runs on the pinned Node 24 (scripts/lib/node.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x node_modules/.bin/vitest || ! -x node_modules/.bin/node ]]; then
  echo "[test] installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund
fi
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
gridshift_use_pinned_node "$PWD"
exec node node_modules/vitest/vitest.mjs run "$@"
