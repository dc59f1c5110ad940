#!/usr/bin/env bash
# `npm run infra:up`: brings up what gridshift needs, as the demo does — the Kafka broker from the official
# jars (infra/kafka, a no-op when one already answers on 127.0.0.1:9092) and PostgreSQL (the local one on
# 127.0.0.1:5432 when it answers, else an embedded one under infra/.data/postgres) — and prints how to reach
# them. Extra arguments go to infra/kafka/start.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/lib/node.sh
source scripts/lib/node.sh
gridshift_use_pinned_node "$PWD"
bash infra/kafka/start.sh "$@"
url=$(node infra/postgres/url.mjs)
echo "PostgreSQL: ${url%%\?*}" | sed -E 's#//([^:@/]+):[^@/]*@#//\1:***@#'
echo "Kafka:      127.0.0.1:9092"
echo "Point the apps at them with DATABASE_URL=\$(npm run -s postgres:url) KAFKA_BROKERS=127.0.0.1:9092"
