#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the Debian packages the lab needs
# (when missing; needs root), starts the lab of real servers on loopback, checks formatting
# and lints, runs every test, and stops the lab again.
set -euo pipefail
cd "$(dirname "$0")/.."

export MAILDOC_LAB_DIR="${MAILDOC_LAB_DIR:-/tmp/maildoc-lab}"
lab/lab.sh install
lab/lab.sh start "$MAILDOC_LAB_DIR"
trap 'lab/lab.sh stop "$MAILDOC_LAB_DIR"' EXIT

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
