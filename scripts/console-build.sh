#!/usr/bin/env bash
# Builds the operator console (apps/console → apps/console/dist, served by the admin API at /console) when
# it is missing or older than its sources. `--force` always builds.
set -euo pipefail
cd "$(dirname "$0")/.."
index=apps/console/dist/index.html
if [[ "${1:-}" != "--force" && -f "$index" ]] &&
  [[ -z "$(find apps/console/src apps/console/index.html apps/console/vite.config.ts -newer "$index" -print -quit)" ]]; then
  exit 0
fi
echo "[console] building apps/console (vite)…" >&2
node node_modules/vite/bin/vite.js build --config apps/console/vite.config.ts --logLevel warn
