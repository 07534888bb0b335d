#!/usr/bin/env bash
# Checks a deployment with authconform: what the CI templates beside this file run.
#
#   AUTHCONFORM_TARGET      target file (YAML) of the server under test; required.
#   AUTHCONFORM_REPORTS     folder for the reports (default: reports).
#   AUTHCONFORM_STATE       the state file (default: .authconform/state.json): what
#                           a run cannot undo on the deployment (the TOTP secret of
#                           the second factor it enabled on users.twofactor). Keep
#                           it between runs (the templates cache .authconform/), or
#                           keep the secret instead: `authconform state secret
#                           --target FILE` prints it; put it in a masked secret and
#                           give it as users.twofactor.totp_secret.
#   AUTHCONFORM_STATE_KEY   the key the state file is sealed with (AES-256-GCM):
#                           `authconform state key` prints a new one; keep it as
#                           a masked secret. The state file holds a TOTP secret
#                           and a live session of users.twofactor, and a CI cache
#                           is readable by whoever can run a workflow of the
#                           repository (on GitHub, anyone who opens a pull
#                           request on a public one): set it wherever the cache
#                           is not private. Unset: the file is kept as it is.
#   AUTHCONFORM_TAGS        optional tag expression, e.g. "not @2fa".
#   AUTHCONFORM_PARTITION   optional shard K/N of the suite (`run --partition`, e.g.
#                           2/3 or hash:2/3): one of N runners, each with its own
#                           accounts (shards on the same accounts at once break each
#                           other: a logout of every session, a second factor enabled).
#   AUTHCONFORM_MERGE       a folder holding the reports of every shard (each in a
#                           subfolder, as downloaded artifacts are): merge them into
#                           AUTHCONFORM_REPORTS instead of running (`report merge`);
#                           its exit code is the one one run would have had.
#   AUTHCONFORM_STRICT      set to 1 to fail on the reference server's own choices
#                           too (warnings: error bodies, statuses, headers the
#                           vendors' documents do not give).
#   AUTHCONFORM_LOCK        a lock file: runs of this script on one machine with the
#                           same lock file run one after the other (default: one per
#                           user in $TMPDIR). Runs on different machines against one
#                           deployment are kept apart by the templates'
#                           `concurrency:` (GitHub) and `resource_group:` (GitLab).
#
# Installing authconform when it is not on PATH, the first of:
#   AUTHCONFORM_BINARY_URL  a prebuilt binary (or a .tar.gz holding one), e.g. one
#                           your own release job publishes; AUTHCONFORM_BINARY_SHA256
#                           (required with it) is its SHA-256.
#   AUTHCONFORM_SOURCE      a git URL or a local folder (cargo install --git / --path);
#                           AUTHCONFORM_VERSION, a tag or commit, pins what is built.
#   Both install into AUTHCONFORM_INSTALL_ROOT (default: .authconform/install), which
#   the templates cache under a key that holds AUTHCONFORM_VERSION.
#
# The secrets the target file names as ${VAR} come from the environment.
# Every outcome writes every report (a target that is not ready is an errored
# test case). Under GitHub Actions (GITHUB_ACTIONS=true) failures and warnings
# are also annotations on the target file, and a step summary is written.
# Exit code: 0 conformant, 1 a conformance failure, 2 a usage or set-up problem
# (the target is not ready, the server stopped answering), 130 interrupted.
set -euo pipefail

if [ -z "${AUTHCONFORM_MERGE:-}" ]; then
  : "${AUTHCONFORM_TARGET:?set AUTHCONFORM_TARGET to the target file of the server under test}"
fi
reports="${AUTHCONFORM_REPORTS:-reports}"
install_root="${AUTHCONFORM_INSTALL_ROOT:-.authconform/install}"
case "$install_root" in /*) ;; *) install_root="$PWD/$install_root" ;; esac

# A cached install first.
if ! command -v authconform >/dev/null 2>&1 && [ -x "$install_root/bin/authconform" ]; then
  export PATH="$install_root/bin:$PATH"
fi
if ! command -v authconform >/dev/null 2>&1; then
  mkdir -p "$install_root/bin"
  if [ -n "${AUTHCONFORM_BINARY_URL:-}" ]; then
    : "${AUTHCONFORM_BINARY_SHA256:?set AUTHCONFORM_BINARY_SHA256 to the SHA-256 of AUTHCONFORM_BINARY_URL}"
    download="$(mktemp)"
    curl -fsSL --retry 3 -o "$download" "$AUTHCONFORM_BINARY_URL"
    echo "$AUTHCONFORM_BINARY_SHA256  $download" | sha256sum -c --quiet -
    case "$AUTHCONFORM_BINARY_URL" in
      *.tar.gz | *.tgz)
        unpacked="$(mktemp -d)"
        tar -xzf "$download" -C "$unpacked"
        mv "$(find "$unpacked" -type f -name authconform | head -n1)" "$install_root/bin/authconform"
        ;;
      *) mv "$download" "$install_root/bin/authconform" ;;
    esac
    chmod +x "$install_root/bin/authconform"
  else
    source="${AUTHCONFORM_SOURCE:?authconform is not installed: set AUTHCONFORM_BINARY_URL (a prebuilt binary) or AUTHCONFORM_SOURCE (its git URL or source folder)}"
    if [ -d "$source" ]; then
      cargo install --locked --root "$install_root" --path "$source"
    else
      cargo install --locked --root "$install_root" --git "$source" ${AUTHCONFORM_VERSION:+--rev "$AUTHCONFORM_VERSION"} authconform
    fi
  fi
  export PATH="$install_root/bin:$PATH"
fi
authconform --version

mkdir -p "$reports"
files=(--junit "$reports/authconform-junit.xml"
       --cucumber-json "$reports/authconform-cucumber.json"
       --summary-json "$reports/authconform-summary.json"
       --html "$reports/authconform-report.html")
if [ -n "${AUTHCONFORM_MERGE:-}" ]; then
  status=0
  authconform report merge "$AUTHCONFORM_MERGE" "${files[@]}" || status=$?
  echo "authconform: the shards' reports merged in $reports/ (JUnit: authconform-junit.xml, HTML: authconform-report.html)"
  exit "$status"
fi
args=(run --target "$AUTHCONFORM_TARGET" "${files[@]}")
if [ -n "${AUTHCONFORM_PARTITION:-}" ]; then
  args+=(--partition "$AUTHCONFORM_PARTITION")
fi
if [ -n "${AUTHCONFORM_TAGS:-}" ]; then
  args+=(--tags "$AUTHCONFORM_TAGS")
fi
if [ "${AUTHCONFORM_STRICT:-0}" = 1 ]; then
  args+=(--strict)
fi

lock="${AUTHCONFORM_LOCK:-${TMPDIR:-/tmp}/authconform-$(id -u).lock}"
status=0
if command -v flock >/dev/null 2>&1; then
  # One run at a time against what this machine reaches: a second waits.
  exec 9>"$lock"
  if ! flock -n 9; then
    echo "authconform: another run holds $lock; waiting for it"
    flock 9
  fi
fi
authconform "${args[@]}" || status=$?
echo "authconform: reports in $reports/ (JUnit: authconform-junit.xml, HTML: authconform-report.html)"
exit "$status"
