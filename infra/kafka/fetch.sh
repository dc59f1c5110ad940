#!/usr/bin/env bash
# Fetches the pinned Kafka broker jars (pom.xml) from Maven Central into infra/.cache/kafka/<version>/libs.
# Skips the download when the cache is complete for the current pom (marker file holds the pom's sha256).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

pom_sha="$(sha256sum "$KAFKA_SCRIPT_DIR/pom.xml" | cut -d' ' -f1)"

cache_complete() {
  [[ -f "$KAFKA_CACHE_MARKER" && "$(cat "$KAFKA_CACHE_MARKER")" == "$pom_sha" ]] &&
    compgen -G "$KAFKA_LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null
}

if cache_complete; then
  exit 0
fi

mkdir -p "$KAFKA_CACHE_DIR"
if command -v flock >/dev/null 2>&1; then
  exec 8>"$KAFKA_CACHE_DIR/.fetch.lock"
  flock 8
  if cache_complete; then # another process fetched while we waited
    exit 0
  fi
fi

if ! command -v mvn >/dev/null 2>&1; then
  kafka_log "mvn not found: install Maven (e.g. apt-get install maven) to fetch Kafka $KAFKA_VERSION, or use infra/docker-compose.yml"
  exit 1
fi

kafka_log "fetching Kafka $KAFKA_VERSION jars with Maven into $KAFKA_LIBS_DIR"
started_s=$SECONDS
tmp_dir="$(mktemp -d "$KAFKA_CACHE_DIR/.libs.XXXXXX")"
trap 'rm -rf "$tmp_dir"' EXIT
if ! mvn -B -q -f "$KAFKA_SCRIPT_DIR/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$tmp_dir" >"$KAFKA_CACHE_DIR/fetch.log" 2>&1; then
  tail -n 40 "$KAFKA_CACHE_DIR/fetch.log" >&2
  kafka_log "Maven could not fetch the Kafka jars (full output: $KAFKA_CACHE_DIR/fetch.log)"
  exit 1
fi
rm -rf "$KAFKA_LIBS_DIR"
mv "$tmp_dir" "$KAFKA_LIBS_DIR"
trap - EXIT
echo "$pom_sha" >"$KAFKA_CACHE_MARKER"
kafka_log "fetched $(find "$KAFKA_LIBS_DIR" -name '*.jar' | wc -l) jars in $((SECONDS - started_s)) s"
