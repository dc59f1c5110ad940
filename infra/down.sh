#!/usr/bin/env bash
# `npm run infra:down`: stops what `npm run infra:up` started — the Kafka broker of infra/kafka and the
# embedded PostgreSQL (a system PostgreSQL is left alone).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/lib/node.sh
source scripts/lib/node.sh
gridshift_use_pinned_node "$PWD"
bash infra/kafka/stop.sh || true
node infra/postgres/url.mjs --stop || true
