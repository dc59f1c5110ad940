#!/usr/bin/env bash
# `npm run chaos [-- --json FILE] [vitest args…]`: the chaos tier (tests/chaos) on a private 3-broker Kafka cluster
# and a private PostgreSQL on loopback (tests/support/chaos-global-setup.ts); prints one row per scenario
# (sent / stored / lost / duplicates / recovery seconds) and, with --json FILE, writes the rows there.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
while (($# > 0)); do
  case "$1" in
    --json)
      [[ -n "${2:-}" ]] || {
        echo "chaos: --json needs a file name" >&2
        exit 2
      }
      GRIDSHIFT_CHAOS_JSON="$(realpath -m "$2")"
      export GRIDSHIFT_CHAOS_JSON
      shift 2
      ;;
    --json=*)
      GRIDSHIFT_CHAOS_JSON="$(realpath -m "${1#--json=}")"
      export GRIDSHIFT_CHAOS_JSON
      shift
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done
exec bash scripts/test.sh --project chaos "${args[@]}"
