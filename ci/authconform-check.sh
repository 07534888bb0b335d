#!/usr/bin/env bash
# Checks a deployment with authconform: what the CI templates beside this file run.
#
#   AUTHCONFORM_TARGET   target file (YAML) of the server under test; required.
#   AUTHCONFORM_SOURCE   where to install authconform from when it is not on PATH:
#                        a git URL or a local folder (cargo install --git / --path).
#   AUTHCONFORM_VERSION  optional tag or commit to install from the git URL.
#   AUTHCONFORM_REPORTS  folder for the reports (default: reports).
#   AUTHCONFORM_TAGS     optional tag expression, e.g. "not @2fa".
#   AUTHCONFORM_STRICT   set to 1 to fail on the reference server's own choices
#                        too (warnings: error bodies, statuses, headers the
#                        vendors' documents do not give).
#
# The secrets the target file names as ${VAR} come from the environment.
# Under GitHub Actions (GITHUB_ACTIONS=true) failures and warnings are also
# printed as annotations on the feature files' lines.
# Exit code: 0 conformant, 1 a conformance failure, 2 a usage or set-up problem
# (the target is not ready, the server stopped answering).
set -euo pipefail

: "${AUTHCONFORM_TARGET:?set AUTHCONFORM_TARGET to the target file of the server under test}"
reports="${AUTHCONFORM_REPORTS:-reports}"

if ! command -v authconform >/dev/null 2>&1; then
  source="${AUTHCONFORM_SOURCE:?authconform is not installed: set AUTHCONFORM_SOURCE to its git URL or source folder}"
  if [ -d "$source" ]; then
    cargo install --locked --path "$source"
  else
    # AUTHCONFORM_VERSION (a tag or commit) pins what is installed; the CI
    # templates also key their cache of the installed binary on it.
    cargo install --locked --git "$source" ${AUTHCONFORM_VERSION:+--rev "$AUTHCONFORM_VERSION"} authconform
  fi
  export PATH="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin:$PATH"
fi

mkdir -p "$reports"
args=(run --target "$AUTHCONFORM_TARGET"
      --junit "$reports/authconform-junit.xml"
      --cucumber-json "$reports/authconform-cucumber.json"
      --summary-json "$reports/authconform-summary.json"
      --html "$reports/authconform-report.html")
if [ -n "${AUTHCONFORM_TAGS:-}" ]; then
  args+=(--tags "$AUTHCONFORM_TAGS")
fi
if [ "${AUTHCONFORM_STRICT:-0}" = 1 ]; then
  args+=(--strict)
fi

status=0
authconform "${args[@]}" || status=$?
echo "authconform: reports in $reports/ (JUnit: authconform-junit.xml, HTML: authconform-report.html)"
exit "$status"
