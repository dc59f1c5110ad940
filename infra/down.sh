#!/usr/bin/env bash
# `npm run infra:down`: stops what `npm run infra:up` started — the Kafka broker of infra/kafka and the
# embedded PostgreSQL (a system PostgreSQL is left alone).
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/kafka/stop.sh || true
node infra/postgres/url.mjs --stop || true
