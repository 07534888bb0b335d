#!/usr/bin/env bash
# bench/many_targets.sh: one run checking N deployments (`run --target … ×N`)
# against one run checking one, in the same hyperfine session (issue #16 item 3).
#
# Each deployment is its own `authconform serve --test-mode --latency MS`
# (every request answered MS later: a distant server on loopback) with the
# Limecraft suite's target file. The baseline is one target alone; the
# question is how close N targets at --jobs N come to it (goal: close to 1×,
# not N×). A run with --jobs 1 (one target after the other) is measured once
# to show the sequential cost.
#
# Usage: bench/many_targets.sh
# Knobs (environment): TARGETS=8 LATENCY_MS=50 RUNS=3 SEQUENTIAL=1
set -euo pipefail

TARGETS=${TARGETS:-8}
LATENCY_MS=${LATENCY_MS:-50}
RUNS=${RUNS:-3}
SEQUENTIAL=${SEQUENTIAL:-1}

cd "$(dirname "$0")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/release/authconform"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac

die() {
    echo "many_targets.sh: $*" >&2
    exit 1
}

command -v hyperfine >/dev/null 2>&1 || die "hyperfine is missing: apt-get install -y hyperfine"
cargo build --release --bin authconform
[ -x "$BIN" ] || die "$BIN was not built"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/authconform-many.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

targets=()
for i in $(seq 1 "$TARGETS"); do
    log="$WORK/serve-$i.log"
    "$BIN" serve --addr 127.0.0.1:0 --hash-cost test --test-mode --latency "$LATENCY_MS" 2>"$log" &
    PIDS+=("$!")
    root=""
    for _ in $(seq 1 100); do
        root="$(grep -o 'http://127.0.0.1:[0-9]*/limecraft/api' "$log" | head -n1 | sed 's|/limecraft/api$||' || true)"
        [ -n "$root" ] && break
        sleep 0.1
    done
    [ -n "$root" ] || die "server $i did not start: $(cat "$log")"
    file="$WORK/site-$i.target.yaml"
    cat >"$file" <<EOF
vendor: limecraft
base_url: $root/limecraft/api
control_url: $root
timeout_seconds: 10
users:
  primary: { username: alice, password: alice-Pa55word }
  secondary: { username: bob, password: bob-Pa55word }
  twofactor: { username: carol, password: carol-Pa55word }
EOF
    targets+=(--target "$file")
done

# One state file for every run: a run enrols carol's second factor on a
# server and remembers its secret there (issue #11), so the next run signs on
# with it, as a pipeline's runs do. Every run must pass before its time means
# anything.
STATE="$WORK/state.json"
"$BIN" run --quiet --state "$STATE" "${targets[@]}" >/dev/null \
    || die "the run of $TARGETS targets failed; fix the suite first"

hyperfine --style basic --runs "$RUNS" \
    --command-name "1 target" \
    "$BIN run --quiet --state $STATE --target $WORK/site-1.target.yaml" \
    --command-name "$TARGETS targets, --jobs $TARGETS" \
    "$BIN run --quiet --state $STATE --jobs $TARGETS ${targets[*]}" \
    --export-markdown "$WORK/result.md"
cat "$WORK/result.md"
if [ "$SEQUENTIAL" = 1 ]; then
    hyperfine --style basic --runs 1 --command-name "$TARGETS targets, --jobs 1" \
        "$BIN run --quiet --state $STATE --jobs 1 ${targets[*]}"
fi
