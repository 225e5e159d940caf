#!/usr/bin/env bash
# Validate template.yaml with the AWS SAM CLI (`sam validate --lint`), offline.
#
# The SAM CLI (~340 MB installed) lives in its own venv at .tools/sam-venv
# (gitignored) so it never leaks into the skill's runtime or dev deps.
#
# Env overrides:
#   SAM_VENV          venv location      (default: .tools/sam-venv)
#   SAM_CLI_VERSION   aws-sam-cli version to install (default: 1.170.0,
#                     the version this template was last validated with)
#   SAM_PYTHON        interpreter for the venv (default: python3)
#   SAM_TEMPLATE      template to check  (default: template.yaml)
# Extra arguments are passed to `sam validate`.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SAM_VENV:-$REPO_ROOT/.tools/sam-venv}"
PY="${SAM_PYTHON:-python3}"
TEMPLATE="${SAM_TEMPLATE:-template.yaml}"

log() { printf 'sam-validate: %s\n' "$*" >&2; }

SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"

installed_version() {
  "$VENV/bin/python" -c 'from importlib.metadata import version; print(version("aws-sam-cli"))' 2>/dev/null || true
}

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating SAM CLI venv at $VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
if [[ ! -x "$VENV/bin/sam" || "$(installed_version)" != "$SAM_CLI_VERSION" ]]; then
  log "installing aws-sam-cli==$SAM_CLI_VERSION into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "aws-sam-cli==$SAM_CLI_VERSION"
fi

cd "$REPO_ROOT"
# No real credentials or network needed: `sam validate --lint` runs cfn-lint
# locally. A region is still required by the CLI, so give it a dummy one.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_REGION="${AWS_REGION:-$AWS_DEFAULT_REGION}"
export SAM_CLI_TELEMETRY=0

log "$("$VENV/bin/sam" --version)"
exec "$VENV/bin/sam" validate --lint --template "$TEMPLATE" "$@"
