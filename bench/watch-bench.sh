#!/usr/bin/env bash
# Watch bench: 10,000 watched domains checked in one round, as `maildoc serve` or an hourly
# `maildoc watch run` would, against an authoritative DNS server on loopback; what each round
# costs in time and in history (rows and bytes per run).
#
#   bench/watch-bench.sh [--domains N] [--concurrency C] [--changed PERCENT] [--workdir DIR]
#
# What it does, as root, from a fresh machine:
#   1. installs NSD when missing (apt-get; it is not left running) and builds maildoc (release);
#   2. generates N domains (default 10,000) under .test with bench/domain/gen_zones.py, the
#      same mix as the domain bench, and serves them with NSD on 127.0.3.53:53 (loopback only;
#      every mail server address is in a documentation range and never contacted; the MTA-STS
#      policy address 127.0.3.80 has no server, so each policy fetch is refused at once);
#   3. adds every domain as a watch to a fresh SQLite history (`maildoc watch add --from`);
#   4. round 1: `maildoc watch run` (every watch is new: each run stores its full report);
#      round 2: every watch made due again, nothing changed (each run is a summary row);
#      round 3: the SPF record of PERCENT % of the domains (default 1) edited and NSD reloaded
#      (those runs store a report and raise a record-changed alert);
#   5. prints per round: the time, domains/s, the rows and bytes the history grew by, bytes per
#      run, and the alerts; checks the goals: each round within the hour (the watches' period),
#      and an unchanged run at most 200 bytes of history.
#
# The work dir (default /tmp/maildoc-watch-bench) keeps the zones, the history and the logs.
# Not part of scripts/test.sh. Exit code: 0 goals met, 1 a goal missed, 2 the bench could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

W=${MAILDOC_WATCH_BENCH_DIR:-/tmp/maildoc-watch-bench}
DOMAINS=10000
CONCURRENCY=256
CHANGED=1
NS_IP=127.0.3.53
HTTPS_IP=127.0.3.80

die() { printf 'watch-bench: %s\n' "$*" >&2; exit 2; }
log() { printf '[watch-bench] %s\n' "$*" >&2; }

while (($#)); do
    case $1 in
        --domains) DOMAINS=$2; shift 2 ;;
        --concurrency) CONCURRENCY=$2; shift 2 ;;
        --changed) CHANGED=$2; shift 2 ;;
        --workdir) W=$2; shift 2 ;;
        *) die "unknown argument $1 (see the header of $0)" ;;
    esac
done
[[ $(id -u) == 0 ]] || die "run as root (NSD binds port 53 on loopback)"

command -v nsd >/dev/null || {
    log "installing nsd"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nsd >/dev/null || die "apt-get install nsd failed"
    systemctl disable --now nsd >/dev/null 2>&1 || true
}
log "building maildoc (release)"
cargo build --release -q -p maildoc-cli || die "build failed"
BIN=$PWD/target/release/maildoc

rm -rf "$W"
mkdir -p "$W/run" "$W/log"
D=$W/zones
log "generating $DOMAINS domains"
python3 bench/domain/gen_zones.py "$D" --domains "$DOMAINS" --ns-ip "$NS_IP" --https-ip "$HTTPS_IP" >/dev/null \
    || die "zone generation failed"

NSD_CONF=$W/run/nsd.conf
cat > "$NSD_CONF" <<EOF
# maildoc watch bench (generated): authoritative only, on loopback.
server:
    ip-address: $NS_IP
    port: 53
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$D/nsd"
    database: ""
    zonelistfile: "$W/run/zone.list"
    xfrdfile: "$W/run/xfrd.state"
    xfrdir: "$W/run"
    pidfile: "$W/run/nsd.pid"
    logfile: "$W/log/nsd.log"
    verbosity: 0
    rrl-ratelimit: 0
    tcp-count: 512
remote-control:
    control-enable: yes
    control-interface: $W/run/nsd.ctl
include: "$D/nsd/zones.conf"
EOF
nsdctl() { nsd-control -c "$NSD_CONF" "$@"; }
stop_nsd() { nsdctl stop >/dev/null 2>&1 || true; }
trap stop_nsd EXIT
nsd-checkconf "$NSD_CONF" || die "nsd.conf invalid"
nsd -c "$NSD_CONF" < /dev/null >> "$W/log/nsd.log" 2>&1 || die "nsd did not start (see $W/log/nsd.log)"
for ((i = 0; i < 100; i++)); do nsdctl status >/dev/null 2>&1 && break; sleep 0.1; done
nsdctl status >/dev/null 2>&1 || die "nsd does not answer (see $W/log/nsd.log)"

export MAILDOC_DB="sqlite:$W/history.sqlite3"
export LANG=C
"$BIN" watch add --from "$D/domains.txt" --every 1h > /dev/null || die "watch add failed"

# rows and bytes of the history, after a checkpoint: "runs reports report_codes alerts bytes"
measure() {
    python3 - "$W/history.sqlite3" <<'PY'
import os, sqlite3, sys
db = sys.argv[1]
c = sqlite3.connect(db)
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
counts = [c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("runs", "reports", "report_codes", "alerts")]
c.close()
size = sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))
print(*counts, size)
PY
}

RESULTS=$W/results.txt
: > "$RESULTS"
round() { # round NAME
    local before after t0 t1 code
    before=$(measure)
    t0=$EPOCHREALTIME
    code=0
    "$BIN" watch run --dns-server "$NS_IP" --concurrency "$CONCURRENCY" --timeout 15 --format json \
        > "$W/log/$1.json" 2> "$W/log/$1.err" || code=$?
    t1=$EPOCHREALTIME
    ((code <= 1)) || die "watch run failed ($code): $(tail -n 3 "$W/log/$1.err")"
    after=$(measure)
    echo "$1 $t0 $t1 $before $after" >> "$RESULTS"
    log "$1: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }')"
}
due_again() { "$BIN" watch add --from "$D/domains.txt" --every 1h > /dev/null; }

log "round 1: every watch new"
round first
due_again
log "round 2: nothing changed"
round unchanged
# Edit the SPF record of CHANGED % of the domains (every k-th), then reload the zones.
k=$((100 / CHANGED))
n=0
while read -r d; do
    n=$((n + 1))
    ((n % k == 0)) || continue
    zone=$D/nsd/zones/$d.zone
    [[ -f $zone ]] || continue
    sed -i -E 's/"v=spf1 /"v=spf1 ip4:198.51.100.250 /' "$zone"
done < "$D/domains.txt"
nsdctl reload >/dev/null || die "nsd reload failed"
sleep 1
due_again
log "round 3: the SPF of $CHANGED % edited"
round changed

python3 - "$RESULTS" "$DOMAINS" "$CONCURRENCY" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
domains, conc = int(sys.argv[2]), sys.argv[3]
print(f"\n## Watch bench: {domains} watched domains, concurrency {conc}, SQLite\n")
print("| round | seconds | domains/s | runs | reports | codes rows | alerts | history bytes | bytes per run |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
ok = True
for r in rows:
    name, t0, t1 = r[0], float(r[1]), float(r[2])
    b = list(map(int, r[3:8])); a = list(map(int, r[8:13]))
    secs = t1 - t0
    runs = a[0] - b[0]
    grew = a[4] - b[4]
    per = grew / runs if runs else 0
    print(f"| {name} | {secs:.1f} | {domains / secs:.0f} | +{runs} | +{a[1] - b[1]} | +{a[2] - b[2]} | +{a[3] - b[3]} | +{grew} | {per:.0f} |")
    if secs > 3600:
        ok = False
        print(f"\ngoal missed: round {name} took {secs:.0f} s, more than the hour")
    if name == "unchanged" and per > 200:
        ok = False
        print(f"\ngoal missed: an unchanged run took {per:.0f} bytes of history (goal: at most 200)")
print("\ngoals:", "met" if ok else "MISSED")
sys.exit(0 if ok else 1)
PY
