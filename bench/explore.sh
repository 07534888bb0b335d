#!/usr/bin/env bash
# bench/explore.sh: `authconform explore`'s speed (issue #22 item 8).
#
# 1. Cases per second against the reference server in-process (`explore
#    --vendor V`: the server runs inside the explore process, requests go over
#    127.0.0.1) and over loopback (`explore --target FILE` against a separate
#    `authconform serve --test-mode --hash-cost test`), same seed, same cases.
# 2. What one shrink costs: a fault explore finds after a few cases, the runs
#    of candidate cases and their wall time until the shortest failing case.
#
# Each figure is read from explore's own lines ("explore V: N case(s), M
# operation(s) in T s"; "shrunk from A to B operation(s) in R run(s), T ms").
#
# Usage: bench/explore.sh
# Knobs (environment): CASES=300 SEED=8 VENDORS="limecraft lac fileverbs liquidfiles" PROFILE=release
set -euo pipefail

CASES=${CASES:-300}
SEED=${SEED:-8}
VENDORS=${VENDORS:-"limecraft lac fileverbs liquidfiles"}
PROFILE=${PROFILE:-release}

cd "$(dirname "$0")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/$PROFILE/authconform"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac

die() {
    echo "explore.sh: $*" >&2
    exit 1
}

if [ "$PROFILE" = release ]; then
    cargo build --release --bin authconform
else
    cargo build --bin authconform
fi
[ -x "$BIN" ] || die "$BIN was not built"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/authconform-explore.XXXXXX")
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The line `explore V: N case(s), M operation(s) in T s` as "N M T".
figures() {
    sed -n "s/^explore $1: \([0-9]*\) case(s), \([0-9]*\) operation(s) in \([0-9.]*\) s.*/\1 \2 \3/p" | head -n1
}

"$BIN" serve --addr 127.0.0.1:0 --hash-cost test --test-mode 2>"$WORK/serve.log" &
PID=$!
root=""
for _ in $(seq 1 100); do
    root="$(grep -o 'http://127.0.0.1:[0-9]*/limecraft/api' "$WORK/serve.log" | head -n1 | sed 's|/limecraft/api$||' || true)"
    [ -n "$root" ] && break
    sleep 0.1
done
[ -n "$root" ] || die "the server did not start: $(cat "$WORK/serve.log")"

target_file() {
    case "$1" in
    limecraft) cat <<EOF
vendor: limecraft
base_url: $root/limecraft/api
control_url: $root
users:
  primary: { username: alice, password: alice-Pa55word }
  secondary: { username: bob, password: bob-Pa55word }
  twofactor: { username: carol, password: carol-Pa55word }
EOF
    ;;
    lac) cat <<EOF
vendor: lac
base_url: $root/lac/rest/default/demo/v1
control_url: $root
users:
  primary: { username: alice, password: alice-Pa55word }
  secondary: { username: bob, password: bob-Pa55word }
lac:
  url_auth: true
  probe_path: /probe
EOF
    ;;
    fileverbs) cat <<EOF
vendor: fileverbs
base_url: $root/fileverbs/api/v1
control_url: $root
fileverbs:
  primary: { secret_key: fv-secret-alice-7Qm2vX9kL4pR8sT1, api_key: fv-api-alice-3Hn6bW0cJ5yZ2dF7 }
  probe_path: /endpoint
  refresh_path: /accounts/refresh-token
  revoke_path: /accounts/revoke-token
EOF
    ;;
    liquidfiles) cat <<EOF
vendor: liquidfiles
base_url: $root/liquidfiles
control_url: $root
users:
  primary: { username: alice@example.com, password: alice-Pa55word }
  secondary: { username: bob@example.com, password: bob-Pa55word }
EOF
    ;;
    esac
}

printf '| vendor | in-process: cases/s (operations/s) | over loopback: cases/s (operations/s) |\n|---|---|---|\n'
for v in $VENDORS; do
    target_file "$v" >"$WORK/$v.target.yaml"
    read -r n1 m1 t1 < <("$BIN" explore --vendor "$v" --cases "$CASES" --seed "$SEED" --out "$WORK/out" | figures "$v")
    read -r n2 m2 t2 < <("$BIN" explore --target "$WORK/$v.target.yaml" --state "$WORK/state.json" \
        --cases "$CASES" --seed "$SEED" --out "$WORK/out" | figures "$v") || true
    rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "-" }'; }
    printf '| %s | %s (%s) | %s (%s) |\n' "$v" "$(rate "$n1" "$t1")" "$(rate "$m1" "$t1")" \
        "$(rate "${n2:-0}" "${t2:-0}")" "$(rate "${m2:-0}" "${t2:-0}")"
done

# One shrink: faults whose failing case is drawn long and shrinks short.
echo
printf '| fault | case that failed | drawn → shrunk | shrink runs | shrink wall time |\n|---|---|---|---|---|\n'
for fault in logout-ignores-all-sessions disable-ends-newest-token logout-all-spares-oldest; do
    line=$("$BIN" explore --fault "$fault" --cases 2000 --seed "$SEED" --out "$WORK/out" \
        | sed -n 's/^  found in case \([0-9]*\) (seed [0-9]*); shrunk from \([0-9]*\) to \([0-9]*\) operation(s) in \([0-9]*\) run(s), \([0-9]*\) ms/\1 \2 \3 \4 \5/p' | head -n1)
    read -r c a b r ms <<<"$line"
    printf '| `%s` | %s | %s → %s | %s | %s ms |\n' "$fault" "${c:--}" "${a:--}" "${b:--}" "${r:--}" "${ms:--}"
done
