#!/usr/bin/env bash
# bench/suite_walltime.sh: wall time of the whole conformance suite against the
# in-process reference server (`authconform run --quiet`), measured by hyperfine
# in the same run as a baseline, `authconform faults` (parses its arguments,
# builds the runtime, prints a table and exits: the cost of starting the process).
# Target: the suite under 0.5 s (issue #16 item 4).
#
# Usage: bench/suite_walltime.sh
# Knobs (environment): WARMUP=2 RUNS=10
set -euo pipefail

WARMUP=${WARMUP:-2}
RUNS=${RUNS:-10}

cd "$(dirname "$0")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/release/authconform"
case "$BIN" in /*) ;; *) BIN="./$BIN" ;; esac

die() {
    echo "suite_walltime.sh: $*" >&2
    exit 1
}

if ! command -v hyperfine >/dev/null 2>&1; then
    echo "hyperfine is missing: installing it with apt-get" >&2
    [ "$(id -u)" -eq 0 ] || die "hyperfine is missing and this is not root: apt-get install -y hyperfine"
    apt-get install -y hyperfine >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }
fi

cargo build --release --bin authconform
[ -x "$BIN" ] || die "$BIN was not built"

# The suite must pass before its time means anything (hyperfine also stops on a
# non-zero exit code).
"$BIN" run --quiet >/dev/null || die "'$BIN run --quiet' failed; fix the suite first"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/authconform-walltime.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
# -N (no intermediate shell): both commands are plain argument lists, and the
# baseline takes only a few ms, below what hyperfine can correct a shell for.
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
    --export-markdown "$WORK/walltime.md" --export-json "$WORK/walltime.json" \
    "$BIN faults" \
    "$BIN run --quiet"
echo
cat "$WORK/walltime.md"
# Medians (hyperfine's table gives means); its JSON lists "median" once per command.
mapfile -t MEDIANS < <(grep -o '"median": *[0-9.e+-]*' "$WORK/walltime.json" | awk '{ printf "%.1f\n", $2 * 1000 }')
[ "${#MEDIANS[@]}" -eq 2 ] || die "could not read the medians from hyperfine's JSON"
echo
echo "median wall time: faults (process start) ${MEDIANS[0]} ms, run --quiet (whole suite) ${MEDIANS[1]} ms"
awk -v s="${MEDIANS[1]}" 'BEGIN { printf "suite: %s the 0.5 s target (%.0f%% of it)\n", (s < 500) ? "meets" : "MISSES", s / 5 }'
