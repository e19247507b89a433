#!/usr/bin/env bash
# Latency bench: what a whole `maildoc check` costs against servers 50 ms away (RTT), next to
# the slowest single server's own sequential steps. Goal: the whole check costs no more than
# that critical path + 20 %.
#
#   bench/check-latency.sh [bench-check options]    e.g. --runs 9, --one-way-ms 40
#
# This kernel has no sch_netem, so the delay comes from the test kit's delaying proxies
# (crates/maildoc-testkit/src/proxy.rs), run by the bench on 127.0.3.10 (IMAP/POP3/SMTP
# ports, to the lab's healthy host 127.0.2.10) and 127.0.3.53:53 (DNS, to the lab's NSD)
# for the duration of the bench only. The lab names imap/pop/smtp.slow.lab.example point
# there and are in the healthy certificate. Everything stays on loopback.
#
# Needs root (the lab, and the proxies listen on ports below 1024). Starts the lab when it
# is not running or predates the .slow names; builds release binaries (honours
# CARGO_TARGET_DIR); the measurement itself takes well under 2 minutes.
# Exit code: 0 goal met, 1 goal missed, 2 the bench could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

export MAILDOC_LAB_DIR="${MAILDOC_LAB_DIR:-/tmp/maildoc-lab}"
PY=$(command -v python3)

[[ $(id -u) == 0 ]] || { echo "check-latency: needs root (the lab; proxies on ports < 1024)" >&2; exit 2; }

# The running lab serves the names and certificate this bench needs.
lab_ready() {
    lab/lab.sh status "$MAILDOC_LAB_DIR" >/dev/null 2>&1 || return 1
    [[ -f $MAILDOC_LAB_DIR/lab.env ]] || return 1
    "$PY" lab/lib/labprobe.py dns imap.slow.lab.example A 2>/dev/null | grep -q '^NOERROR' || return 1
    openssl x509 -in "$MAILDOC_LAB_DIR/certs/healthy.crt" -noout -ext subjectAltName 2>/dev/null \
        | grep -q 'smtp.slow.lab.example'
}

if ! lab_ready; then
    echo "check-latency: starting the lab in $MAILDOC_LAB_DIR" >&2
    lab/lab.sh install
    lab/lab.sh start "$MAILDOC_LAB_DIR" >/dev/null
    lab_ready || { echo "check-latency: the lab is not ready (see lab/lab.sh status)" >&2; exit 2; }
fi

echo "check-latency: building release binaries" >&2
cargo build --release --quiet -p maildoc-cli -p maildoc-testkit --bins
target_dir=$(cargo metadata --format-version 1 --no-deps \
    | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

# bench-check stops by itself (time budget, proxy lifetime); this is the last resort.
exec timeout --kill-after=5 170 "$target_dir/release/bench-check" \
    --maildoc "$target_dir/release/maildoc" "$@"
