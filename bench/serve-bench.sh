#!/usr/bin/env bash
# Measures `maildoc serve` against the lab (which it starts when it is not up): the time from
# submitting a check to its first live row and first step, the weight of every page, the idle
# memory of the server, and its peak memory under 20 checks at once. Prints a Markdown table.
#
#   bench/serve-bench.sh [--runs N]    (default 20 timed checks)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=20
if [ "${1:-}" = "--runs" ]; then runs=$2; fi
export MAILDOC_LAB_DIR="${MAILDOC_LAB_DIR:-/tmp/maildoc-lab}"
lab/lab.sh status "$MAILDOC_LAB_DIR" >/dev/null 2>&1 || lab/lab.sh start "$MAILDOC_LAB_DIR" >/dev/null
cargo build --release --quiet -p maildoc-cli
env_value() { sed -n "s/^$1=//p" "$MAILDOC_LAB_DIR/lab.env" | sed 's/^"\(.*\)"$/\1/'; }

out=$(mktemp)
./target/release/maildoc serve --listen 127.0.0.1:0 --jobs 20 \
  --dns-server "$(env_value MAILDOC_LAB_DNS)" --ca-file "$(env_value MAILDOC_LAB_CA)" >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
url=$(sed -n 's/^maildoc: listening on //p' "$out")
python3 bench/serve/measure.py "$url" "$pid" "$runs" "$(env_value MAILDOC_LAB_PASS_TARO)"
