#!/usr/bin/env bash
# Soak (issue #12 item 7): mixed traffic of all four vendors against
# `authconform serve` for DURATION seconds (bench/soak.py: logins, token use,
# logouts, disables, refreshes, revocations, carol's TOTP logins), then checks
# that the counts reconcile: every ended token refused, every kept one working,
# no unexpected answer, request-log lines + dropped lines = answered requests,
# and resident memory back near its level before the load. Exits 1 otherwise.
# Loopback only: the server binds 127.0.0.1 and nothing else is ever targeted.
# Knobs: DURATION=180 WORKERS=8 SETTLE=10 RSS_SLACK_MIB=64 HASH_COST=owasp
# BIN=path soaks that authconform binary instead of building the release one.
set -euo pipefail
DURATION=${DURATION:-180}
WORKERS=${WORKERS:-8}
SETTLE=${SETTLE:-10}
RSS_SLACK_MIB=${RSS_SLACK_MIB:-64}
HASH_COST=${HASH_COST:-owasp}
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release --bin authconform
  BIN=${CARGO_TARGET_DIR:-target}/release/authconform
fi
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --addr "127.0.0.1:$PORT" --hash-cost "$HASH_COST" 2>"$WORK/server.log" &
PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -s -o /dev/null "$URL/" && break; sleep 0.2; done
echo "serve --hash-cost $HASH_COST on $URL (pid $PID); $WORKERS workers for ${DURATION}s"
ok=1
python3 bench/soak.py --url "$URL" --pid "$PID" --duration "$DURATION" --workers "$WORKERS" \
  --settle "$SETTLE" --rss-slack-mib "$RSS_SLACK_MIB" --answered-file "$WORK/answered" || ok=0
kill -TERM "$PID"; wait "$PID" || true; PID=
# Request lines, less the readiness probes on `/`.
LOGGED=$(grep -cE ' (GET|POST) /[a-z]' "$WORK/server.log" || true)
DROPPED=$({ grep -oE 'log: [0-9]+ line' "$WORK/server.log" || true; } | awk '{s+=$2} END {print s+0}')
ANSWERED=$(cat "$WORK/answered" 2>/dev/null || echo 0)
echo "server log lines: $LOGGED  dropped (reported): $DROPPED  answered: $ANSWERED"
[ $((LOGGED + DROPPED)) -eq "$ANSWERED" ] || { echo "FAIL: log lines + dropped != answered"; ok=0; }
if grep -qiE 'panick|error' "$WORK/server.log"; then
  echo "FAIL: the server logged:"; grep -iE 'panick|error' "$WORK/server.log" | head -5; ok=0
fi
[ "$ok" -eq 1 ] && echo "soak: OK" || { echo "soak: FAILED"; exit 1; }
