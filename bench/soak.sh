#!/usr/bin/env bash
# Soak: mixed traffic of all four vendors against `authconform serve` (production
# Argon2 cost) for DURATION seconds, then checks that the counts reconcile
# (every request sent got an answer, none a 5xx other than 503, the server's
# request log saw every answered request, lines dropped counted) and that the
# resident memory came back near its level before the load.
# Loopback only: the server binds 127.0.0.1 and nothing else is ever targeted.
# Knobs: DURATION=180 WORKERS=16 SETTLE=10 RSS_SLACK_MIB=64
set -euo pipefail
DURATION=${DURATION:-180}
WORKERS=${WORKERS:-16}
SETTLE=${SETTLE:-10}
RSS_SLACK_MIB=${RSS_SLACK_MIB:-64}
cd "$(dirname "$0")/.."
cargo build --release --bin authconform
BIN=${CARGO_TARGET_DIR:-target}/release/authconform
WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --addr "127.0.0.1:$PORT" 2>"$WORK/server.log" &
PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 50); do curl -s -o /dev/null "$URL/" && break; sleep 0.2; done
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$PID/status"; }
BEFORE=$(rss)

# One worker: a mix of calls of every vendor, until the deadline.
worker() {
  local end=$(( $(date +%s) + DURATION )) n=0
  while [ "$(date +%s)" -lt "$end" ] && [ "$n" -lt 100000 ]; do
    n=$((n + 1))
    case $((n % 8)) in
      0) curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
           -d '{"username":"alice","password":"alice-Pa55word"}' "$URL/limecraft/api/authentication/login" ;;
      1) curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
           -d "{\"username\":\"alice\",\"password\":\"wrong-$n\"}" "$URL/limecraft/api/authentication/login" ;;
      2) curl -s -o /dev/null -w '%{http_code}\n' -H 'Authorization: Bearer nope' "$URL/limecraft/api/authentication/user" ;;
      3) curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
           -d '{"secretKey":"eyJhbGci...","apiKey":"jgJhbSag..."}' "$URL/fileverbs/api/v1/accounts/access-token" ;;
      4) curl -s -o /dev/null -w '%{http_code}\n' -H 'Authorization: Bearer nope' "$URL/fileverbs/api/v1/endpoint" ;;
      5) curl -s -o /dev/null -w '%{http_code}\n' "$URL/lac/rest/default/demo/v1/probe" ;;
      6) curl -s -o /dev/null -w '%{http_code}\n' "$URL/liquidfiles/account" ;;
      7) curl -s -o /dev/null -w '%{http_code}\n' "$URL/liquidfiles/$(head -c 3000 /dev/zero | tr '\0' p)" ;;
    esac
  done
}
export -f worker; export URL DURATION
START=$(date +%s)
PEAK=$BEFORE
WPIDS=()
for i in $(seq "$WORKERS"); do worker > "$WORK/codes.$i" & WPIDS+=($!); done
alive() { for p in "${WPIDS[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while alive && [ $(( $(date +%s) - START )) -le $((DURATION + 60)) ]; do
  now=$(rss); [ "$now" -gt "$PEAK" ] && PEAK=$now; sleep 1
done
wait "${WPIDS[@]}" 2>/dev/null || true
sleep "$SETTLE"
AFTER=$(rss)
SENT=$(cat "$WORK"/codes.* | wc -l)
FAILED=$(cat "$WORK"/codes.* | grep -c '^000' || true)
FIVE=$(cat "$WORK"/codes.* | grep '^5' | grep -vc '^503' || true)
kill -TERM "$PID"; wait "$PID" || true
# Request lines, less the readiness probes on `/`.
LOGGED=$(grep -cE ' (GET|POST) /[a-z]' "$WORK/server.log" || true)
DROPPED=$({ grep -oE 'log: [0-9]+ line' "$WORK/server.log" || true; } | awk '{s+=$2} END {print s+0}')
echo "requests sent: $SENT  no answer: $FAILED  5xx other than 503: $FIVE"
cat "$WORK"/codes.* | sort | uniq -c | sort -rn
echo "server log lines: $LOGGED  dropped (reported): $DROPPED  (sent - unanswered = $((SENT - FAILED)))"
echo "RSS MiB: before $BEFORE  peak $PEAK  after ${SETTLE}s $AFTER"
ok=1
[ "$FAILED" -eq 0 ] || { echo "FAIL: unanswered requests"; ok=0; }
[ "$FIVE" -eq 0 ] || { echo "FAIL: 5xx answers"; ok=0; }
[ $((LOGGED + DROPPED)) -eq $((SENT - FAILED)) ] || { echo "FAIL: log lines + dropped != answered"; ok=0; }
[ "$AFTER" -le $((BEFORE + RSS_SLACK_MIB)) ] || { echo "FAIL: memory did not come back (slack $RSS_SLACK_MIB MiB)"; ok=0; }
[ "$ok" -eq 1 ] && echo "soak: OK" || exit 1
