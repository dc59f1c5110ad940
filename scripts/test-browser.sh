#!/usr/bin/env bash
# `npm run test:browser`: the operator console's browser tests (Playwright, Chromium from Debian packages)
# against the real stack (tests/browser/stack.ts). Arguments go to `playwright test`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x node_modules/.bin/playwright || ! -x node_modules/.bin/node ]]; then
  echo "[test:browser] installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund
fi
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "[test:browser] $chromium not found: apt-get install chromium (or set CHROMIUM_PATH)" >&2
  exit 1
fi
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
gridshift_use_pinned_node "$PWD"
exec node node_modules/@playwright/test/cli.js test "$@"
