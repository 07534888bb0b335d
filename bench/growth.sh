#!/usr/bin/env bash
# bench/growth.sh: each vendor's store as its live tokens grow (issue #16):
# memory per live token, login p50/p99, and a token-validated call's p50/p99
# alone and while 8 clients log in, at 1k, 10k, 100k and 1M live tokens.
# One process per (vendor, size), so memory figures do not inherit a previous
# run's heap. The baseline of each vendor is its own 1k row, in the same run.
# See examples/bench_growth.rs for what "login" and "GET" are per vendor.
#
# Usage: bench/growth.sh
# Knobs (environment): VENDORS="limecraft lac fileverbs liquidfiles"
#                      SIZES="1000 10000 100000 1000000" SAMPLES=20000
#                      PER_USER=N  live tokens per user (default 250, FileVerbs
#                                  100); PER_USER=1: as many users as tokens
set -euo pipefail

VENDORS=${VENDORS:-limecraft lac fileverbs liquidfiles}
SIZES=${SIZES:-1000 10000 100000 1000000}
SAMPLES=${SAMPLES:-20000}

cd "$(dirname "$0")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/release/examples/bench_growth"

cargo build --release --example bench_growth
[ -x "$BIN" ] || { echo "growth.sh: $BIN was not built" >&2; exit 1; }

echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
for vendor in $VENDORS; do
    for n in $SIZES; do
        "$BIN" "$vendor" "$n" "$SAMPLES"
    done
done
