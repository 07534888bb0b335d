#!/usr/bin/env bash
# bench/noclock.sh: wall time of the Limecraft suite against a target without
# clock control (issue #24 item 4), where each TOTP code the server accepts
# makes the next code of that key wait for a new 30 s period.
#
# A separate `authconform serve` (no control_url in the target file, so the
# suite cannot move its clock), a fresh state file, then:
#   run 1  a first run (the suite enables carol's 2FA);
#   run 2  right after it (the state file's last accepted step makes it wait
#          for a period the first run did not use);
#   run 3  GAP seconds later, as a pipeline's next push would.
# Each line: the run, its wall time, the waits it announced, its verdict line.
# The time is mostly waiting, so it depends on where in a 30 s period a run
# starts: run it a few times before reading one figure.
#
# Usage: bench/noclock.sh
# Knobs (environment): GAP=35 SWITCHES="" (e.g. "limecraft.code-window=0")
set -euo pipefail

GAP=${GAP:-35}
SWITCHES=${SWITCHES:-}

cd "$(dirname "$0")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/release/authconform"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
REPO=$PWD

cargo build --release --bin authconform
WORK=$(mktemp -d "${TMPDIR:-/tmp}/authconform-noclock.XXXXXX")
PORT=$((20000 + RANDOM % 20000))
args=(serve --addr "127.0.0.1:$PORT" --hash-cost test)
for s in $SWITCHES; do args+=(--switch "$s"); done
"$BIN" "${args[@]}" >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
    grep -q "Limecraft Flow at" "$WORK/serve.log" && break
    sleep 0.1
done

# Every account the reference fixtures give (support: LC30 and LC31, which
# enable 2FA for carol too; locked and disabled: LC5, LC6), no control_url.
cat >"$WORK/target.yaml" <<EOF
vendor: limecraft
base_url: http://127.0.0.1:$PORT/limecraft/api
timeout_seconds: 10
users:
  primary: { username: alice, password: alice-Pa55word }
  secondary: { username: bob, password: bob-Pa55word }
  twofactor: { username: carol, password: carol-Pa55word }
  locked: { username: dave, password: dave-Pa55word }
  disabled: { username: erin, password: erin-Pa55word }
  support: { username: sam, password: sam-Pa55word }
EOF

cd "$WORK"
one() {
    local start end out
    start=$(date +%s.%N)
    out=$("$BIN" run --target "$WORK/target.yaml" 2>&1 || true)
    end=$(date +%s.%N)
    printf '%-6s %6.1f s  waits: %s  %s\n' "$1" "$(echo "$end - $start" | bc)" \
        "$(grep -o 'waiting [0-9]* s' <<<"$out" | awk '{print $2}' | paste -sd+ - | sed 's/^$/none/')" \
        "$(grep -E '^[0-9]+ passed' <<<"$out")"
}
echo "switches: ${SWITCHES:-defaults}"
one "run 1"
one "run 2"
sleep "$GAP"
one "run 3"
