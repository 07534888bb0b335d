#!/usr/bin/env bash
# bench/throughput.sh: requests/s of the reference server's token-validated route
# of every vendor against two baselines measured in the same run, alternating
# targets round by round, on loopback only (issue #24 item 1).
#
# Targets, each on a free 127.0.0.1 port:
#   bare      examples/bench_baseline: GET /baseline, a constant {"status":"ok"}
#   ideal     the same process: per vendor, the route as a hand-written axum
#             route serves it (same credential-check shape, a HashMap lookup or
#             FileVerbs' HS256 JWT; the same answer bytes as the reference server)
#   info      authconform serve, default log level (info: one line per request,
#             stderr redirected to a file)
#   warn      authconform serve with RUST_LOG=warn (no per-request line)
#   extra     EXTRA="name=/path/to/authconform ..." adds other builds, each run
#             like `info` (A/B of a change in one session)
# Each round measures every (vendor, target) once with wrk, the target order
# rotating from round to round; the report gives per vendor the medians of the
# rounds, the ratios median(target) / median(ideal) (the goal: info >= 0.9) and
# the CPU time each server process spent per request (from /proc/PID/stat),
# which is less sensitive than requests/s to other load on the machine.
#
# VENDORS picks the routes (the credential comes from a login on each
# reference server, or from the fixtures for LiquidFiles' stable key):
#   limecraft    GET /limecraft/api/authentication/user     Authorization: Bearer <session token>
#   lac          GET /lac/rest/default/demo/v1/probe        Authorization: CALiveAPICreator <auth token>:1
#   fileverbs    GET /fileverbs/api/v1/endpoint             Authorization: Bearer <JWT>
#   liquidfiles  GET /liquidfiles/account                   Authorization: Basic <api key>:x
#
# Usage: bench/throughput.sh
# Knobs (environment): VENDORS="limecraft lac fileverbs liquidfiles" ROUNDS=5
#                      DURATION=5s CONNECTIONS=32 THREADS=1 WARMUP=1s
#                      EXTRA="name=path ..." KEEP_LOGS=1 (keep logs and wrk output)
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
WARMUP=${WARMUP:-1s}
VENDORS=${VENDORS:-limecraft lac fileverbs liquidfiles}
EXTRA=${EXTRA:-}
TARGET_RATIO=0.9
readonly HOST=127.0.0.1 # never anything else

cd "$(dirname "$0")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
AUTHCONFORM="$TARGET_DIR/release/authconform"
BASELINE="$TARGET_DIR/release/examples/bench_baseline"

die() {
    echo "throughput.sh: $*" >&2
    exit 1
}

# route VENDOR: the token-validated route.
route() {
    case "$1" in
    limecraft) echo /limecraft/api/authentication/user ;;
    lac) echo /lac/rest/default/demo/v1/probe ;;
    fileverbs) echo /fileverbs/api/v1/endpoint ;;
    liquidfiles) echo /liquidfiles/account ;;
    *) die "VENDORS: $1 is not limecraft, lac, fileverbs or liquidfiles" ;;
    esac
}
for v in $VENDORS; do route "$v" >/dev/null; done

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

# start_server NAME PROBE_PATH LOGFILE CMD... (the placeholder @ADDR@ in CMD
# becomes "$HOST:PORT"). Sets STARTED_PORT and STARTED_PID.
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

# credential VENDOR PORT: signs on as the vendor's seeded alice on the reference
# server at PORT and prints the whole Authorization value for the vendor's route.
credential() {
    local vendor=$1 port=$2 body
    case "$vendor" in
    limecraft)
        body=$(curl -s --max-time 5 -X POST "http://$HOST:$port/limecraft/api/authentication/login" \
            -H 'content-type: application/json' \
            -d '{"username":"alice","password":"alice-Pa55word"}')
        printf 'Bearer %s' "$(printf '%s' "$body" | json_field token)"
        ;;
    lac)
        body=$(curl -s --max-time 5 -X POST "http://$HOST:$port/lac/rest/default/demo/v1/@authentication" \
            -H 'content-type: application/json' \
            -d '{"username":"alice","password":"alice-Pa55word"}')
        printf 'CALiveAPICreator %s:1' "$(printf '%s' "$body" | json_field apikey)"
        ;;
    fileverbs)
        body=$(curl -s --max-time 5 -X POST "http://$HOST:$port/fileverbs/api/v1/accounts/access-token" \
            -H 'content-type: application/json' \
            -d '{"SecretKey":"fv-secret-alice-7Qm2vX9kL4pR8sT1","APIKey":"fv-api-alice-3Hn6bW0cJ5yZ2dF7"}')
        printf 'Bearer %s' "$(printf '%s' "$body" | json_field JwtToken)"
        ;;
    liquidfiles)
        # The stable key of the XML documentation's example account (fixtures).
        printf 'Basic %s' "$(printf '4i1Rkf3pkxu0OCRuSuTMqE:x' | base64)"
        ;;
    esac
}

# check_200 URL AUTH: the credential must give 200 (measuring 401s would be meaningless).
check_200() {
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: $2" "$1")
    [ "$status" = 200 ] || die "GET $1 with the credential answered $status"
}

# The reference servers (all vendors each): the default level, warn, extras.
REF_NAMES=(info warn)
start_server info /lac/rest/default/demo/v1/@license "$WORK/info.log" \
    env -u RUST_LOG "$AUTHCONFORM" serve --addr @ADDR@ --hash-cost test
declare -A PORT PID
PORT[info]=$STARTED_PORT PID[info]=$STARTED_PID
start_server warn /lac/rest/default/demo/v1/@license "$WORK/warn.log" \
    env RUST_LOG=warn "$AUTHCONFORM" serve --addr @ADDR@ --hash-cost test
PORT[warn]=$STARTED_PORT PID[warn]=$STARTED_PID
for spec in $EXTRA; do
    name=${spec%%=*} bin=${spec#*=}
    [ -x "$bin" ] || die "EXTRA: $bin is not an executable"
    start_server "$name" /lac/rest/default/demo/v1/@license "$WORK/$name.log" \
        env -u RUST_LOG "$bin" serve --addr @ADDR@ --hash-cost test
    PORT[$name]=$STARTED_PORT PID[$name]=$STARTED_PID
    REF_NAMES+=("$name")
done

# Credentials per (vendor, reference server); the ideal route's files from `info`.
declare -A AUTH
IDEAL_DIR="$WORK/ideal"
mkdir -p "$IDEAL_DIR"
for v in $VENDORS; do
    path=$(route "$v")
    for name in "${REF_NAMES[@]}"; do
        AUTH[$v,$name]=$(credential "$v" "${PORT[$name]}")
        check_200 "http://$HOST:${PORT[$name]}$path" "${AUTH[$v,$name]}"
    done
    printf '%s\n' "$path" >"$IDEAL_DIR/$v.path"
    printf '%s\n' "${AUTH[$v,info]}" >"$IDEAL_DIR/$v.auth"
    curl -s --max-time 5 -o "$IDEAL_DIR/$v.body" -w '%{content_type}\n' \
        -H "Authorization: ${AUTH[$v,info]}" "http://$HOST:${PORT[info]}$path" >"$IDEAL_DIR/$v.type"
done

start_server baseline /baseline "$WORK/baseline.log" "$BASELINE" @ADDR@ "$IDEAL_DIR"
PORT[bare]=$STARTED_PORT PID[bare]=$STARTED_PID
PORT[ideal]=$STARTED_PORT PID[ideal]=$STARTED_PID
for v in $VENDORS; do
    AUTH[$v,ideal]=$(cat "$IDEAL_DIR/$v.auth.ideal")
    check_200 "http://$HOST:${PORT[ideal]}$(route "$v")" "${AUTH[$v,ideal]}"
    # The ideal answers the reference server's bytes.
    curl -s --max-time 5 -o "$IDEAL_DIR/$v.body.ideal" -H "Authorization: ${AUTH[$v,ideal]}" \
        "http://$HOST:${PORT[ideal]}$(route "$v")"
    cmp -s "$IDEAL_DIR/$v.body" "$IDEAL_DIR/$v.body.ideal" || die "$v: the ideal route's body differs"
done
TARGETS=(bare ideal "${REF_NAMES[@]}")

# ---- measuring -------------------------------------------------------------
HZ=$(getconf CLK_TCK)
# CPU time (user + system, in clock ticks) a process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# measure LABEL PID DURATION URL [AUTHORIZATION]: one wrk run; sets RPS (requests/s)
# and CPU_US (CPU time the server process spent per request, in microseconds).
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

# measure_target VENDOR TARGET LABEL DURATION: one measurement, appended to RPS_ and CPU_ of the pair.
declare -A RPS_ALL CPU_ALL
measure_target() {
    local v=$1 t=$2 label=$3 duration=$4 url
    if [ "$t" = bare ]; then
        measure "$label" "${PID[bare]}" "$duration" "http://$HOST:${PORT[bare]}/baseline"
    else
        measure "$label" "${PID[$t]}" "$duration" "http://$HOST:${PORT[$t]}$(route "$v")" "${AUTH[$v,$t]}"
    fi
    RPS_ALL[$v,$t]="${RPS_ALL[$v,$t]:-} $RPS"
    CPU_ALL[$v,$t]="${CPU_ALL[$v,$t]:-} $CPU_US"
}

echo
echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); targets: ${TARGETS[*]}; vendors: $VENDORS"
echo "wrk $(wrk --version 2>&1 | head -1 | awk '{ print $2 }'): -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds, warm-up $WARMUP each"
for v in $VENDORS; do
    for t in "${TARGETS[@]}"; do
        measure "warmup-$v-$t" "${PID[$t]}" "$WARMUP" "http://$HOST:${PORT[$t]}$( [ "$t" = bare ] && echo /baseline || route "$v")" \
            "$( [ "$t" = bare ] || echo "${AUTH[$v,$t]}")"
    done
done

# Each round: every vendor, every target; the target order rotates each round
# so that no target always runs first or last after the same neighbour.
n=${#TARGETS[@]}
for round in $(seq 1 "$ROUNDS"); do
    line="round $round:"
    for v in $VENDORS; do
        for k in $(seq 0 $((n - 1))); do
            t=${TARGETS[$(((round - 1 + k) % n))]}
            measure_target "$v" "$t" "$v-$t-$round" "$DURATION"
            line="$line $v/$t=$RPS"
        done
    done
    echo "$line (load $(cut -d' ' -f1 /proc/loadavg))"
done

echo
echo "medians of $ROUNDS rounds: requests/s (ratio: median / median of ideal), server CPU us/request"
printf '%-12s' vendor
for t in "${TARGETS[@]}"; do printf ' %9s' "$t"; done
for t in "${TARGETS[@]}"; do [ "$t" = ideal ] || printf ' %9s' "$t/ideal"; done
for t in "${TARGETS[@]}"; do printf ' %8s' "cpu-$t"; done
echo
VERDICT=0
for v in $VENDORS; do
    declare -A MED=() MCPU=()
    for t in "${TARGETS[@]}"; do
        # shellcheck disable=SC2086
        MED[$t]=$(median %.0f ${RPS_ALL[$v,$t]})
        # shellcheck disable=SC2086
        MCPU[$t]=$(median %.1f ${CPU_ALL[$v,$t]})
    done
    printf '%-12s' "$v"
    for t in "${TARGETS[@]}"; do printf ' %9s' "${MED[$t]}"; done
    for t in "${TARGETS[@]}"; do [ "$t" = ideal ] || printf ' %9s' "$(ratio "${MED[$t]}" "${MED[ideal]}")"; done
    for t in "${TARGETS[@]}"; do printf ' %8s' "${MCPU[$t]}"; done
    echo
    r=$(ratio "${MED[info]}" "${MED[ideal]}")
    if awk -v r="$r" -v t="$TARGET_RATIO" 'BEGIN { exit !(r < t) }'; then VERDICT=1; fi
    printf '  %s: per round, %s\n' "$v" "info: ${RPS_ALL[$v,info]# } / ideal: ${RPS_ALL[$v,ideal]# }"
done
echo
if [ "$VERDICT" = 0 ]; then
    echo "every vendor: info (log line on) >= ${TARGET_RATIO} x ideal"
else
    echo "BELOW: info (log line on) < ${TARGET_RATIO} x ideal for some vendor"
fi
echo "request log written by info: $(wc -l <"$WORK/info.log") lines, $(du -h "$WORK/info.log" | cut -f1)"
