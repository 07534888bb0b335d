#!/usr/bin/env bash
# Issue #26: the attacks of the 2026-12 reliability audit, in their longer
# forms (the tests run each in seconds), against `authconform serve` and the
# harness. One section per attack; each starts its own servers on loopback
# (127.0.0.1, and 127.0.0.2 as a second source) and stops them by PID.
#
#   bench/attack.sh                 every section
#   bench/attack.sh throttle lacpw  the named sections
#
# Knobs: BIN=path (the binary under test; default: build the release one),
# BASE_BIN=path (also run each section against this binary, the baseline, in
# the same run), SECS (flood length, default 30), CONC (connections, 10),
# ROUNDS (R10 rounds, 5). Needs python3 and wrk. Figures: bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release --bin authconform
  BIN=${CARGO_TARGET_DIR:-target}/release/authconform
fi
export BIN

# run SCRIPT SECTION: bench/SCRIPT SECTION against BIN, then BASE_BIN when set.
run() {
  local script=$1
  shift
  echo "== $1 ($BIN)"
  python3 "bench/$script" "$@" --binary "$BIN"
  if [ -n "${BASE_BIN:-}" ]; then
    echo "== $1 (baseline $BASE_BIN)"
    python3 "bench/$script" "$@" --binary "$BASE_BIN"
  fi
}
both() { run attack.py "$@"; }

# bench/attack_serving.py; SECS is the length of the R4 and R5 floods.
serving() { run attack_serving.py "$@"; }

# --- reference server (issue #26 R6, R7, R8, R10, R13) ----------------------
section_throttle() { both throttle; }   # R7: lockout from another source, aliases, concurrency
section_bignames() { both bignames; }   # R6: RSS after failed logins with 60 KB names
section_pending() { both pending; }     # R8: GET flood of /session/api vs a waiting login
section_lacpw() { both lacpw; }         # R10: 20 concurrent LAC password changes
section_control() { both control; }     # R13: control API Host/Origin, SecretKey reset, warning

# --- the harness against a hostile server (issue #26 R1, R2, R3, R9) --------
section_bigbody() { both bigbody; }         # R1: 2 GB and endless bodies to check and run
section_forms() { both forms; }             # R2: a page of 10,000 / 100,000 forms
section_controlhang() { both controlhang; } # R3: a control_url that hangs or sends 2 GB
section_inject() { both inject; }           # R9: escapes and workflow commands in answers

# --- serving path and token tables (issue #26 R4, R5, R11, R12, R15) --------
section_conns() { serving conns; }             # R4: 512 keep-alive holders, 2,000 silent sockets vs legitimate GETs
section_refresh() { serving refresh; }         # R5: 8 refresh chains flat out vs another account's access-token
section_twofa() { serving twofa; }             # R11: 300 password-only logins vs a 2FA-completed session
section_browserkeys() { serving browserkeys; } # R12: 300 browser logins of one user
section_proto() { serving proto; }             # R15: two Host, 10 GB Content-Length, --max-connections over ulimit -n

ALL="throttle bignames pending lacpw control bigbody forms controlhang inject conns refresh twofa browserkeys proto"
for s in ${@:-$ALL}; do
  "section_$s"
done
