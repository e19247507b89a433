#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the Debian packages the lab needs
# (when missing; needs root), starts the lab of real servers on loopback, checks formatting
# and lints, runs every test, and stops the lab again.
set -euo pipefail
cd "$(dirname "$0")/.."

export MAILDOC_LAB_DIR="${MAILDOC_LAB_DIR:-/tmp/maildoc-lab}"
lab/lab.sh install
# Start the lab unless one is already up and healthy; stop it afterwards only if we started it.
if ! lab/lab.sh status "$MAILDOC_LAB_DIR" >/dev/null 2>&1; then
  lab/lab.sh start "$MAILDOC_LAB_DIR"
  trap 'lab/lab.sh stop "$MAILDOC_LAB_DIR"' EXIT
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The tests that need the lab are #[ignore]d for a plain `cargo test`; here the lab is up.
cargo test --workspace -- --include-ignored
