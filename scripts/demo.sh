#!/usr/bin/env bash
# `npm run demo`: installs what is missing, builds, and runs the whole pipeline on real sample data
# (scripts/demo.ts) with the capacity-binds scenario (data/scenarios/capacity-binds/, the --fleet and --jobs
# defaults). Arguments are passed through, e.g. `npm run demo -- --once` or
# `npm run demo -- --fleet data/demo/fleet.yaml --jobs data/demo/jobs.yaml`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules/@nestjs/core || ! -d node_modules/kafkajs || ! -x node_modules/.bin/node ]]; then
  echo "[demo] installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund
fi
if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  if [[ -z "${KAFKA_BROKERS:-}" ]]; then
    if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
      echo "[demo] installing Java 17 and Maven for the local Kafka broker…"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
    else
      echo "[demo] the local Kafka broker needs Java 17+ and Maven (or set KAFKA_BROKERS, or use infra/docker-compose.yml)" >&2
      exit 1
    fi
  fi
fi
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
gridshift_use_pinned_node "$PWD"
node scripts/build.mjs >/dev/null
bash scripts/console-build.sh
exec node dist/scripts/demo.js "$@"
