#!/usr/bin/env bash
# A real `maildoc check`, from a fresh machine: installs and starts the lab (Dovecot,
# Postfix and NSD on loopback, with a test CA), builds maildoc, and checks the lab's
# account over IMAP, POP3 and SMTP. Extra arguments go to `maildoc check`
# (try --verbose, --format markdown, --lang ja). The lab keeps running; stop it with
# `lab/lab.sh stop`.
#
# `demo.sh --serve` starts the web app instead (`maildoc serve` with the lab's DNS server
# and CA): open the address it prints, and check taro@lab.example with the password the
# script shows. Extra arguments after --serve go to `maildoc serve` (try --lang en).
set -euo pipefail
cd "$(dirname "$0")/.."

export MAILDOC_LAB_DIR="${MAILDOC_LAB_DIR:-/tmp/maildoc-lab}"
lab/lab.sh install
lab/lab.sh status "$MAILDOC_LAB_DIR" >/dev/null 2>&1 || lab/lab.sh start "$MAILDOC_LAB_DIR" >/dev/null
cargo build --release --quiet -p maildoc-cli

env_value() { sed -n "s/^$1=//p" "$MAILDOC_LAB_DIR/lab.env" | sed 's/^"\(.*\)"$/\1/'; }

if [ "${1:-}" = "--serve" ]; then
  shift
  echo "maildoc: the lab's account: taro@lab.example / $(env_value MAILDOC_LAB_PASS_TARO)" >&2
  echo "maildoc: its servers: imap.lab.example:993/ssl, smtp.lab.example:587/starttls" >&2
  exec ./target/release/maildoc serve \
    --dns-server "$(env_value MAILDOC_LAB_DNS)" \
    --ca-file "$(env_value MAILDOC_LAB_CA)" "$@"
fi

set +e
env_value MAILDOC_LAB_PASS_TARO | ./target/release/maildoc check taro@lab.example \
  --imap imap.lab.example:993/ssl \
  --pop3 pop.lab.example:995/ssl \
  --smtp smtp.lab.example:587/starttls \
  --dns-server "$(env_value MAILDOC_LAB_DNS)" \
  --ca-file "$(env_value MAILDOC_LAB_CA)" \
  --password-stdin "$@"
status=$?
echo "(maildoc exit code: $status)" >&2
exit "$status"
