#!/usr/bin/env bash
# bench/throughput.sh: requests/s of the reference server's token-validated route
# (GET /limecraft/api/authentication/user with a Bearer token) against a bare axum
# server returning a constant JSON body (examples/bench_baseline.rs), measured in
# the same run, alternating targets round by round, on loopback only.
#
# Three servers run side by side, each on a free 127.0.0.1 port:
#   baseline  target/release/examples/bench_baseline            GET /baseline
#   ref-info  authconform serve, default log level (info: one line per request,
#             stderr redirected to a file)                      GET .../authentication/user
#   ref-warn  authconform serve with RUST_LOG=warn (no per-request line)
# Each round runs wrk once against each of them, the order rotating from round to
# round; the report gives requests/s per round, the medians
# and the ratios median(ref)/median(baseline) (target: >= 0.8), and beside them
# the CPU time each server process spent per request (from /proc/PID/stat).
#
# VENDOR picks the token-validated route (the credential comes from a login on
# each reference server, or from the fixtures for LiquidFiles' stable key):
#   limecraft    GET /limecraft/api/authentication/user     Authorization: Bearer <session token>
#   lac          GET /lac/rest/default/demo/v1/probe        Authorization: CALiveAPICreator <auth token>:1
#   fileverbs    GET /fileverbs/api/v1/endpoint             Authorization: Bearer <JWT>
#   liquidfiles  GET /liquidfiles/account                   Authorization: Basic <api key>:x
#
# Usage: bench/throughput.sh            (VENDOR=limecraft)
#        for v in limecraft lac fileverbs liquidfiles; do VENDOR=$v bench/throughput.sh; done
# Knobs (environment): VENDOR=limecraft ROUNDS=3 DURATION=5s CONNECTIONS=32 THREADS=1
#                      WARMUP=1s KEEP_LOGS=1 keeps the servers' logs and wrk's raw output.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
WARMUP=${WARMUP:-1s}
TARGET_RATIO=0.8
readonly HOST=127.0.0.1 # never anything else

cd "$(dirname "$0")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
AUTHCONFORM="$TARGET_DIR/release/authconform"
BASELINE="$TARGET_DIR/release/examples/bench_baseline"
VENDOR=${VENDOR:-limecraft}
# USER_PATH: the token-validated route; PROBE_PATH: answers once the server is up.
case "$VENDOR" in
limecraft)
    USER_PATH=/limecraft/api/authentication/user
    PROBE_PATH=/limecraft/api/authentication/login
    ;;
lac)
    USER_PATH=/lac/rest/default/demo/v1/probe
    PROBE_PATH=$USER_PATH
    ;;
fileverbs)
    USER_PATH=/fileverbs/api/v1/endpoint
    PROBE_PATH=$USER_PATH
    ;;
liquidfiles)
    USER_PATH=/liquidfiles/account
    PROBE_PATH=$USER_PATH
    ;;
*)
    echo "throughput.sh: VENDOR must be limecraft, lac, fileverbs or liquidfiles" >&2
    exit 1
    ;;
esac

die() {
    echo "throughput.sh: $*" >&2
    exit 1
}

# ---- tools -----------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk is missing: installing it with apt-get" >&2
    [ "$(id -u)" -eq 0 ] || die "wrk is missing and this is not root: apt-get install -y wrk"
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
command -v curl >/dev/null 2>&1 || die "curl is required"

# ---- build -----------------------------------------------------------------
cargo build --release --bin authconform --example bench_baseline
[ -x "$AUTHCONFORM" ] || die "$AUTHCONFORM was not built"
[ -x "$BASELINE" ] || die "$BASELINE was not built"

# ---- servers, cleaned up on any exit ---------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/authconform-bench.XXXXXX")
PIDS=()
WRK_PID=
cleanup() {
    local pid
    for pid in $WRK_PID "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $WRK_PID "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "${KEEP_LOGS:-0}" = 1 ]; then
        echo "logs and raw wrk output kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nothing on loopback listens on now (the server may still lose a race
# for it; start_server then tries another).
pick_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free loopback port found"
}

# start_server NAME PROBE_PATH LOGFILE CMD... (CMD gets the address appended as
# "$HOST:PORT" through the placeholder @ADDR@). Sets STARTED_PORT and STARTED_PID.
start_server() {
    local name=$1 probe=$2 log=$3
    shift 3
    local attempt port pid args a
    for attempt in 1 2 3 4 5; do
        port=$(pick_port)
        args=()
        for a in "$@"; do args+=("${a//@ADDR@/$HOST:$port}"); done
        "${args[@]}" >>"$log" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do
            if ! kill -0 "$pid" 2>/dev/null; then
                break # exited: port taken, try another
            fi
            if curl -s -o /dev/null --max-time 1 "http://$HOST:$port$probe"; then
                PIDS+=("$pid")
                STARTED_PORT=$port STARTED_PID=$pid
                echo "started $name on $HOST:$port (pid $pid)"
                return 0
            fi
            sleep 0.1
        done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        echo "$name did not start on port $port (attempt $attempt); see $log" >&2
    done
    tail -5 "$log" >&2 || true
    die "could not start $name"
}

# json_field NAME: the string value of NAME in the JSON on stdin.
json_field() { sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p"; }

# login PORT: logs in on the reference server at PORT as the vendor's seeded
# alice and prints the whole Authorization header value for USER_PATH, after
# checking it gives 200 there.
login() {
    local port=$1 body auth
    case "$VENDOR" in
    limecraft)
        body=$(curl -s --max-time 5 -X POST "http://$HOST:$port/limecraft/api/authentication/login" \
            -H 'content-type: application/json' \
            -d '{"username":"alice","password":"alice-Pa55word"}')
        auth="Bearer $(printf '%s' "$body" | json_field token)"
        ;;
    lac)
        body=$(curl -s --max-time 5 -X POST "http://$HOST:$port/lac/rest/default/demo/v1/@authentication" \
            -H 'content-type: application/json' \
            -d '{"username":"alice","password":"alice-Pa55word"}')
        auth="CALiveAPICreator $(printf '%s' "$body" | json_field apikey):1"
        ;;
    fileverbs)
        body=$(curl -s --max-time 5 -X POST "http://$HOST:$port/fileverbs/api/v1/accounts/access-token" \
            -H 'content-type: application/json' \
            -d '{"SecretKey":"fv-secret-alice-7Qm2vX9kL4pR8sT1","APIKey":"fv-api-alice-3Hn6bW0cJ5yZ2dF7"}')
        auth="Bearer $(printf '%s' "$body" | json_field JwtToken)"
        ;;
    liquidfiles)
        # The stable key of the XML documentation's example account (fixtures).
        body=$(printf '4i1Rkf3pkxu0OCRuSuTMqE:x' | base64)
        auth="Basic $body"
        ;;
    esac
    case "$auth" in *" " | *" :1") die "login on port $port failed: $body" ;; esac
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
        -H "Authorization: $auth" "http://$HOST:$port$USER_PATH")
    [ "$status" = 200 ] || die "GET $USER_PATH with the credential answered $status on port $port"
    printf '%s' "$auth"
}

start_server baseline /baseline "$WORK/baseline.log" \
    "$BASELINE" @ADDR@
PORT_BASE=$STARTED_PORT PID_BASE=$STARTED_PID
# Default log level: RUST_LOG unset, so `serve` logs at info (one line per request).
start_server ref-info "$PROBE_PATH" "$WORK/ref-info.log" \
    env -u RUST_LOG "$AUTHCONFORM" serve --addr @ADDR@ --hash-cost test
PORT_INFO=$STARTED_PORT PID_INFO=$STARTED_PID
start_server ref-warn "$PROBE_PATH" "$WORK/ref-warn.log" \
    env RUST_LOG=warn "$AUTHCONFORM" serve --addr @ADDR@ --hash-cost test
PORT_WARN=$STARTED_PORT PID_WARN=$STARTED_PID

TOKEN_INFO=$(login "$PORT_INFO")
TOKEN_WARN=$(login "$PORT_WARN")

# ---- measuring -------------------------------------------------------------
HZ=$(getconf CLK_TCK)
# CPU time (user + system, in clock ticks) a process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# measure LABEL PID DURATION URL [AUTHORIZATION]: one wrk run; sets RPS (requests/s) and
# CPU_US (CPU time the server process spent per request, in microseconds: less
# sensitive than requests/s to other load on a shared machine).
measure() {
    local label=$1 pid=$2 duration=$3 url=$4 token=${5:-} out t0 t1 reqs
    out="$WORK/wrk-$label.txt"
    case "$url" in "http://$HOST:"*) ;; *) die "refusing to target $url" ;; esac
    local auth=()
    [ -z "$token" ] || auth=(-H "Authorization: $token")
    t0=$(cpu_ticks "$pid")
    # In the background with `wait`, so that a signal runs the trap at once.
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --timeout 5s "${auth[@]}" "$url" >"$out" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || { cat "$out" >&2; die "$label: wrk failed"; }
    WRK_PID=
    t1=$(cpu_ticks "$pid")
    if grep -q 'Non-2xx or 3xx responses' "$out"; then
        cat "$out" >&2
        die "$label: some responses were not 2xx; the figures would be meaningless"
    fi
    if grep -q 'Socket errors' "$out"; then
        echo "warning: $label: $(grep 'Socket errors' "$out")" >&2
    fi
    RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
    reqs=$(awk '/ requests in / { print $1 }' "$out")
    [ -n "$RPS" ] && [ -n "$reqs" ] && [ "$reqs" -gt 0 ] || { cat "$out" >&2; die "$label: no requests measured"; }
    CPU_US=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
}

# median FORMAT VALUE... (the mean of the middle two for an even count)
median() {
    local fmt=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v f="$fmt" '{ v[NR] = $1 } END {
        printf f, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

URL_BASE="http://$HOST:$PORT_BASE/baseline"
URL_INFO="http://$HOST:$PORT_INFO$USER_PATH"
URL_WARN="http://$HOST:$PORT_WARN$USER_PATH"

echo
echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "vendor $VENDOR: GET $USER_PATH"
echo "wrk $(wrk --version 2>&1 | head -1 | awk '{ print $2 }'): -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds, warm-up $WARMUP each"
measure warmup-base "$PID_BASE" "$WARMUP" "$URL_BASE"
measure warmup-info "$PID_INFO" "$WARMUP" "$URL_INFO" "$TOKEN_INFO"
measure warmup-warn "$PID_WARN" "$WARMUP" "$URL_WARN" "$TOKEN_WARN"

BASE=() INFO=() WARN=() R_INFO=() R_WARN=()
CPU_BASE=() CPU_INFO=() CPU_WARN=()
echo
echo "requests/s (ratio: ref / baseline of the same round)      server CPU us/request"
printf '%-6s %9s %9s %9s %9s %9s   %8s %8s %8s\n' \
    round baseline ref-info ref-warn info/base warn/base baseline ref-info ref-warn
# measure_target base|info|warn ROUND: one measurement, appended to that target's lists.
measure_target() {
    case "$1" in
    base)
        measure "base-$2" "$PID_BASE" "$DURATION" "$URL_BASE"
        BASE+=("$RPS") CPU_BASE+=("$CPU_US")
        ;;
    info)
        measure "info-$2" "$PID_INFO" "$DURATION" "$URL_INFO" "$TOKEN_INFO"
        INFO+=("$RPS") CPU_INFO+=("$CPU_US")
        ;;
    warn)
        measure "warn-$2" "$PID_WARN" "$DURATION" "$URL_WARN" "$TOKEN_WARN"
        WARN+=("$RPS") CPU_WARN+=("$CPU_US")
        ;;
    esac
}

# The order rotates each round (base info warn, info warn base, warn base info, ...)
# so that no target always runs first or last after the same neighbour.
ORDER=(base info warn)
for round in $(seq 1 "$ROUNDS"); do
    for k in 0 1 2; do
        measure_target "${ORDER[$(((round - 1 + k) % 3))]}" "$round"
    done
    R_INFO+=("$(ratio "${INFO[-1]}" "${BASE[-1]}")")
    R_WARN+=("$(ratio "${WARN[-1]}" "${BASE[-1]}")")
    printf '%-6s %9s %9s %9s %9s %9s   %8s %8s %8s\n' "$round" \
        "${BASE[-1]}" "${INFO[-1]}" "${WARN[-1]}" "${R_INFO[-1]}" "${R_WARN[-1]}" \
        "${CPU_BASE[-1]}" "${CPU_INFO[-1]}" "${CPU_WARN[-1]}"
done

MB=$(median %.0f "${BASE[@]}")
MI=$(median %.0f "${INFO[@]}")
MW=$(median %.0f "${WARN[@]}")
CB=$(median %.1f "${CPU_BASE[@]}")
CI=$(median %.1f "${CPU_INFO[@]}")
CW=$(median %.1f "${CPU_WARN[@]}")
printf '%-6s %9s %9s %9s %9s %9s   %8s %8s %8s\n' median "$MB" "$MI" "$MW" \
    "$(median %.3f "${R_INFO[@]}")" "$(median %.3f "${R_WARN[@]}")" "$CB" "$CI" "$CW"

RI=$(ratio "$MI" "$MB")
RW=$(ratio "$MW" "$MB")
verdict() { awk -v r="$1" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? "meets" : "BELOW" }'; }
echo
echo "(median row, ratio columns: medians of the per-round ratios)"
echo "ratio of medians, default log level (info): $RI  ($(verdict "$RI") the ${TARGET_RATIO}x target)"
echo "ratio of medians, RUST_LOG=warn:            $RW  ($(verdict "$RW") the ${TARGET_RATIO}x target)"
echo "server CPU per request vs baseline: info $(ratio "$CI" "$CB")x, warn $(ratio "$CW" "$CB")x"
echo "request log written by ref-info: $(wc -l <"$WORK/ref-info.log") lines, $(du -h "$WORK/ref-info.log" | cut -f1)"
