#!/usr/bin/env bash
# Message bench: `maildoc message --from MBOX --offline` over a generated mbox of N messages
# (default 10,000), and over one ten times smaller, to show the rate and that peak memory does
# not grow with the mbox (it is read one message at a time).
#
#   bench/message-bench.sh [--messages N] [--workdir DIR]
#
# What it does:
#   1. builds maildoc (release);
#   2. writes an mbox of N messages made from the sample messages in
#      crates/maildoc-engine/tests/data/messages (each given its own Message-ID), and one of
#      N/10 messages;
#   3. runs `maildoc message --from MBOX --offline > /dev/null` on each under GNU time and
#      prints messages, seconds, messages/s, peak memory (KiB) and the mbox's size.
#
# Offline: no network. Not part of scripts/test.sh. Exit code 0, or 2 when it could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

W=${MAILDOC_MESSAGE_BENCH_DIR:-/tmp/maildoc-message-bench}
MESSAGES=10000

die() { printf 'message-bench: %s\n' "$*" >&2; exit 2; }

while (($#)); do
    case $1 in
        --messages) MESSAGES=$2; shift 2 ;;
        --workdir) W=$2; shift 2 ;;
        *) die "unknown argument $1" ;;
    esac
done
[[ $MESSAGES =~ ^[0-9]+$ ]] && ((MESSAGES >= 10)) || die "--messages takes a number of at least 10"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed"

cargo build --release -q -p maildoc-cli || die "the build failed"
BIN=target/release/maildoc
mkdir -p "$W"

# mbox N FILE: N messages cycling through the samples, each with its own Message-ID.
mbox() {
    python3 - "$1" "$2" <<'PY'
import glob, sys
n, out = int(sys.argv[1]), sys.argv[2]
samples = sorted(p for p in glob.glob("crates/maildoc-engine/tests/data/messages/*")
                 if not p.endswith(".json"))
bodies = [open(p, "rb").read() for p in samples]
with open(out, "wb") as f:
    for i in range(n):
        m = bodies[i % len(bodies)]
        f.write(b"From bench@example.jp Mon Dec  7 03:00:00 2026\n")
        f.write(b"Message-ID: <bench.%d@example.jp>\n" % i)
        f.write(m.replace(b"\r\n", b"\n"))
        f.write(b"\n")
PY
}

printf '%-10s %10s %9s %12s %14s %12s\n' messages "mbox bytes" seconds "messages/s" "peak KiB" "exit"
for n in $((MESSAGES / 10)) "$MESSAGES"; do
    file=$W/bench-$n.mbox
    mbox "$n" "$file"
    size=$(stat -c %s "$file")
    set +e
    /usr/bin/time -f '%e %M' -o "$W/time-$n" "$BIN" message --from "$file" --offline > "$W/out-$n.jsonl"
    code=$?
    set -e
    read -r secs kib < <(tail -n 1 "$W/time-$n")
    lines=$(wc -l < "$W/out-$n.jsonl")
    ((lines == n)) || die "$n messages gave $lines lines"
    rate=$(python3 -c "print(f'{$n / max($secs, 0.001):,.0f}')")
    printf '%-10s %10s %9s %12s %14s %12s\n' "$n" "$size" "$secs" "$rate" "$kib" "$code"
done
