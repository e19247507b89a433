#!/usr/bin/env bash
# Bulk domain bench: `maildoc domain --from` against checkdmarc (PyPI) over
# the same generated domains, in the same run, against the same authoritative DNS server.
#
#   bench/domain-bench.sh [--domains N] [--concurrency "8 16 32 64 256"] [--dnsperf-seconds S]
#                         [--checkdmarc-every K] [--repeat R] [--workdir DIR]
#
# What it does, as root, from a fresh machine:
#   1. installs what is missing: nsd, nginx, dnsperf, time, iproute2, openssl, python3-venv
#      (apt-get; neither NSD nor nginx is left running or enabled system-wide), and checkdmarc
#      6.0.4 from PyPI into a venv under the work dir; builds maildoc (release);
#   2. generates 5,000 domains under .test with a realistic mix (bench/domain/gen_zones.py:
#      shared provider SPF include trees, include chains, over-limit SPF, syntax errors, two SPF
#      records, no SPF, DMARC ok / p=none / missing / invalid / several, rua to other domains
#      with and without the authorisation record, DKIM keys at common selectors (2048/1024/512,
#      revoked, t=y), MX (shared providers, self-hosted, null MX, unresolvable, CNAME), PTR of
#      every mail server address (forward-confirmed, mismatched, missing), MTA-STS for ~8 % with
#      the policies over HTTPS, TLS-RPT, a DNS blocklist zone);
#   3. creates the network namespace "maildoc-bench" with only `lo` up (no other interface,
#      no route: nothing in it can reach another machine) and /etc/netns/maildoc-bench/
#      resolv.conf naming 127.0.0.1, so that the system resolver inside it (checkdmarc's HTTPS
#      fetch of mta-sts.<domain>) asks NSD. NSD (127.0.0.1:53), the MTA-STS HTTPS server (nginx,
#      one worker, on 127.0.0.80:443, a test CA made here), dnsperf, checkdmarc and maildoc all
#      run inside it;
#   4. measures NSD's own ceiling with dnsperf (the queries maildoc makes, derived from the zone
#      data) with server-count 1 and 2, and keeps the better one for the runs;
#   5. runs checkdmarc over all domains (or every K-th when the whole list would take more than
#      ~15 minutes), then maildoc at each --concurrency (--repeat times, the median run kept),
#      counting the queries at NSD (nsd-control stats) and the HTTPS requests served, with GNU
#      time for CPU and peak RSS; dnsperf measures NSD's ceiling again for 4 s right before
#      each maildoc run, since this machine's speed drifts by a third from minute to minute;
#   6. prints the figures as a Markdown table, how both tools' findings match the generated mix
#      and the goals: >= 30x checkdmarc's domains/s, and >= 1/2 of NSD's ceiling
#      (each run against the ceiling measured just before it; the median of the runs).
#
# Everything it starts is stopped, and the namespace and /etc/netns/maildoc-bench removed, on
# exit. The work dir (default /tmp/maildoc-domain-bench) keeps the venv, the DKIM keys and the
# last run's outputs (checkdmarc.json, maildoc-C.jsonl). Not part of scripts/test.sh.
# Exit code: 0 both goals met, 1 a goal missed, 2 the bench could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

NS=maildoc-bench
NS_IP=127.0.0.1
HTTPS_IP=127.0.0.80
CHECKDMARC_VERSION=6.0.4
W=${MAILDOC_DOMAIN_BENCH_DIR:-/tmp/maildoc-domain-bench}
DOMAINS=5000
CONCURRENCY="8 16 32 64 256"
DNSPERF_SECONDS=15
# dnsperf's run right before each maildoc run.
NEAR_SECONDS=4
CHECKDMARC_EVERY=auto
REPEAT=3
# checkdmarc over the whole list only when it is expected to take at most this long.
CHECKDMARC_BUDGET=900

die() { printf 'domain-bench: %s\n' "$*" >&2; exit 2; }
log() { printf '[domain-bench] %s\n' "$*" >&2; }

while (($#)); do
    case $1 in
        --domains) DOMAINS=$2; shift 2 ;;
        --concurrency) CONCURRENCY=$2; shift 2 ;;
        --dnsperf-seconds) DNSPERF_SECONDS=$2; shift 2 ;;
        --checkdmarc-every) CHECKDMARC_EVERY=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --workdir) W=$2; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
[[ $DOMAINS =~ ^[0-9]+$ && $DOMAINS -ge 10 && $DOMAINS -le 9999 ]] || die "--domains: 10..9999"
[[ $REPEAT =~ ^[1-9]$ ]] || die "--repeat: 1..9"
[[ $CHECKDMARC_EVERY == auto || $CHECKDMARC_EVERY =~ ^[1-9][0-9]*$ ]] || die "--checkdmarc-every: auto or K >= 1"
[[ $W == /* && $W =~ ^[A-Za-z0-9/._+-]+$ && $W != / ]] || die "--workdir must be a plain absolute path"
[[ $(id -u) == 0 ]] || die "needs root (packages, a network namespace, NSD on port 53)"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ============================================================================ install
PACKAGES=(nsd nginx dnsperf time iproute2 openssl python3 python3-venv)
install_packages() {
    local -a missing=()
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    log "installing: ${missing[*]}"
    # Keep the package scripts from starting the system-wide NSD or nginx (as lab/lab.sh does).
    local rcd=/usr/sbin/policy-rc.d had_rcd=0
    [[ -e $rcd ]] && had_rcd=1
    if ((had_rcd == 0)); then
        printf '#!/bin/sh\n# maildoc domain bench: temporary, no daemon starts during install\nexit 101\n' > "$rcd"
        chmod 755 "$rcd"
    fi
    local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --no-upgrade)
    if ! "${apt[@]}" "${missing[@]}" >&2; then
        log "install failed; running apt-get update and retrying"
        apt-get update -q >&2
        "${apt[@]}" "${missing[@]}" >&2
    fi
    ((had_rcd)) || rm -f "$rcd"
    [[ " ${missing[*]} " == *" nginx "* ]] && disable_system_nginx
    return 0
}
# The nginx package enables a system-wide nginx (on *:80) at boot; the bench only wants its own,
# in the namespace. Disabled right after it is installed, and stopped should anything have
# started it (a policy-rc.d of the machine's own may allow starts).
disable_system_nginx() {
    local pid
    if [[ -d /run/systemd/system ]]; then
        systemctl disable --now nginx.service >&2 2>&1 || true
    else
        deb-systemd-helper disable nginx.service >/dev/null 2>&1 || true
    fi
    update-rc.d nginx disable >/dev/null 2>&1 || true
    pid=$(cat /run/nginx.pid 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ && $(readlink "/proc/$pid/exe" 2>/dev/null) == /usr/sbin/nginx ]]; then
        log "stopping the system-wide nginx the package started (pid $pid)"
        kill -QUIT "$pid" 2>/dev/null || true
    fi
}
install_packages
mkdir -p "$W"
VENV=$W/venv
if [[ $("$VENV/bin/checkdmarc" --version 2>/dev/null || true) != *"$CHECKDMARC_VERSION"* ]]; then
    log "installing checkdmarc $CHECKDMARC_VERSION into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "checkdmarc==$CHECKDMARC_VERSION" >&2
fi
CHECKDMARC_VERSION_SEEN=$("$VENV/bin/checkdmarc" --version 2>&1 | tail -n1)

# ============================================================================ maildoc
log "building maildoc (release)"
for attempt in 1 2 3; do
    if cargo build --release --quiet -p maildoc-cli >&2; then break; fi
    ((attempt < 3)) || die "cargo build failed three times"
    log "build failed (crates may be mid-edit); retrying in 60 s"
    sleep 60
done
target_dir=$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
# A copy, so that a rebuild by someone else during the bench does not swap the binary.
cp "$target_dir/release/maildoc" "$W/maildoc"
MAILDOC=$W/maildoc
"$MAILDOC" domain --help 2>/dev/null | grep -q -- '--from' || die "this maildoc has no 'domain --from' (bulk mode)"
MAILDOC_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- crates 2>/dev/null || MAILDOC_REV="$MAILDOC_REV+uncommitted"

# ============================================================================ data
D=$W/data
rm -rf "$D" "$W/run" "$W/log" "$W/out"
mkdir -p "$D" "$W/run" "$W/log" "$W/out"
[[ -f $W/dkim-keys.json ]] && cp "$W/dkim-keys.json" "$D/"
log "generating $DOMAINS domains"
python3 bench/domain/gen_zones.py "$D" --domains "$DOMAINS" --https-ip "$HTTPS_IP" --ns-ip "$NS_IP" > "$W/log/mix.txt"
cp "$D/dkim-keys.json" "$W/"

# The test CA and one certificate naming every mta-sts.<domain> that resolves.
make_pki() {
    local p=$W/run/pki
    mkdir -p "$p"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$p/ca.key" -sha256 -days 2 -subj "/O=maildoc bench/CN=maildoc Domain Bench CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$p/ca.crt" 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/leaf.key" 2>/dev/null
    {
        printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n'
        printf 'extendedKeyUsage=serverAuth\nsubjectAltName='
        sed 's/^/DNS:/' "$D/mta-sts-hosts.txt" | paste -sd,
    } > "$p/leaf.ext"
    openssl req -new -key "$p/leaf.key" -subj "/O=maildoc bench/CN=MTA-STS policies" -out "$p/leaf.csr" 2>/dev/null
    openssl x509 -req -in "$p/leaf.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial -days 1 -sha256 \
        -extfile "$p/leaf.ext" -out "$p/leaf.crt" 2>/dev/null
    cat "$p/leaf.crt" "$p/ca.crt" > "$p/chain.pem"
}
make_pki
CA=$W/run/pki/ca.crt

# ============================================================================ namespace
in_ns() { ip netns exec "$NS" "$@"; }

# Stops every process inside the namespace (all of them were started by this bench: the
# namespace is its own), by PID, then removes the namespace and its resolv.conf.
teardown() {
    local pids pid i
    if ip netns list 2>/dev/null | grep -qw "^$NS"; then
        pids=$(ip netns pids "$NS" 2>/dev/null || true)
        for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
        for ((i = 0; i < 50; i++)); do
            pids=$(ip netns pids "$NS" 2>/dev/null || true)
            [[ -z $pids ]] && break
            sleep 0.1
        done
        for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$NS" 2>/dev/null || true
    fi
    rm -rf "/etc/netns/$NS"
}
teardown
trap teardown EXIT
trap 'exit 2' INT TERM
ip netns add "$NS"
in_ns ip link set lo up
mkdir -p "/etc/netns/$NS"
printf 'nameserver %s\n' "$NS_IP" > "/etc/netns/$NS/resolv.conf"
# The namespace must have nothing but lo, and no route off loopback.
links=$(in_ns ip -o link show | awk -F': ' '{ print $2 }' | tr '\n' ' ')
[[ $links == "lo " ]] || die "namespace has interfaces besides lo: $links"
in_ns ip route get 192.0.2.1 >/dev/null 2>&1 && die "namespace has a route off loopback"
in_ns ip -6 route get 2001:db8::1 >/dev/null 2>&1 && die "namespace has an IPv6 route off loopback"
[[ $(in_ns cat /etc/resolv.conf) == "nameserver $NS_IP" ]] || die "resolv.conf is not bind-mounted in the namespace"

# ============================================================================ NSD
NSD_CONF=$W/run/nsd.conf
nsdctl() { in_ns nsd-control -c "$NSD_CONF" "$@"; }
start_nsd() { # start_nsd SERVER_COUNT
    cat > "$NSD_CONF" <<EOF
# maildoc domain bench (generated): authoritative only, in the namespace $NS.
server:
    ip-address: $NS_IP
    port: 53
    do-ip4: yes
    do-ip6: no
    server-count: $1
    reuseport: yes
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
    hide-version: yes
    # No response rate limiting: every query is answered.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    tcp-count: 512
    receive-buffer-size: 4194304
    send-buffer-size: 4194304
remote-control:
    control-enable: yes
    control-interface: $W/run/nsd.ctl
include: "$D/nsd/zones.conf"
EOF
    nsd-checkconf "$NSD_CONF" || die "nsd.conf invalid"
    in_ns nsd -c "$NSD_CONF" < /dev/null >> "$W/log/nsd.log" 2>&1 || die "nsd did not start (see $W/log/nsd.log)"
    local i
    for ((i = 0; i < 100; i++)); do
        nsdctl status >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "nsd does not answer nsd-control (see $W/log/nsd.log)"
}
stop_nsd() {
    local pid i
    pid=$(cat "$W/run/nsd.pid" 2>/dev/null || true)
    nsdctl stop >/dev/null 2>&1 || true
    for ((i = 0; i < 100; i++)); do
        [[ -n $pid && -d /proc/$pid ]] || break
        sleep 0.1
    done
    sleep 0.5
}
# The query count since the last call (nsd-control stats resets the counters).
nsd_queries() { nsdctl stats | awk -F= '$1 == "num.queries" { print $2 }'; }
nsd_tcp() { nsdctl stats_noreset | awk -F= '$1 == "num.tcp" { print $2 }'; }
HZ=$(getconf CLK_TCK)
# ns_cpu COMM-GLOB: CPU seconds (user+sys) so far of the namespace's processes named so.
ns_cpu() {
    local pid sum=0 t
    for pid in $(ip netns pids "$NS"); do
        # shellcheck disable=SC2053 # $1 is a glob
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == $1 ]] || continue
        # utime+stime+cutime+cstime; the name in (...) may hold spaces ("nsd: server 1").
        t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }')
        [[ $t =~ ^[0-9]+$ ]] || t=0
        sum=$((sum + t))
    done
    awk -v t="$sum" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }'
}
# The whole machine's busy CPU seconds so far (every process: the other users of the machine
# show up as the difference).
machine_cpu() { awk -v hz="$HZ" '$1 == "cpu" { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat; }

dnsperf_qps() { # dnsperf_qps SECONDS [NAME] -> queries/s, and the whole report in $W/log
    local out=$W/log/dnsperf-${2:-sc$SC}.txt
    in_ns dnsperf -s "$NS_IP" -d "$D/dnsperf.txt" -c 8 -T 2 -q 1000 -l "$1" > "$out" 2>&1 \
        || die "dnsperf failed (see $out)"
    awk '/Queries per second/ { printf "%.0f", $4 }' "$out"
}

log "NSD ceiling with dnsperf (${DNSPERF_SECONDS} s per setting, $(wc -l < "$D/dnsperf.txt") queries in the file)"
declare -A CEILING LOST
for SC in 1 2; do
    start_nsd "$SC"
    in_ns dnsperf -s "$NS_IP" -d "$D/dnsperf.txt" -c 8 -T 2 -q 1000 -l 2 >/dev/null 2>&1 || true
    CEILING[$SC]=$(dnsperf_qps "$DNSPERF_SECONDS")
    LOST[$SC]=$(awk '/Queries lost/ { print $3 }' "$W/log/dnsperf-sc$SC.txt")
    log "  server-count $SC: ${CEILING[$SC]} queries/s (lost ${LOST[$SC]})"
    stop_nsd
done
SC=1
((CEILING[2] > CEILING[1])) && SC=2
start_nsd "$SC"
log "runs use NSD server-count $SC"

# ============================================================================ HTTPS
# nginx serves $D/www/<Host>/.well-known/mta-sts.txt (text/plain) on 127.0.0.80:443 only, with
# one worker; everything else gets 404. Everything it writes (pid, logs, temp dirs) is under
# $W/run/nginx and $W/log; each request answered is a line of the access log.
NGINX_DIR=$W/run/nginx
HTTPS_ACCESS_LOG=$W/log/https-access.log
mkdir -p "$NGINX_DIR/tmp"
cat > "$NGINX_DIR/nginx.conf" <<EOF
# maildoc domain bench (generated): the MTA-STS policy server, in the namespace $NS.
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $W/log/https.log warn;
events {
    worker_connections 1024;
}
http {
    access_log $HTTPS_ACCESS_LOG;
    client_body_temp_path $NGINX_DIR/tmp/client_body;
    proxy_temp_path $NGINX_DIR/tmp/proxy;
    fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
    scgi_temp_path $NGINX_DIR/tmp/scgi;
    types {}
    default_type text/plain;
    server_tokens off;
    # A missing policy is one of the generated cases, not an error worth a line in https.log.
    log_not_found off;
    server {
        listen $HTTPS_IP:443 ssl default_server;
        server_name _;
        ssl_certificate $W/run/pki/chain.pem;
        ssl_certificate_key $W/run/pki/leaf.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $D/www/\$host;
        location = /.well-known/mta-sts.txt {
        }
        location / {
            return 404;
        }
    }
}
EOF
NGINX=(nginx -p "$NGINX_DIR/" -c nginx.conf -e "$W/log/https.log")
in_ns "${NGINX[@]}" -t -q >> "$W/log/https.log" 2>&1 || die "nginx.conf invalid (see $W/log/https.log)"
in_ns "${NGINX[@]}" < /dev/null >> "$W/log/https.log" 2>&1 || die "nginx did not start (see $W/log/https.log)"
for ((i = 0; i < 50; i++)); do [[ -s $NGINX_DIR/nginx.pid && -e $HTTPS_ACCESS_LOG ]] && break; sleep 0.1; done
[[ -s $NGINX_DIR/nginx.pid && -e $HTTPS_ACCESS_LOG ]] || die "the MTA-STS HTTPS server did not start (see $W/log/https.log)"
# The requests answered so far (any status).
https_count() { wc -l < "$HTTPS_ACCESS_LOG"; }

# The name checks: NSD answers, the system resolver in the namespace asks it, HTTPS verifies.
first_policy=$(find "$D/www" -mindepth 1 -maxdepth 1 -printf "%f\n" | sort | sed -n 1p)
in_ns python3 - "$first_policy" "$CA" <<'EOF' || die "the namespace's resolver or the HTTPS server does not work"
import socket, ssl, sys, urllib.request
host, ca = sys.argv[1], sys.argv[2]
addr = socket.getaddrinfo(host, 443, socket.AF_INET)[0][4][0]
assert addr.startswith("127."), addr
ctx = ssl.create_default_context(cafile=ca)
body = urllib.request.urlopen(f"https://{host}/.well-known/mta-sts.txt", context=ctx, timeout=5).read()
assert body.startswith(b"version: STSv1"), body
EOF

# ============================================================================ runs
# run_tool NAME OUTFILE CMD...: runs CMD in the namespace under GNU time; records wall,
# user, sys, max RSS, NSD queries, NSD CPU and HTTPS requests in $W/out/NAME.figures.
run_tool() {
    local name=$1 out=$2 rc
    shift 2
    nsd_queries >/dev/null
    local h0 n0 n1 p0 p1 m0 m1 q tcp
    h0=$(https_count) n0=$(ns_cpu 'nsd*') p0=$(ns_cpu 'nginx*') m0=$(machine_cpu)
    set +e
    in_ns /usr/bin/time -f '%e %U %S %M' -o "$W/out/$name.time" "$@" > "$out" 2> "$W/log/$name.stderr"
    rc=$?
    set -e
    m1=$(machine_cpu) n1=$(ns_cpu 'nsd*') p1=$(ns_cpu 'nginx*')
    tcp=$(nsd_tcp)
    q=$(nsd_queries)
    read -r wall user sys rss < <(tail -n1 "$W/out/$name.time")
    awk -v wall="$wall" -v user="$user" -v sys="$sys" -v rss="$rss" -v q="$q" -v tcp="$tcp" \
        -v n0="$n0" -v n1="$n1" -v p0="$p0" -v p1="$p1" -v m0="$m0" -v m1="$m1" \
        -v https="$(($(https_count) - h0))" -v rc="$rc" 'BEGIN {
            others = (m1 - m0) - (user + sys) - (n1 - n0) - (p1 - p0)
            if (others < 0) others = 0
            printf "wall=%s user=%s sys=%s rss_kb=%s queries=%s tcp=%s nsd_cpu=%.2f https_cpu=%.2f others_cpu=%.2f https=%s rc=%s\n",
                wall, user, sys, rss, q, tcp, n1 - n0, p1 - p0, others, https, rc
        }' > "$W/out/$name.figures"
    log "  $name: $(cat "$W/out/$name.figures")"
}

# checkdmarc: all domains, or every K-th when the whole list would take too long (measured
# on a sample of 50 first).
if [[ $CHECKDMARC_EVERY == auto ]]; then
    awk -v n="$DOMAINS" 'NR % int(n / 50) == 0' "$D/domains.txt" > "$W/run/calibrate.txt"
    t0=$(date +%s.%N)
    in_ns env REQUESTS_CA_BUNDLE="$CA" SSL_CERT_FILE="$CA" "$VENV/bin/checkdmarc" "$W/run/calibrate.txt" \
        --nameserver "$NS_IP" --timeout 2 -o "$W/run/calibrate.json" 2>/dev/null || true
    t1=$(date +%s.%N)
    CHECKDMARC_EVERY=$(awk -v t0="$t0" -v t1="$t1" -v n="$DOMAINS" -v k="$(wc -l < "$W/run/calibrate.txt")" \
        -v budget="$CHECKDMARC_BUDGET" 'BEGIN { est = (t1 - t0) / k * n; e = 1; while (est / e > budget) e++; print e }')
    log "checkdmarc: calibration $(awk -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f", t1 - t0 }') s for 50 domains$(
        ((CHECKDMARC_EVERY > 1)) && echo "; too slow for all: every ${CHECKDMARC_EVERY}th domain")"
fi
awk -v k="$CHECKDMARC_EVERY" 'NR % k == 0' "$D/domains.txt" > "$W/run/checkdmarc-domains.txt"
CD_N=$(wc -l < "$W/run/checkdmarc-domains.txt")
log "checkdmarc $CHECKDMARC_VERSION_SEEN over $CD_N domains (sequential, as its CLI works)"
# checkdmarc's CLI takes a file of domains; --skip-tls is the default in 6.x (no SMTP).
run_tool checkdmarc "$W/log/checkdmarc.stdout" env REQUESTS_CA_BUNDLE="$CA" SSL_CERT_FILE="$CA" \
    "$VENV/bin/checkdmarc" "$W/run/checkdmarc-domains.txt" --nameserver "$NS_IP" --timeout 2 \
    -o "$W/out/checkdmarc.json"
[[ -s $W/out/checkdmarc.json ]] || die "checkdmarc wrote no output (see $W/log/checkdmarc.stderr)"

# maildoc's runs take seconds: each concurrency runs REPEAT times and the run with the median
# wall time stands for it (the others' figures stay in out/ for the range in the table).
for C in $CONCURRENCY; do
    for ((r = 1; r <= REPEAT; r++)); do
        # The machine's speed drifts by a third between minutes: NSD's ceiling is measured
        # again right before each run, and the run is compared with that one.
        near=$(dnsperf_qps "$NEAR_SECONDS" "near-$C-$r")
        log "maildoc --concurrency $C over $DOMAINS domains (run $r of $REPEAT; NSD ceiling just before: $near queries/s)"
        run_tool "maildoc-$C-$r" "$W/out/maildoc-$C-$r.jsonl" "$MAILDOC" domain --from "$D/domains.txt" \
            --dns-server "$NS_IP:53" --ca-file "$CA" --dnsbl-zone dnsbl.test --rate 0 --concurrency "$C" \
            --format json
        sed -i "s/\$/ ceiling_near=$near/" "$W/out/maildoc-$C-$r.figures"
    done
    median=$(for ((r = 1; r <= REPEAT; r++)); do
        printf '%s %s\n' "$(sed 's/.*wall=\([0-9.]*\).*/\1/' "$W/out/maildoc-$C-$r.figures")" "$r"
    done | sort -n | awk -v n="$REPEAT" 'NR == int((n + 1) / 2) { print $2 }')
    cp "$W/out/maildoc-$C-$median.figures" "$W/out/maildoc-$C.figures"
    mv "$W/out/maildoc-$C-$median.jsonl" "$W/out/maildoc-$C.jsonl"
    rm -f "$W/out/maildoc-$C"-[0-9]*.jsonl
done

# ============================================================================ report
python3 bench/domain/report.py --workdir "$W" --domains "$DOMAINS" --concurrency "$CONCURRENCY" \
    --checkdmarc-every "$CHECKDMARC_EVERY" --checkdmarc-version "$CHECKDMARC_VERSION_SEEN" \
    --maildoc-rev "$MAILDOC_REV" --nsd-server-count "$SC" \
    --ceiling-1 "${CEILING[1]}" --ceiling-2 "${CEILING[2]}" --dnsperf-seconds "$DNSPERF_SECONDS" \
    --near-seconds "$NEAR_SECONDS" \
    --cpus "$(nproc)" --load "$LOAD_AT_START" --repeat "$REPEAT"
