#!/usr/bin/env bash
# `npm run bench:console [-- --runs N] [--json FILE]`: the console's first load and heatmap drawing in Chromium
# (Debian's, like the browser tests) against the real stack; see scripts/bench-console.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "[bench:console] $chromium not found: apt-get install chromium (or set CHROMIUM_PATH)" >&2
  exit 1
fi
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
gridshift_use_pinned_node "$PWD"
exec node node_modules/tsx/dist/cli.mjs --conditions=gridshift-source scripts/bench-console.ts "$@"
