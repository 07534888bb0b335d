#!/usr/bin/env bash
# Checks a deployment with authconform: what the CI templates beside this file run.
#
#   AUTHCONFORM_TARGET   target file (YAML) of the server under test; required.
#   AUTHCONFORM_SOURCE   where to install authconform from when it is not on PATH:
#                        a git URL or a local folder (cargo install --git / --path).
#   AUTHCONFORM_REPORTS  folder for the reports (default: reports).
#   AUTHCONFORM_TAGS     optional tag expression, e.g. "not @2fa".
#
# The secrets the target file names as ${VAR} come from the environment.
# Exit code: 0 conformant, 1 a conformance failure, 2 a usage or set-up problem.
set -euo pipefail

: "${AUTHCONFORM_TARGET:?set AUTHCONFORM_TARGET to the target file of the server under test}"
reports="${AUTHCONFORM_REPORTS:-reports}"

if ! command -v authconform >/dev/null 2>&1; then
  source="${AUTHCONFORM_SOURCE:?authconform is not installed: set AUTHCONFORM_SOURCE to its git URL or source folder}"
  if [ -d "$source" ]; then
    cargo install --locked --path "$source"
  else
    cargo install --locked --git "$source" authconform
  fi
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

mkdir -p "$reports"
args=(run --target "$AUTHCONFORM_TARGET"
      --junit "$reports/authconform-junit.xml"
      --cucumber-json "$reports/authconform-cucumber.json")
if [ -n "${AUTHCONFORM_TAGS:-}" ]; then
  args+=(--tags "$AUTHCONFORM_TAGS")
fi

status=0
authconform "${args[@]}" || status=$?
echo "authconform: reports in $reports/ (JUnit: authconform-junit.xml)"
exit "$status"
