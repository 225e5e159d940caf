#!/usr/bin/env bash
# Install Amazon's SMAPI model (pinned via tools/ask-smapi-model/package-lock.json: npm
# ask-smapi-model@1.24.0, whose spec.json is the Skill Management API's Swagger spec, with the
# schemas of skill.json and the interaction model) into .tools/ask-smapi-model/ (gitignored).
# The tests validate skill-package/ against it (tests/smapi_schema.py).
#
# Idempotent: a no-op while the installed lock file matches the pinned one. Needs only npm.
# Prints the path of spec.json on stdout (last line); everything else goes to stderr.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$REPO_ROOT/tools/ask-smapi-model"
DEST="${ASK_SMAPI_MODEL_PREFIX:-$REPO_ROOT/.tools/ask-smapi-model}"
SPEC="$DEST/node_modules/ask-smapi-model/spec.json"

log() { printf 'install-ask-smapi-model: %s\n' "$*" >&2; }

command -v npm >/dev/null 2>&1 || { log "npm not found on PATH"; exit 1; }

# shellcheck source=scripts/npm-pinned.sh
source "$REPO_ROOT/scripts/npm-pinned.sh"
if npm_pinned_current "$SRC" "$DEST" && [[ -f "$SPEC" ]]; then
  log "already installed in $DEST"
else
  npm_pinned_install "$SRC" "$DEST"
fi
[[ -f "$SPEC" ]] || { log "spec.json not found in $DEST/node_modules/ask-smapi-model/"; exit 1; }
printf '%s\n' "$SPEC"
