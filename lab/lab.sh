#!/usr/bin/env bash
# maildoc test lab: real Dovecot, Postfix and NSD on loopback addresses, an HTTPS server
# of autoconfig files for settings discovery, and a PostgreSQL server (a fresh cluster per
# start, run as the Debian "postgres" user; plain TCP and TLS as pg.lab.example) for the
# history store, and GNOME Keyring's Secret Service on a private D-Bus session bus
# (STATE_DIR/run/dbus.sock, keyring files in STATE_DIR/keyring) for the watch passwords.
#
#   lab/lab.sh install            install the Debian packages (only if missing)
#   lab/lab.sh start  [STATE_DIR] (re)generate PKI + configs, start everything
#   lab/lab.sh stop   [STATE_DIR] stop everything by recorded PIDs
#   lab/lab.sh status [STATE_DIR] probe every service
#   lab/lab.sh reload-dns [STATE_DIR] re-render the zones and restart NSD only
#
# STATE_DIR defaults to ${MAILDOC_LAB_DIR:-/tmp/maildoc-lab}. After start,
# STATE_DIR/lab.env holds KEY=value lines for the tests (see write_env).
#
# Network rule: everything listens on and talks to 127.0.2.0/24 only.
# The lab never touches /etc/dovecot, /etc/postfix or /etc/nsd; the only
# system-wide changes are: the packages, a system user "maildoclab", and (while
# running) one nftables table "inet maildoc_lab" dropping SYNs to 127.0.2.20:25.
# PostgreSQL's cluster is STATE_DIR/postgres (a link to /tmp/maildoc-lab-pg.* when the
# postgres user cannot reach STATE_DIR); its unix socket, and a copy of its certificate and
# key (owned by postgres), are in there too.
set -euo pipefail

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEMPLATES=$LAB_ROOT/templates
# shellcheck source=SCRIPTDIR/lib/certs.sh
source "$LAB_ROOT/lib/certs.sh"

PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
PROBE=("$PY" "$LAB_ROOT/lib/labprobe.py")

MAIL_USER=maildoclab
NFT_TABLE=maildoc_lab
POSTFIX_MASTER=/usr/lib/postfix/sbin/master
APPPW_REASON="Application-specific password required"

# --- users ------------------------------------------------------------------
# login name | lab.env password key | password | quota
USERS=(
    "taro@lab.example|MAILDOC_LAB_PASS_TARO|Tz-9vQ!lab-Secret-4471|100M"
    "hanako|MAILDOC_LAB_PASS_HANAKO|Hn-3kW@lab-Secret-8802|100M"
    "full@lab.example|MAILDOC_LAB_PASS_FULL|Fl-7xR+lab-Secret-1093|1M"
    "near@lab.example|MAILDOC_LAB_PASS_NEAR|Nr-5mP.lab-Secret-3356|1M"
    "apppw@lab.example|MAILDOC_LAB_PASS_APPPW|Ap-8qL_lab-Secret-6620|100M"
    # A mailbox only for mail the tests send (a watch's alerts): no other test counts it.
    "inbox@lab.example|MAILDOC_LAB_PASS_INBOX|Ib-4wN*lab-Secret-7730|100M"
    # Postfix accepts what this user sends (MAIL FROM held@lab.example, on the submission
    # ports 587/465) and puts it on hold: 250 at end of data, then never delivered
    # (see HOLD_SENDERS and render_postfix).
    "held@lab.example|MAILDOC_LAB_PASS_HELD|Hd-6tK~lab-Secret-5518|100M"
)
# Envelope senders whose mail submission (587/465) accepts and holds (postfix/conf/hold_senders).
HOLD_SENDERS=(held@lab.example)

# --- hosts ------------------------------------------------------------------
# Hosts with the full service set: Dovecot 143/993/110/995, Postfix 25/587/465.
# ip | host name (SMTP banner) | certificate (lib/certs.sh name)
FULL_HOSTS=(
    "127.0.2.10|mail.lab.example|healthy"
    "127.0.2.11|expired.lab.example|expired"
    "127.0.2.12|wrongname.lab.example|wrongname"
    "127.0.2.13|selfsigned.lab.example|selfsigned"
    "127.0.2.14|unknownca.lab.example|unknownca"
    "127.0.2.15|incomplete.lab.example|incomplete"
    "127.0.2.18|smallsize.lab.example|smallsize"
    "127.0.2.21|notyetvalid.lab.example|notyetvalid"
    "127.0.2.22|soon.lab.example|soon"
)
IP_NOSTARTTLS=127.0.2.17
IP_SMALLSIZE=127.0.2.18
IP_CLOSED=127.0.2.19
IP_OP25B=127.0.2.20
IP_POPONIMAP=127.0.2.23
IP_LEGACY=127.0.2.24
# The fault hosts (one certificate, lib/certs.sh "faults", names them all):
# slow.lab.example: Postfix 25/587/465 accepts at once and sends its 220 only after
# SLOW_GREETING seconds (on 465 the TLS handshake comes first, then the wait).
IP_SLOW=127.0.2.25
SLOW_GREETING=40
# relay.lab.example: Postfix 25/587 takes RCPT TO an outside domain without AUTH (an
# open relay as the client sees it); what it takes is held, and would be discarded.
IP_RELAY=127.0.2.26
# clientcert.lab.example: IMAPS 993/POP3S 995 (a Dovecot instance of its own) send a
# CertificateRequest and fail the handshake without a client certificate; SMTP 465/587
# (Postfix, smtpd_tls_req_ccert) finish the handshake, then answer 421 4.7.1.
IP_CLIENTCERT=127.0.2.27
# sslonly.lab.example: 993, 995 and 465 refused; 143, 110, 25 and 587 offer STARTTLS
# (the main Dovecot and Postfix: the same users as mail.lab.example).
IP_SSLONLY=127.0.2.28
IP_AIA=127.0.2.16
IP_GMAIL=127.0.2.40
IP_AUTOCONFIG=127.0.2.42
# MTA-STS policies of the posture cases (maildoc domain)
IP_MTASTS=127.0.2.43
IP_DNS=127.0.2.53
# PostgreSQL: the role maildoc (password generated per start) owns the database maildoc.
# TLS as pg.lab.example (a name without a DNS record: clients give hostaddr=$IP_POSTGRES).
IP_POSTGRES=127.0.2.44
PG_PORT=5432
PG_TLS_NAME=pg.lab.example
PG_USER=postgres
PG_ROLE=maildoc
# GNOME Keyring: the lab's login keyring is created at every start with this password and
# left unlocked (lab.env: MAILDOC_LAB_KEYRING_PASSWORD).
KEYRING_PASSWORD=Kr-6tB#lab-Secret-5518

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

# ============================================================================
# install
# ============================================================================
# tmux: the terminal `maildoc triage`'s prompt test drives (crates/maildoc-cli/tests/triage.rs).
# ldnsutils: ldns-keygen and ldns-signzone sign the DNSSEC cases of posture.lab.example.
# time: GNU time measures a check's peak memory (crates/maildoc-cli/tests/campaign.rs).
# chromium, chromium-driver: the real browser the web app's pages are driven in over WebDriver
# (crates/maildoc-web/tests/browser.rs); fonts-ipafont-gothic: Japanese glyphs in its
# screenshots.
# postgresql: the server the history store's PostgreSQL backend is tested against (crates/maildoc-store).
# gnome-keyring, dbus-daemon: the Secret Service (on a private session bus) that keeps the watch
# passwords' keyring (crates/maildoc-store keyring.rs); dbus-daemon brings dbus-send (dbus-bin).
PACKAGES=(dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix nsd openssl nftables tmux ldnsutils time
    chromium chromium-driver fonts-ipafont-gothic postgresql gnome-keyring dbus-daemon)

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' \
            || printf '%s\n' "$p"
    done
}

cmd_install() {
    local -a missing
    mapfile -t missing < <(missing_packages)
    if ((${#missing[@]} == 0)); then
        log "all packages present"
        return 0
    fi
    [[ $(id -u) == 0 ]] || die "install needs root"
    log "installing: ${missing[*]}"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # Keep the package scripts from starting the system-wide daemons.
    local rcd=/usr/sbin/policy-rc.d had_rcd=0
    [[ -e $rcd ]] && had_rcd=1
    if ((had_rcd == 0)); then
        printf '#!/bin/sh\n# maildoc lab: temporary, no daemon starts during install\nexit 101\n' > "$rcd"
        chmod 755 "$rcd"
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q
        --no-install-recommends --no-upgrade)
    # Refresh the package lists only when the install cannot find something.
    if ! "${apt[@]}" "${missing[@]}"; then
        log "install failed; running apt-get update and retrying"
        apt-get update -q
        "${apt[@]}" "${missing[@]}"
    fi
    if ((had_rcd == 0)); then rm -f "$rcd"; trap - EXIT; fi
}

# ============================================================================
# helpers
# ============================================================================

# render TEMPLATE OUT KEY=VALUE...: replace @KEY@ by VALUE (values may be multi-line).
render() {
    local tpl=$1 out=$2 kv key val text
    shift 2
    text=$(<"$tpl")
    for kv in "$@"; do
        key=${kv%%=*} val=${kv#*=}
        text=${text//@"$key"@/"$val"}
    done
    printf '%s\n' "$text" > "$out"
}

# pid_alive PIDFILE EXPECT: true when PIDFILE names a live process whose
# command line contains EXPECT (guards against PID reuse).
pid_alive() {
    local pidfile=$1 expect=$2 pid
    [[ -s $pidfile ]] || return 1
    pid=$(head -n1 "$pidfile" | tr -d ' \n')
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$expect"
}

# proc_gone PID: true when PID no longer exists or is a zombie (PID 1 here is
# not a real init and may reap orphans late).
proc_gone() {
    local st
    [[ -r /proc/$1/stat ]] || return 0
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
    [[ -z $st || $st == Z || $st == X ]]
}

# stop_pids "PIDFILE|EXPECT|NAME"...: SIGTERM to all at once, wait up to 5 s
# for all of them, then SIGKILL whatever is left.
stop_pids() {
    local spec pidfile expect name pid i left
    local -a pids=() names=()
    for spec in "$@"; do
        IFS='|' read -r pidfile expect name <<<"$spec"
        if pid_alive "$pidfile" "$expect"; then
            pid=$(head -n1 "$pidfile" | tr -d ' \n')
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid") names+=("$name")
        fi
        rm -f "$pidfile"
    done
    ((${#pids[@]})) || return 0
    for ((i = 0; i < 100; i++)); do
        left=0
        for pid in "${pids[@]}"; do proc_gone "$pid" || left=1; done
        ((left)) || break
        sleep 0.05
    done
    for i in "${!pids[@]}"; do
        if ! proc_gone "${pids[$i]}"; then
            log "${names[$i]} (pid ${pids[$i]}) ignored SIGTERM; sending SIGKILL"
            kill -KILL "${pids[$i]}" 2>/dev/null || true
        fi
        log "stopped ${names[$i]} (pid ${pids[$i]})"
    done
}

state_dir_arg() {
    local d=${1:-${MAILDOC_LAB_DIR:-/tmp/maildoc-lab}}
    [[ $d == /* ]] || d=$PWD/$d
    [[ $d =~ ^[A-Za-z0-9/._+-]+$ ]] || die "STATE_DIR must be a plain path (no spaces or specials): $d"
    [[ $d != / ]] || die "refusing STATE_DIR=/"
    printf '%s\n' "${d%/}"
}

ensure_mail_user() {
    if ! getent passwd "$MAIL_USER" >/dev/null; then
        log "creating system user $MAIL_USER"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$MAIL_USER"
    fi
}

# ============================================================================
# configuration
# ============================================================================
# Dovecot passdb/userdb (passwd-file) and Postfix's recipient table.
#   passdb               the users (IMAP, POP3 and SMTP)
#   passdb-refuse-smtp   apppw@ only, consulted first for SMTP (see dovecot.conf)
#   passdb-refuse-other  empty: the same slot for every other service
#   userdb               also knows hanako@lab.example, so LMTP can deliver there
write_users() {
    local d=$1 uid gid entry login key pass quota home addr line
    local reason='reason=%{env:MAILDOC_LAB_APPPW_REASON}'
    uid=$(id -u "$MAIL_USER") gid=$(id -g "$MAIL_USER")
    : > "$d/dovecot/passdb"
    : > "$d/dovecot/passdb-refuse-smtp"
    : > "$d/dovecot/passdb-refuse-other"
    : > "$d/dovecot/userdb"
    : > "$d/postfix/conf/vmailbox"
    for entry in "${USERS[@]}"; do
        IFS='|' read -r login key pass quota <<<"$entry"
        home=$d/mail/$login
        # Extra fields of passwd-file reach the userdb only with a userdb_
        # prefix. nodelay: answer at once where Dovecot keeps the fields of a
        # failed login (a plain wrong password still waits up to 0.5 s, the
        # granularity of Dovecot's failure queue, even with auth_failure_delay = 0).
        line="$login:{PLAIN}$pass:$uid:$gid::$home::nodelay=y userdb_quota_rule=*:storage=$quota"
        if [[ $login == apppw@* ]]; then
            # The right password is refused with a reason. The reason has
            # spaces, which extra fields cannot hold, so it comes from the
            # environment. IMAP/POP3 honour "nologin"; SMTP uses passdb-refuse-smtp.
            printf '%s nologin=y %s\n' "$line" "$reason" >> "$d/dovecot/passdb"
            printf '%s %s\n' "$line" "$reason" >> "$d/dovecot/passdb-refuse-smtp"
        else
            printf '%s\n' "$line" >> "$d/dovecot/passdb"
        fi
        addr=$login
        [[ $addr == *@* ]] || addr=$login@lab.example
        # hanako: "hanako" logs in (passdb); hanako@lab.example is only an address.
        printf '%s::%s:%s::%s::userdb_quota_rule=*:storage=%s\n' "$login" "$uid" "$gid" "$home" "$quota" \
            >> "$d/dovecot/userdb"
        if [[ $addr != "$login" ]]; then
            printf '%s::%s:%s::%s::userdb_quota_rule=*:storage=%s\n' "$addr" "$uid" "$gid" "$home" "$quota" \
                >> "$d/dovecot/userdb"
        fi
        printf '%s OK\n' "$addr" >> "$d/postfix/conf/vmailbox"
    done
    chown root:dovecot "$d"/dovecot/{passdb,passdb-refuse-smtp,passdb-refuse-other,userdb}
    chmod 640 "$d"/dovecot/{passdb,passdb-refuse-smtp,passdb-refuse-other,userdb}
}

# seed_message FILE SIZE SUBJECT: an RFC 5322 message of about SIZE bytes.
seed_message() {
    local file=$1 size=$2 subject=$3 body_len
    {
        printf 'From: maildoc lab <lab@lab.example>\r\n'
        printf 'To: mailbox owner <owner@lab.example>\r\n'
        printf 'Subject: %s\r\n' "$subject"
        printf 'Date: %s\r\n' "$(date -R)"
        printf 'Message-ID: <%s.%s@lab.example>\r\n' "$(date +%s%N)" "$RANDOM"
        printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n'
    } > "$file"
    body_len=$((size - $(stat -c %s "$file")))
    if ((body_len > 200)); then
        # 74 characters + CRLF per line, padded to exactly body_len bytes.
        awk -v n="$body_len" 'BEGIN {
            line = "maildoc-lab-filler-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNO"
            for (w = length(line) + 2; n >= w; n -= w) printf "%s\r\n", line
            printf "%s\r\n", substr(line, 1, n - 2)
        }' >> "$file"
    else
        printf 'Hello from the maildoc lab.\r\n' >> "$file"
    fi
}

seed_mail() {
    local d=$1 login md n=0
    for login in taro@lab.example hanako full@lab.example near@lab.example apppw@lab.example \
        inbox@lab.example held@lab.example; do
        md=$d/mail/$login/Maildir
        mkdir -p "$md"/{cur,new,tmp}
    done
    # Maildir file names carry S=<size> so quota can be computed from names.
    put() { # put LOGIN SIZE SUBJECT
        local f tmp=$d/mail/$1/Maildir/tmp/seed.$$ size
        seed_message "$tmp" "$2" "$3"
        size=$(stat -c %s "$tmp")
        n=$((n + 1))
        f="$d/mail/$1/Maildir/cur/$(date +%s).M${n}P$$.maildoc-lab,S=$size:2,S"
        mv "$tmp" "$f"
    }
    put taro@lab.example 600 "Welcome to the maildoc lab"
    put taro@lab.example 2400 "Second message for taro"
    put hanako 600 "Hello hanako"
    # full@: quota 1 MiB (1024 KiB), holds ~1.2 MiB -> over quota.
    put full@lab.example 1258291 "Large message filling the quota"
    # near@: quota 1 MiB, ~95 % used (1,000,000 bytes = 976 KiB of 1024).
    put near@lab.example 1000000 "Message using 95 percent of the quota"
    chown -R "$MAIL_USER:$MAIL_USER" "$d/mail"
    chmod 700 "$d/mail"/*
    chmod 755 "$d/mail"
}

# Dovecot: per-address TLS settings and listener address lists.
render_dovecot() {
    local d=$1 uid gid h ip name cert blocks="" full_ips=""
    uid=$(id -u "$MAIL_USER") gid=$(id -g "$MAIL_USER")
    for h in "${FULL_HOSTS[@]}"; do
        IFS='|' read -r ip name cert <<<"$h"
        full_ips+="${full_ips:+ }$ip"
        blocks+="local $ip {  # $name"$'\n'
        blocks+="  ssl_cert = <$d/certs/$cert.chain.pem"$'\n'
        blocks+="  ssl_key = <$d/certs/$cert.key"$'\n}\n'
    done
    blocks+="local $IP_POPONIMAP {  # pop-on-imap.lab.example"$'\n'
    blocks+="  ssl_cert = <$d/certs/pop-on-imap.chain.pem"$'\n'
    blocks+="  ssl_key = <$d/certs/pop-on-imap.key"$'\n}\n'
    blocks+="local $IP_GMAIL {  # imap.gmail.com (intercepted)"$'\n'
    blocks+="  ssl_cert = <$d/certs/gmail.chain.pem"$'\n'
    blocks+="  ssl_key = <$d/certs/gmail.key"$'\n}\n'
    blocks+="local $IP_SSLONLY {  # sslonly.lab.example (STARTTLS on 143/110 only)"$'\n'
    blocks+="  ssl_cert = <$d/certs/faults.chain.pem"$'\n'
    blocks+="  ssl_key = <$d/certs/faults.key"$'\n}\n'
    # nostarttls.lab.example: no TLS at all on 143/110, and (like a badly run
    # server) it accepts passwords in the clear there.
    blocks+="local $IP_NOSTARTTLS {  # nostarttls.lab.example"$'\n'
    blocks+="  ssl = no"$'\n'
    blocks+="  disable_plaintext_auth = no"$'\n}'
    render "$TEMPLATES/dovecot.conf.in" "$d/dovecot/dovecot.conf" \
        STATE="$d" UID="$uid" GID="$gid" LOCAL_BLOCKS="$blocks" \
        IMAP_ADDRS="$full_ips $IP_NOSTARTTLS $IP_SSLONLY" IMAPS_ADDRS="$full_ips $IP_GMAIL" \
        POP3_ADDRS="$full_ips $IP_NOSTARTTLS $IP_SSLONLY" POP3S_ADDRS="$full_ips"
    render "$TEMPLATES/dovecot-legacy.conf.in" "$d/dovecot-legacy/dovecot.conf" \
        STATE="$d" UID="$uid" GID="$gid"
    render "$TEMPLATES/openssl-legacy.cnf.in" "$d/dovecot-legacy/openssl.cnf"
    render "$TEMPLATES/dovecot-clientcert.conf.in" "$d/dovecot-clientcert/dovecot.conf" \
        STATE="$d" UID="$uid" GID="$gid" IP="$IP_CLIENTCERT"
    render "$TEMPLATES/openssl-clientcert.cnf.in" "$d/dovecot-clientcert/openssl.cnf"
}

# Postfix: one smtpd per address:port.
smtpd_line() { # smtpd_line IP:PORT HOSTNAME KIND CHAIN_FILE|"" [PARAM=VALUE...]
    local listen=$1 host=$2 kind=$3 chain=$4
    shift 4
    local opts="-o myhostname=$host"
    if [[ -n $chain ]]; then opts+=" -o smtpd_tls_chain_files=$chain"; fi
    case $kind in
        mx)         opts+=" -o smtpd_tls_security_level=may -o smtpd_sasl_auth_enable=no" ;;
        submission) opts+=" -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes" ;;
        smtps)      opts+=" -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes" ;;
        notls)      opts+=" -o smtpd_tls_security_level=none -o smtpd_sasl_auth_enable=no" ;;
        notls-auth) opts+=" -o smtpd_tls_security_level=none -o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=no" ;;
    esac
    # Submission (AUTH offered): mail from HOLD_SENDERS is accepted and held (main.cf).
    case $kind in
        submission | smtps | notls-auth)
            opts+=" -o smtpd_sender_restrictions=\$lab_submission_sender_restrictions" ;;
    esac
    local extra
    for extra in "$@"; do opts+=" -o $extra"; done
    printf '%-17s inet  n       -       n       -       -       smtpd\n  %s\n' "$listen" "$opts"
}

render_postfix() {
    local d=$1 h ip name cert chain svc=""
    local -a extra
    for h in "${FULL_HOSTS[@]}"; do
        IFS='|' read -r ip name cert <<<"$h"
        chain=$d/certs/$cert.postfix.pem
        extra=()
        if [[ $ip == "$IP_SMALLSIZE" ]]; then extra=(message_size_limit=1048576); fi
        svc+="# $name"$'\n'
        svc+=$(smtpd_line "$ip:25" "$name" mx "$chain" "${extra[@]}")$'\n'
        svc+=$(smtpd_line "$ip:587" "$name" submission "$chain" "${extra[@]}")$'\n'
        svc+=$(smtpd_line "$ip:465" "$name" smtps "$chain" "${extra[@]}")$'\n'
    done
    svc+="# nostarttls.lab.example: no STARTTLS on 25 and 587; 587 offers AUTH in the clear"$'\n'
    svc+=$(smtpd_line "$IP_NOSTARTTLS:25" nostarttls.lab.example notls "")$'\n'
    svc+=$(smtpd_line "$IP_NOSTARTTLS:587" nostarttls.lab.example notls-auth "")$'\n'
    svc+="# op25b.lab.example: 587/465 only; 25 is filtered (see filter_start)"$'\n'
    svc+=$(smtpd_line "$IP_OP25B:587" op25b.lab.example submission "$d/certs/op25b.postfix.pem")$'\n'
    svc+=$(smtpd_line "$IP_OP25B:465" op25b.lab.example smtps "$d/certs/op25b.postfix.pem")$'\n'
    local faults=$d/certs/faults.postfix.pem
    # slow.lab.example: with smtpd_delay_reject=no the client restrictions run at connect,
    # before the 220; "sleep" holds the greeting back (on 465 after the TLS handshake).
    local -a slow=(smtpd_delay_reject=no "smtpd_client_restrictions=sleep,$SLOW_GREETING")
    svc+="# slow.lab.example: the 220 comes $SLOW_GREETING s after the connection is accepted"$'\n'
    svc+=$(smtpd_line "$IP_SLOW:25" slow.lab.example mx "$faults" "${slow[@]}")$'\n'
    svc+=$(smtpd_line "$IP_SLOW:587" slow.lab.example submission "$faults" "${slow[@]}")$'\n'
    svc+=$(smtpd_line "$IP_SLOW:465" slow.lab.example smtps "$faults" "${slow[@]}")$'\n'
    # relay.lab.example: the classic open relay, a mynetworks that takes in every client
    # (all of loopback here) before reject_unauth_destination: RCPT TO any domain without
    # AUTH. Every message is held (main.cf lab_relay_recipient_restrictions) and outside
    # domains would go to discard anyway.
    local -a relay=(mynetworks=127.0.0.0/8
        "smtpd_relay_restrictions=permit_mynetworks,permit_sasl_authenticated,reject_unauth_destination"
        "smtpd_recipient_restrictions=\$lab_relay_recipient_restrictions")
    svc+="# relay.lab.example: an open relay as the client sees it (held, never delivered)"$'\n'
    svc+=$(smtpd_line "$IP_RELAY:25" relay.lab.example mx "$faults" "${relay[@]}")$'\n'
    svc+=$(smtpd_line "$IP_RELAY:587" relay.lab.example submission "$faults" "${relay[@]}")$'\n'
    # clientcert.lab.example: Postfix asks for a client certificate, finishes the handshake
    # without one and then answers "421 4.7.1 ... Error: No client certificate presented".
    local -a ccert=(smtpd_tls_ask_ccert=yes smtpd_tls_req_ccert=yes "smtpd_tls_CAfile=$d/ca/root.crt")
    svc+="# clientcert.lab.example: client certificate required (421 after the handshake)"$'\n'
    svc+=$(smtpd_line "$IP_CLIENTCERT:465" clientcert.lab.example smtps "$faults" "${ccert[@]}")$'\n'
    svc+=$(smtpd_line "$IP_CLIENTCERT:587" clientcert.lab.example submission "$faults" "${ccert[@]}")$'\n'
    svc+="# sslonly.lab.example: STARTTLS on 25 and 587; nothing on 465"$'\n'
    svc+=$(smtpd_line "$IP_SSLONLY:25" sslonly.lab.example mx "$faults")$'\n'
    svc+=$(smtpd_line "$IP_SSLONLY:587" sslonly.lab.example submission "$faults")$'\n'
    svc+="# smtp.gmail.com (intercepted by the \"security scanner\" CA)"$'\n'
    svc+=$(smtpd_line "$IP_GMAIL:465" smtp.gmail.com smtps "$d/certs/gmail.postfix.pem")
    local sender
    : > "$d/postfix/conf/hold_senders"
    for sender in "${HOLD_SENDERS[@]}"; do
        printf '%s HOLD maildoc lab: held sender\n' "$sender" >> "$d/postfix/conf/hold_senders"
    done
    render "$TEMPLATES/postfix-main.cf.in" "$d/postfix/conf/main.cf" STATE="$d"
    render "$TEMPLATES/postfix-master.cf.in" "$d/postfix/conf/master.cf" SMTPD_SERVICES="$svc"
}

# Postfix queue tree (what `postfix start` would create, done directly: faster).
make_postfix_spool() {
    local q=$1/postfix/spool sub
    mkdir -p "$q" "$1/postfix/data"
    chown root:root "$q"; chmod 755 "$q"
    for sub in active bounce corrupt defer deferred flush hold incoming private saved trace; do
        mkdir -p "$q/$sub"; chown postfix:root "$q/$sub"; chmod 700 "$q/$sub"
    done
    mkdir -p "$q/maildrop" "$q/public" "$q/pid"
    chown postfix:postdrop "$q/maildrop" "$q/public"
    chmod 730 "$q/maildrop"; chmod 710 "$q/public"
    chown root:root "$q/pid"; chmod 755 "$q/pid"
    chown postfix:root "$1/postfix/data"; chmod 700 "$1/postfix/data"
}

# TLSA association data (RFC 6698 §2.1) of a PEM certificate: tlsa_data SELECTOR MATCHING FILE
# (selector 0 the whole certificate, 1 its SubjectPublicKeyInfo; matching 1 SHA-256, 2 SHA-512).
tlsa_data() {
    local selector=$1 matching=$2 file=$3 md=sha256
    [[ $matching == 2 ]] && md=sha512
    if [[ $selector == 1 ]]; then
        openssl x509 -in "$file" -noout -pubkey | openssl pkey -pubin -outform DER
    else
        openssl x509 -in "$file" -outform DER
    fi | openssl dgst "-$md" -r | cut -d' ' -f1
}

# The DNSSEC cases (maildoc domain): four zones below posture.lab.example, each
# signed at every start with fresh ECDSA P-256 keys (a key-signing and a zone-signing key).
# signed: its DS is in the parent (secure); island: no DS (keys without DS); bogus: the
# parent's DS is island's key, which bogus does not have; expired: signatures of 2020.
# Sets DS_SIGNED, DS_BOGUS and DS_EXPIRED (DS record data for the parent zone).
sign_dnssec_zones() {
    local d=$1 serial=$2 z ksk zsk keys=$1/nsd/keys
    rm -rf "$keys" "$d"/nsd/*.posture.lab.example.zone*
    mkdir -p "$keys"
    local -A ds
    for z in signed island bogus expired; do
        local name=$z.posture.lab.example file=$d/nsd/$z.posture.lab.example.zone
        cat > "$file" <<EOF
; maildoc lab (generated by lab/lab.sh sign_dnssec_zones): a DNSSEC case, signed below.
\$ORIGIN $name.
\$TTL 300
@       IN SOA  ns.lab.example. hostmaster.lab.example. $serial 3600 600 86400 300
@       IN NS   ns.lab.example.
@       IN MX   10 mx1
mx1     IN A    192.0.2.60
@       IN TXT  "v=spf1 ip4:192.0.2.60 -all"
_dmarc  IN TXT  "v=DMARC1; p=reject"
; names below the zone's top: as signed, or with a record changed after signing (an MX;
; a TXT, for a name without MX)
mail    IN MX   10 mx1
tampered IN MX  10 mx1
txtonly IN TXT  "v=spf1 -all"
tamperedtxt IN TXT "v=spf1 -all"
EOF
        ksk=$(cd "$keys" && ldns-keygen -a ECDSAP256SHA256 -k "$name") || die "ldns-keygen failed"
        zsk=$(cd "$keys" && ldns-keygen -a ECDSAP256SHA256 "$name") || die "ldns-keygen failed"
        local -a when=()
        [[ $z == expired ]] && when=(-i 20200101000000 -e 20200201000000)
        ldns-signzone "${when[@]}" -f "$file.signed" "$file" "$keys/$ksk" "$keys/$zsk" \
            || die "ldns-signzone $name failed"
        # tampered.<zone>: its MX record changed after signing, so its signature fails.
        sed -E -i "s/^(tampered\.$name\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+MX[[:space:]]+)10 /\120 /" \
            "$file.signed"
        grep -qE "^tampered\.$name\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+MX[[:space:]]+20 " "$file.signed" \
            || die "could not alter tampered.$name after signing"
        sed -E -i "s/^(tamperedtxt\.$name\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+TXT[[:space:]]+\"v=spf1 )-all\"/\1~all\"/" \
            "$file.signed"
        grep -qE "^tamperedtxt\.$name\..*TXT[[:space:]]+\"v=spf1 ~all\"" "$file.signed" \
            || die "could not alter tamperedtxt.$name after signing"
        # "owner class DS tag algorithm digest-type digest": keep the record data.
        ds[$z]=$(awk '$3 == "DS" { print $4, $5, $6, $7 }' "$keys/$ksk.ds")
    done
    DS_SIGNED=${ds[signed]} DS_BOGUS=${ds[island]} DS_EXPIRED=${ds[expired]}
}

# The lab's DKIM signing key (lab.example): a fresh RSA 2048 key per start in STATE_DIR/dkim
# (PKCS#8 PEM, mode 0600), its public key served at $DKIM_SELECTOR._domainkey.lab.example
# (lab.env: MAILDOC_LAB_DKIM_KEY, _SELECTOR, _DOMAIN), so tests can sign a message and have
# maildoc verify it against the lab's DNS. revoked._domainkey.lab.example has an empty p=.
DKIM_SELECTOR=sel1
DKIM_DOMAIN=lab.example

dkim_key() { printf '%s/dkim/%s.key\n' "$1" "$DKIM_SELECTOR"; }

# dkim_keygen DIR: a new key (replacing any). About 0.1-0.5 s of one core.
dkim_keygen() {
    local d=$1 key tmp
    key=$(dkim_key "$d") tmp=$(dkim_key "$d").tmp
    mkdir -p "$d/dkim"
    chmod 700 "$d/dkim"
    (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp" 2>/dev/null) \
        || die "openssl genpkey (DKIM key) failed"
    chmod 600 "$tmp"
    mv "$tmp" "$key"
}

# dkim_txt DIR: the TXT record data of the key's public half, as quoted strings of at most
# 255 characters ("v=DKIM1; k=rsa; p=" and base64 of the DER SubjectPublicKeyInfo: about
# 410 characters, so two strings; resolvers join them).
dkim_txt() {
    local value pub i out=
    pub=$(openssl pkey -in "$(dkim_key "$1")" -pubout -outform DER | base64 -w0) \
        || die "openssl pkey (DKIM public key) failed"
    [[ -n $pub ]] || die "empty DKIM public key"
    value="v=DKIM1; k=rsa; p=$pub"
    for ((i = 0; i < ${#value}; i += 255)); do
        out+="${out:+ }\"${value:i:255}\""
    done
    printf '%s\n' "$out"
}

dkim_env() {
    echo "MAILDOC_LAB_DKIM_KEY=$(dkim_key "$1")"
    echo "MAILDOC_LAB_DKIM_SELECTOR=$DKIM_SELECTOR"
    echo "MAILDOC_LAB_DKIM_DOMAIN=$DKIM_DOMAIN"
}

render_nsd() {
    local d=$1 serial
    serial=$(date -u +%s)
    sign_dnssec_zones "$d" "$serial"
    render "$TEMPLATES/nsd.conf.in" "$d/nsd/nsd.conf" STATE="$d"
    # reload-dns keeps this start's key (tests may hold it); a lab older than the key gets one.
    [[ -s $(dkim_key "$d") ]] || dkim_keygen "$d"
    local dkim_txt
    dkim_txt=$(dkim_txt "$d")
    render "$TEMPLATES/lab.example.zone.in" "$d/nsd/lab.example.zone" SERIAL="$serial" \
        DKIM_SELECTOR="$DKIM_SELECTOR" DKIM_TXT="$dkim_txt"
    render "$TEMPLATES/gmail.com.zone.in" "$d/nsd/gmail.com.zone" SERIAL="$serial"
    # The DANE cases of posture.lab.example: TLSA data of the certificates of this start
    # (mx-dane*.posture.lab.example are names of 127.0.2.10, whose Postfix sends the
    # "healthy" leaf and the intermediate).
    local -a tlsa=(
        TLSA_LEAF_SPKI_SHA256="$(tlsa_data 1 1 "$d/certs/healthy.crt")"
        TLSA_INTERMEDIATE_SHA256="$(tlsa_data 0 1 "$d/ca/intermediate.crt")"
        TLSA_OTHER_CA_SPKI_SHA256="$(tlsa_data 1 1 "$d/ca/other-ca.crt")"
        TLSA_ROOT_SHA512="$(tlsa_data 0 2 "$d/ca/root.crt")"
    )
    local z
    for z in posture.lab.example 2.0.192.in-addr.arpa dmarc-reports.example dnsbl.lab.example; do
        render "$TEMPLATES/$z.zone.in" "$d/nsd/$z.zone" SERIAL="$serial" "${tlsa[@]}" \
            DS_SIGNED="$DS_SIGNED" DS_BOGUS="$DS_BOGUS" DS_EXPIRED="$DS_EXPIRED"
    done
    for z in "$d"/nsd/*.zone "$d"/nsd/*.zone.signed; do
        nsd-checkzone "$(basename "${z%.signed}" .zone)" "$z" >/dev/null || die "zone $z invalid"
    done
    nsd-checkconf "$d/nsd/nsd.conf" >/dev/null || die "nsd.conf invalid"
}

# The autoconfig files of settings discovery, one directory per Host header
# (lib/autoconfig_https.py serves DIR/autoconfig/<host>/<path>).
write_autoconfig() {
    local d=$1 host
    mkdir -p "$d/autoconfig/autoconfig.auto.lab.example/mail"
    cp "$TEMPLATES/autoconfig/autoconfig.xml" "$d/autoconfig/autoconfig.auto.lab.example/mail/config-v1.1.xml"
    for host in auto.lab.example wellknown.lab.example; do
        mkdir -p "$d/autoconfig/$host/.well-known/autoconfig/mail"
        cp "$TEMPLATES/autoconfig/well-known.xml" "$d/autoconfig/$host/.well-known/autoconfig/mail/config-v1.1.xml"
    done
    chmod -R a+rX "$d/autoconfig"
}

# The MTA-STS policy files of the posture cases (lib/autoconfig_https.py serves
# DIR/mta-sts/<host>/<path>): stsok lists its MX, stsmismatch lists another host,
# stsbadpolicy has no mode line, stshtml is stsok's policy served as text/html.
write_mta_sts() {
    local d=$1 host
    local -A policies=(
        [stsok]=$'version: STSv1\nmode: enforce\nmx: mx1.posture.lab.example\nmax_age: 86400\n'
        [stsmismatch]=$'version: STSv1\nmode: enforce\nmx: *.elsewhere.example\nmax_age: 86400\n'
        [stsbadpolicy]=$'version: STSv1\nmx: mx1.posture.lab.example\nmax_age: 86400\n'
        [stshtml]=$'version: STSv1\nmode: enforce\nmx: mx1.posture.lab.example\nmax_age: 86400\n'
    )
    for host in "${!policies[@]}"; do
        mkdir -p "$d/mta-sts/mta-sts.$host.posture.lab.example/.well-known"
        printf '%s' "${policies[$host]}" > "$d/mta-sts/mta-sts.$host.posture.lab.example/.well-known/mta-sts.txt"
    done
    echo "text/html; charset=utf-8" > "$d/mta-sts/mta-sts.stshtml.posture.lab.example/.well-known/mta-sts.txt.type"
    # The BIMI files (bimi.posture.lab.example, the same server): a logo in the SVG Tiny PS
    # profile and its mark certificate (bimiok), the same from an untrusted issuer
    # (bimiuntrusted), a logo outside the profile (bimibad).
    local b=$d/mta-sts/bimi.posture.lab.example
    mkdir -p "$b"
    cat > "$b/ok.svg" <<'SVG'
<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 64 64">
  <title>maildoc lab</title>
  <rect width="64" height="64" fill="#1a5fb4"/>
</svg>
SVG
    cat > "$b/bad.svg" <<'SVG'
<svg xmlns="http://www.w3.org/2000/svg" version="1.1" x="0" y="0" viewBox="0 0 64 64">
  <rect width="64" height="64" fill="#e01b24"/>
</svg>
SVG
    echo "image/svg+xml" > "$b/ok.svg.type"
    echo "image/svg+xml" > "$b/bad.svg.type"
    if [[ ! -f $b/ok.pem || ! -f $b/untrusted.pem ]]; then
        PKI=$d
        lab_vmc "$b/ok.svg" "$b/ok.pem" bimiok.posture.lab.example inter
        lab_vmc "$b/ok.svg" "$b/untrusted.pem" bimiuntrusted.posture.lab.example other
    fi
    chmod -R a+rX "$d/mta-sts"
}

# The MTA-STS HTTPS server, with its own certificate for the policy hosts.
start_mta_sts() {
    local d=$1
    setsid "$PY" "$LAB_ROOT/lib/autoconfig_https.py" "$IP_MTASTS" 443 \
        "$d/certs/mtasts.chain.pem" "$d/certs/mtasts.key" "$d/mta-sts" \
        > "$d/log/mta-sts-https.log" 2>&1 < /dev/null &
    echo $! > "$d/run/mta-sts-https.pid"
}

write_env() {
    local d=$1 entry login key pass quota tmp=$1/lab.env.tmp
    {
        echo "# maildoc lab environment (written by lab/lab.sh start at $(date -u +%FT%TZ))"
        echo "MAILDOC_LAB_DIR=$d"
        echo "MAILDOC_LAB_DNS=$IP_DNS:53"
        echo "MAILDOC_LAB_CA=$d/ca/root.crt"
        echo "MAILDOC_LAB_INTERMEDIATE_CA=$d/ca/intermediate.crt"
        echo "MAILDOC_LAB_OTHER_CA=$d/ca/other-ca.crt"
        echo "MAILDOC_LAB_SCANNER_CA=$d/ca/scanner-ca.crt"
        echo "MAILDOC_LAB_AIA_URL=http://aia.lab.example/intermediate.der"
        echo "MAILDOC_LAB_AUTOCONFIG=https://autoconfig.auto.lab.example/mail/config-v1.1.xml"
        echo "MAILDOC_LAB_FILTERED=$IP_OP25B:25"
        echo "MAILDOC_LAB_FILTER_MECHANISM=$(cat "$d/run/filter.mode")"
        echo "MAILDOC_LAB_LEGACY_TLS=$(cat "$d/run/legacy.mode")"
        # slow.lab.example's SMTP greeting comes this many seconds after the connection.
        echo "MAILDOC_LAB_SLOW_GREETING=$SLOW_GREETING"
        for entry in "${USERS[@]}"; do
            IFS='|' read -r login key pass quota <<<"$entry"
            echo "${key/PASS/USER}=$login"
            echo "$key=$pass"
        done
        echo "MAILDOC_LAB_PG_URL=postgres://$PG_ROLE:$PG_PASSWORD@$IP_POSTGRES:$PG_PORT/$PG_ROLE"
        # The same server over TLS: the certificate is checked against $PG_TLS_NAME (no DNS
        # record; hostaddr gives the address), issued under MAILDOC_LAB_CA.
        echo "MAILDOC_LAB_PG_TLS_URL=postgres://$PG_ROLE:$PG_PASSWORD@$PG_TLS_NAME:$PG_PORT/$PG_ROLE?hostaddr=$IP_POSTGRES&sslmode=require&sslrootcert=$d/ca/root.crt"
        echo "MAILDOC_LAB_PG_PASSWORD=$PG_PASSWORD"
        echo "MAILDOC_LAB_PG_DATA=$(pg_data "$d")"
        # The private session bus with GNOME Keyring's Secret Service (a D-Bus address, for
        # DBUS_SESSION_BUS_ADDRESS); its login keyring is unlocked, with this password.
        echo "MAILDOC_LAB_DBUS=$(keyring_bus "$d")"
        echo "MAILDOC_LAB_KEYRING_PASSWORD=$KEYRING_PASSWORD"
        # The DKIM signing key whose public key lab.example's DNS serves (see dkim_keygen).
        dkim_env "$d"
    } > "$tmp"
    chmod 644 "$tmp"
    mv "$tmp" "$d/lab.env"
}

# ============================================================================
# postgres: a fresh cluster per start, run as the Debian "postgres" user (initdb
# refuses root), on $IP_POSTGRES:$PG_PORT. The superuser logs in only by peer on the
# unix socket (in the cluster's directory); everyone else by SCRAM password over TCP, plain
# or TLS (the certificate of $PG_TLS_NAME, lib/certs.sh's "pg").
# ============================================================================

# pg_bin [DATA]: the directory of the server binaries: DATA's version when given, else the
# highest /usr/lib/postgresql/*/bin with initdb and pg_ctl.
pg_bin() {
    local data=${1:-} dir
    if [[ -n $data && -r $data/PG_VERSION ]]; then
        dir=/usr/lib/postgresql/$(<"$data/PG_VERSION")/bin
        if [[ -x $dir/pg_ctl ]]; then printf '%s\n' "$dir"; return 0; fi
    fi
    while read -r dir; do
        if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then printf '%s\n' "$dir"; return 0; fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV)
    return 1
}

# as_pg CMD...: CMD as the postgres user, from / (the caller's directory may be closed to it).
as_pg() { (cd / && runuser -u "$PG_USER" -- "$@"); }

# pg_data DIR: the cluster's data directory (the link DIR/postgres resolved).
pg_data() { printf '%s/data\n' "$(readlink -m "$1/postgres")"; }

pg_running() {
    local data
    data=$(pg_data "$1")
    pid_alive "$data/postmaster.pid" "$data"
}

# pg_remove DIR: the old cluster (and the one in /tmp DIR/postgres links to).
pg_remove() {
    local link=$1/postgres target
    if [[ -L $link ]]; then
        target=$(readlink -m "$link")
        if [[ $target == /tmp/maildoc-lab-pg.* ]]; then rm -rf "$target"; fi
    fi
    rm -rf "$link"
}

# scram_verifier PASSWORD: what PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5803
# form, 4096 iterations), so the clear password never reaches the server, its log or its WAL.
scram_verifier() {
    # shellcheck disable=SC2016 # Python, not shell
    PW=$1 "$PY" -c '
import base64, hashlib, hmac, os
pw, salt, n = os.environ["PW"].encode(), os.urandom(16), 4096
salted = hashlib.pbkdf2_hmac("sha256", pw, salt, n)
stored = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
server = hmac.digest(salted, b"Server Key", "sha256")
b64 = lambda b: base64.b64encode(b).decode()
print(f"SCRAM-SHA-256${n}:{b64(salt)}${b64(stored)}:{b64(server)}")'
}

# pg_prepare DIR: the binaries (PG_BIN), the role's password (PG_PASSWORD) and the cluster's
# directory, owned by the postgres user, with the server's certificate chain and key in its
# tls/ (the PKI must be made). Quick; pg_setup does the slow part.
pg_prepare() {
    local d=$1 pg=$1/postgres
    PG_BIN=$(pg_bin) || die "no PostgreSQL server (initdb, pg_ctl) in /usr/lib/postgresql/*/bin"
    getent passwd "$PG_USER" >/dev/null || die "no system user $PG_USER (package postgresql)"
    if ! runuser -u "$PG_USER" -- test -x "$d"; then
        # A parent of DIR is closed to other users: the cluster lives where postgres can reach it.
        pg=/tmp/maildoc-lab-pg.$(printf '%s' "$d" | sha256sum | cut -c1-12)
        rm -rf "$pg"
        ln -s "$pg" "$d/postgres"
        log "$PG_USER cannot reach $d; the PostgreSQL cluster lives in $pg"
    fi
    mkdir -p "$pg/run" "$pg/tls"
    # The server sends the leaf and the intermediate (a client trusting only the root can
    # verify); it refuses a key file that is not its own with mode 0600.
    cp "$d/certs/pg.chain.pem" "$pg/tls/server.crt"
    cp "$d/certs/pg.key" "$pg/tls/server.key"
    chown -R "$PG_USER:" "$pg"
    chmod 755 "$pg" "$pg/run" "$pg/tls"
    chmod 644 "$pg/tls/server.crt"
    chmod 600 "$pg/tls/server.key"
    # Letters and digits only: nothing to escape in the URL, nothing shared with the mail passwords.
    PG_PASSWORD=$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | cut -c1-24)
    ((${#PG_PASSWORD} == 24)) || die "could not generate the PostgreSQL password"
}

# pg_setup DIR PASSWORD: initdb, start, wait until it answers on TCP, create the role and its
# database. Runs in the background during start (its output is DIR/log/postgres.log, as is
# the server's log).
pg_setup() {
    local d=$1 pw=$2 pg data i verifier
    pg=$(readlink -m "$d/postgres") data=$(pg_data "$d")
    verifier=$(scram_verifier "$pw")
    as_pg "$PG_BIN/initdb" -D "$data" -U "$PG_USER" -E UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 --no-sync --no-instructions
    cat >> "$data/postgresql.conf" <<CONF

# maildoc lab (lab/lab.sh): loopback only, socket in the cluster's directory, and no
# durability (a test lab). synchronous_commit stays on: with fsync off it costs a write(2),
# and committed rows are in the WAL files at once for tests that search the data directory.
listen_addresses = '$IP_POSTGRES'
port = $PG_PORT
unix_socket_directories = '$pg/run'
max_connections = 100
shared_buffers = 32MB
fsync = off
full_page_writes = off
password_encryption = scram-sha-256
# TLS for clients that ask for it (plain TCP stays open): the certificate of $PG_TLS_NAME
# with the lab's intermediate; no client certificates.
ssl = on
ssl_cert_file = '$pg/tls/server.crt'
ssl_key_file = '$pg/tls/server.key'
ssl_min_protocol_version = 'TLSv1.2'
CONF
    cat > "$data/pg_hba.conf" <<HBA
# maildoc lab (lab/lab.sh): the superuser by peer on the socket only; every other login by
# SCRAM password over TCP from loopback ("host" matches both plain and TLS connections).
# TYPE  DATABASE  USER       ADDRESS       METHOD
local   all       $PG_USER                 peer
host    all       all        127.0.0.0/8   scram-sha-256
HBA
    as_pg "$PG_BIN/pg_ctl" -D "$data" -w -t 20 start
    for ((i = 0; ; i++)); do
        "$PG_BIN/pg_isready" -q -h "$IP_POSTGRES" -p "$PG_PORT" -t 1 && break
        ((i < 50)) || die "postgres does not answer on $IP_POSTGRES:$PG_PORT"
        sleep 0.1
    done
    # pg_checkpoint (PostgreSQL 15+): lets a test flush the buffers before searching the files.
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg/run" -p "$PG_PORT" -U "$PG_USER" -d postgres \
        -v role="$PG_ROLE" -v verifier="$verifier" <<'SQL'
CREATE ROLE :"role" LOGIN CREATEDB PASSWORD :'verifier';
CREATE DATABASE :"role" OWNER :"role";
SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pg_checkpoint') AS has_checkpoint \gset
\if :has_checkpoint
GRANT pg_checkpoint TO :"role";
\endif
SQL
}

# pg_wait DIR: wait for the background pg_setup (PG_JOB) and record the server's PID.
pg_wait() {
    local d=$1 rc=0 why
    wait "$PG_JOB" || rc=$?
    PG_JOB=
    if ((rc != 0)); then
        # The server's own words (e.g. "could not bind ...") where there are some.
        why=$(grep -E 'FATAL|ERROR|error:|could not bind' "$d/log/postgres.log" \
            | tail -n 2 | sed -E 's/^[0-9-]+ [0-9:.]+ [A-Z]+ \[[0-9]+\] //' | tr '\n' ' ') || true
        die "PostgreSQL did not come up: ${why:-see the log} (log: $d/log/postgres.log)"
    fi
    head -n1 "$(pg_data "$d")/postmaster.pid" > "$d/run/postgres.pid"
}

# pg_stop DIR: pg_ctl stop -m fast; if that fails, an immediate shutdown (SIGQUIT), then SIGKILL.
pg_stop() {
    local d=$1 data pid bin i
    data=$(pg_data "$d")
    rm -f "$d/run/postgres.pid"
    pg_running "$d" || return 0
    pid=$(head -n1 "$data/postmaster.pid" | tr -d ' \n')
    if ! bin=$(pg_bin "$data") \
        || ! as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t 10 stop >> "$d/log/postgres.log" 2>&1; then
        log "postgres (pid $pid) did not stop with pg_ctl stop -m fast; sending SIGQUIT"
        kill -QUIT "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do proc_gone "$pid" && break; sleep 0.05; done
        proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped postgres (pid $pid)"
}

# pg_check DIR: two lines in labprobe's `check` format: the server answers, and its TLS
# handshake as $PG_TLS_NAME verifies against the lab's root CA.
pg_check() {
    local d=$1 bin out="" ok=FAIL rc=0
    if bin=$(pg_bin) && out=$("$bin/pg_isready" -h "$IP_POSTGRES" -p "$PG_PORT" -t 2 2>&1); then ok="OK  "; fi
    out=${out##* - }
    printf '%s %-28s %s:%-5s %-8s %s\n' "$ok" postgres "$IP_POSTGRES" "$PG_PORT" pg "${out:-no pg_isready}"
    [[ $ok != FAIL ]] || rc=1
    ok=FAIL out=""
    if out=$(timeout 5 openssl s_client -starttls postgres -connect "$IP_POSTGRES:$PG_PORT" \
        -servername "$PG_TLS_NAME" -verify_hostname "$PG_TLS_NAME" -CAfile "$d/ca/root.crt" \
        -verify_return_error -brief < /dev/null 2>&1); then
        ok="OK  " out=$(grep -m1 '^Protocol version' <<<"$out" || true)
    else
        out=$(grep -m1 -iE 'error|refused|unable' <<<"$out" || true)
    fi
    printf '%s %-28s %s:%-5s %-8s %s\n' "$ok" postgres-tls "$IP_POSTGRES" "$PG_PORT" pg-tls "${out:-no TLS}"
    [[ $ok != FAIL ]] || rc=1
    return "$rc"
}

# ============================================================================
# keyring: a private D-Bus session bus on DIR/run/dbus.sock with GNOME Keyring's Secret
# Service (org.freedesktop.secrets) on it, for the watch passwords' keyring (crates/maildoc-store
# keyring.rs). HOME, XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME and XDG_RUNTIME_DIR point
# into DIR/keyring (wiped at every start), so the real user's keyring is never touched. The
# login keyring is created at start with $KEYRING_PASSWORD and stays unlocked. The bus, like
# a desktop's, lets only its owner (root) connect.
# ============================================================================

# keyring_bus DIR: the bus's D-Bus address ("+" is not allowed unescaped in an address value).
keyring_bus() {
    local a="unix:path=$1/run/dbus.sock"
    printf '%s\n' "${a//+/%2b}"
}

# keyring_env DIR CMD...: CMD on the lab's bus with the keyring's private directories.
keyring_env() {
    local d=$1 k=$1/keyring
    shift
    env -u DISPLAY -u WAYLAND_DISPLAY -u GNOME_KEYRING_CONTROL \
        DBUS_SESSION_BUS_ADDRESS="$(keyring_bus "$d")" HOME="$k/home" XDG_DATA_HOME="$k/data" XDG_CONFIG_HOME="$k/config" XDG_CACHE_HOME="$k/cache" \
        XDG_RUNTIME_DIR="$k/run" "$@"
}

# keyring_owner DIR: the PID of the process owning org.freedesktop.secrets on the lab's bus
# (fails while nobody does; asking the bus itself starts nothing).
keyring_owner() {
    local out
    out=$(keyring_env "$1" timeout 5 dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \
        / org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null) || return 1
    out=$(awk '{ print $2 }' <<<"$out")
    [[ $out =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$out"
}

# keyring_start DIR: the bus (DIR/run/dbus.pid), then gnome-keyring-daemon (DIR/run/gnome-keyring.pid),
# waiting until it owns org.freedesktop.secrets (a few ms after --daemonize returns); a client
# asking earlier would make the bus start a second daemon from its .service file, with a locked keyring.
keyring_start() {
    local d=$1 k=$1/keyring sock=$1/run/dbus.sock i pid
    ((${#sock} < 108)) || die "the bus socket path $sock is too long for a unix socket; use a shorter STATE_DIR"
    rm -rf "$k"
    mkdir -p "$k"/{home,data,config,cache,run}
    chmod 700 "$k" "$k"/{home,data,config,cache,run}
    rm -f "$sock"
    dbus-daemon --session --fork --address="$(keyring_bus "$d")" --print-pid=1 \
        < /dev/null > "$d/run/dbus.pid" 2>> "$d/log/dbus.log" \
        || die "dbus-daemon failed to start (log: $d/log/dbus.log)"
    # The control directory on the command line also names this lab's daemon (pid_alive, stop).
    printf '%s' "$KEYRING_PASSWORD" | keyring_env "$d" gnome-keyring-daemon --unlock --components=secrets \
        --daemonize --control-directory="$k/run/keyring" > "$d/log/gnome-keyring.log" 2>&1 \
        || die "gnome-keyring-daemon failed to start (log: $d/log/gnome-keyring.log)"
    for ((i = 0; ; i++)); do
        pid=$(keyring_owner "$d") && break
        if ((i >= 250)); then
            # Record it anyway, so that the stop after this failed start ends it.
            pid=$(pgrep -o -f -- "gnome-keyring-daemon .*--control-directory=$(sed 's/[.+]/\\&/g' <<<"$k")/run/keyring") \
                || true
            [[ -z $pid ]] || echo "$pid" > "$d/run/gnome-keyring.pid"
            die "gnome-keyring-daemon did not claim org.freedesktop.secrets on $(keyring_bus "$d") (log: $d/log/gnome-keyring.log)"
        fi
        sleep 0.02
    done
    echo "$pid" > "$d/run/gnome-keyring.pid"
    pid_alive "$d/run/gnome-keyring.pid" "$k/" \
        || die "org.freedesktop.secrets on the lab's bus is pid $pid, not this lab's gnome-keyring-daemon"
}

# keyring_check DIR: a line in labprobe's `check` format: this lab's daemon owns the Secret
# Service's name on the lab's bus.
keyring_check() {
    local d=$1 pid ok=FAIL out
    if pid=$(keyring_owner "$d"); then
        out="org.freedesktop.secrets: pid $pid"
        if [[ $(head -n1 "$d/run/gnome-keyring.pid" 2>/dev/null) == "$pid" ]]; then
            ok="OK  "
        else
            out+=" (not the pid in run/gnome-keyring.pid)"
        fi
    else
        out="no org.freedesktop.secrets on the bus"
    fi
    printf '%s %-28s %-21s %-8s %s\n' "$ok" secret-service "run/dbus.sock" dbus "$out"
    [[ $ok != FAIL ]]
}

# ============================================================================
# filtered port: 127.0.2.20:25 drops SYNs (connect times out)
# ============================================================================
filter_start() {
    local d=$1
    if command -v nft >/dev/null 2>&1 && nft -f - <<NFT 2>/dev/null
table inet $NFT_TABLE
delete table inet $NFT_TABLE
table inet $NFT_TABLE {
    # maildoc lab: op25b.lab.example port 25 is "filtered" (SYN silently dropped)
    chain output {
        type filter hook output priority 0; policy accept;
        ip daddr $IP_OP25B tcp dport 25 tcp flags & (syn | ack) == syn drop
    }
}
NFT
    then
        echo nftables > "$d/run/filter.mode"
        return 0
    fi
    # Fallback: a listener with a permanently full accept queue.
    log "nftables unusable; falling back to a full accept queue on $IP_OP25B:25"
    setsid "${PROBE[@]}" hold-filtered "$IP_OP25B" 25 > "$d/log/filter.log" 2>&1 < /dev/null &
    echo $! > "$d/run/filter.pid"
    echo accept-queue > "$d/run/filter.mode"
}

filter_stop() {
    local d=$1
    if [[ -f $d/run/filter.mode && $(cat "$d/run/filter.mode") == nftables ]]; then
        nft delete table inet "$NFT_TABLE" 2>/dev/null && log "removed nftables table $NFT_TABLE"
    fi
    rm -f "$d/run/filter.mode"
}

# ============================================================================
# status probes
# ============================================================================
probe_specs() {
    local h ip name cert
    echo "dns=dns:$IP_DNS:53"
    for h in "${FULL_HOSTS[@]}"; do
        IFS='|' read -r ip name cert <<<"$h"
        name=${name%%.lab.example}
        echo "$name-imap=banner:$ip:143" "$name-imaps=tls:$ip:993"
        echo "$name-pop3=banner:$ip:110" "$name-pop3s=tls:$ip:995"
        echo "$name-smtp=banner:$ip:25" "$name-submission=banner:$ip:587" "$name-smtps=tls:$ip:465"
    done
    echo "nostarttls-imap=banner:$IP_NOSTARTTLS:143" "nostarttls-pop3=banner:$IP_NOSTARTTLS:110"
    echo "nostarttls-smtp=banner:$IP_NOSTARTTLS:25" "nostarttls-submission=banner:$IP_NOSTARTTLS:587"
    echo "slow-smtp=silent:$IP_SLOW:25" "slow-submission=silent:$IP_SLOW:587" "slow-smtps=tls-silent:$IP_SLOW:465"
    echo "relay-smtp=openrelay:$IP_RELAY:25" "relay-submission=banner:$IP_RELAY:587"
    echo "clientcert-imaps=tls-nocert:$IP_CLIENTCERT:993" "clientcert-pop3s=tls-nocert:$IP_CLIENTCERT:995"
    echo "clientcert-smtps=tls-refusal:$IP_CLIENTCERT:465" "clientcert-submission=banner:$IP_CLIENTCERT:587"
    echo "sslonly-imap=banner:$IP_SSLONLY:143" "sslonly-pop3=banner:$IP_SSLONLY:110"
    echo "sslonly-smtp=banner:$IP_SSLONLY:25" "sslonly-submission=banner:$IP_SSLONLY:587"
    echo "op25b-submission=banner:$IP_OP25B:587" "op25b-smtps=tls:$IP_OP25B:465"
    echo "pop-on-imap-143=banner:$IP_POPONIMAP:143" "pop-on-imap-993=tls:$IP_POPONIMAP:993"
    echo "aia-http=http:$IP_AIA:80"
    echo "gmail-imaps=tls:$IP_GMAIL:993" "gmail-smtps=tls:$IP_GMAIL:465"
    echo "autoconfig-https=https:$IP_AUTOCONFIG:443"
    echo "mta-sts-https=https:$IP_MTASTS:443"
}

# Probes that must *not* answer; some are slow (time-outs), so only in `status`.
negative_specs() {
    echo "op25b-smtp-filtered=filtered:$IP_OP25B:25" "closed-imaps=closed:$IP_CLOSED:993" \
        "closed-smtp=closed:$IP_CLOSED:25"
    local ip name
    for ip in "$IP_NOSTARTTLS" "$IP_SSLONLY"; do
        name=nostarttls
        [[ $ip == "$IP_SSLONLY" ]] && name=sslonly
        echo "$name-imaps-closed=closed:$ip:993" "$name-pop3s-closed=closed:$ip:995" \
            "$name-smtps-closed=closed:$ip:465"
    done
}

# ============================================================================
# start / stop / status
# ============================================================================
any_running() {
    local d=$1
    pid_alive "$d/run/nsd.pid" "$d/nsd/" || pid_alive "$d/run/dovecot.pid" "$d/dovecot/" ||
        pid_alive "$d/run/dovecot-legacy.pid" "$d/dovecot-legacy/" ||
        pid_alive "$d/run/dovecot-clientcert.pid" "$d/dovecot-clientcert/" ||
        pid_alive "$d/run/postfix.pid" "$d/postfix/" || pid_alive "$d/run/aia-http.pid" "$d/www" ||
        pid_alive "$d/run/autoconfig-https.pid" "$d/autoconfig" ||
        pid_alive "$d/run/mta-sts-https.pid" "$d/mta-sts" ||
        pid_alive "$d/run/filter.pid" hold-filtered || [[ -f $d/run/filter.mode ]] || pg_running "$d" ||
        pid_alive "$d/run/gnome-keyring.pid" "$d/keyring/" || pid_alive "$d/run/dbus.pid" "$d/run/dbus.sock"
}

# adopt_native_pids DIR: copy the daemons' own PID files into DIR/run where a
# copy is missing (e.g. after a start that failed half-way).
adopt_native_pids() {
    local d=$1 name native
    for name in dovecot:dovecot/run/master.pid dovecot-legacy:dovecot-legacy/run/master.pid \
        dovecot-clientcert:dovecot-clientcert/run/master.pid postfix:postfix/spool/pid/master.pid; do
        native=$d/${name#*:}
        if [[ ! -s $d/run/${name%%:*}.pid && -s $native ]]; then
            { tr -dc '0-9' < "$native"; echo; } > "$d/run/${name%%:*}.pid"
        fi
    done
}

cmd_stop() {
    local d
    d=$(state_dir_arg "${1:-}")
    [[ -d $d/run ]] || { log "no lab state in $d"; return 0; }
    adopt_native_pids "$d"
    pg_stop "$d"
    stop_pids "$d/run/postfix.pid|$d/postfix/|postfix master" \
        "$d/run/dovecot-legacy.pid|$d/dovecot-legacy/|dovecot (legacy)" \
        "$d/run/dovecot-clientcert.pid|$d/dovecot-clientcert/|dovecot (clientcert)" \
        "$d/run/dovecot.pid|$d/dovecot/|dovecot" \
        "$d/run/nsd.pid|$d/nsd/|nsd" \
        "$d/run/aia-http.pid|$d/www|aia http server" \
        "$d/run/autoconfig-https.pid|$d/autoconfig|autoconfig https server" \
        "$d/run/mta-sts-https.pid|$d/mta-sts|mta-sts https server" \
        "$d/run/filter.pid|hold-filtered|filtered-port holder" \
        "$d/run/gnome-keyring.pid|$d/keyring/|gnome-keyring-daemon" \
        "$d/run/dbus.pid|$d/run/dbus.sock|dbus-daemon (the keyring's session bus)"
    rm -f "$d/run/dbus.sock"
    filter_stop "$d"
    rm -f "$d/lab.env"
    log "lab in $d stopped"
}

# On a failed start, stop whatever did come up (logs stay in STATE_DIR/log).
start_failed() {
    log "start failed; stopping what was started (logs: $1/log)"
    # Let a PostgreSQL still being set up finish first, so that it is stopped too.
    if [[ -n ${PG_JOB:-} ]]; then wait "$PG_JOB" 2>/dev/null || true; fi
    # Likewise the clientcert Dovecot's start (it runs in the background, see cmd_start).
    if [[ -n ${CLIENTCERT_JOB:-} ]]; then wait "$CLIENTCERT_JOB" 2>/dev/null || true; fi
    cmd_stop "$1" || true
}

cmd_start() {
    local d t0 legacy=tls1.0
    d=$(state_dir_arg "${1:-}")
    t0=$EPOCHREALTIME
    [[ $(id -u) == 0 ]] || die "start needs root (ports < 1024, nftables, mail user)"

    if [[ -d $d/run ]] && any_running "$d"; then
        log "a lab is running in $d; stopping it first"
        cmd_stop "$d"
    fi
    # A lab from another STATE_DIR would hold the same addresses.
    if "${PROBE[@]}" quickcheck "dns=dns:$IP_DNS:53" >/dev/null 2>&1; then
        die "something already answers DNS on $IP_DNS:53 (a lab in another STATE_DIR?); stop it first"
    fi
    if [[ -n $(missing_packages) ]]; then cmd_install; fi
    ensure_mail_user

    # Fresh state: remove only what this script creates.
    mkdir -p "$d"
    chmod 755 "$d"
    pg_remove "$d"
    rm -rf "${d:?}"/{ca,certs,www,autoconfig,mta-sts,nsd,dovecot,dovecot-legacy,dovecot-clientcert,postfix,mail,run,log,keyring,dkim} \
        "$d/lab.env"
    mkdir -p "$d"/{nsd,dovecot,dovecot-legacy,dovecot-clientcert,postfix/conf,run,log,www,autoconfig,mta-sts}
    chmod 755 "$d"/{nsd,dovecot,dovecot-legacy,dovecot-clientcert,postfix,run,log,www,autoconfig,mta-sts}

    trap 'start_failed "$d"' EXIT
    # The DKIM key is made beside the PKI (another core); render_nsd needs it.
    dkim_keygen "$d" &
    local dkim_job=$!
    log "generating PKI"
    lab_make_pki "$d"
    wait "$dkim_job" || die "DKIM key generation failed"
    # PostgreSQL's initdb and start take about a second: they run while the configuration of
    # the others is made (pg_wait collects them before lab.env is written). The PKI comes
    # first: the server starts with its certificate.
    pg_prepare "$d"
    pg_setup "$d" "$PG_PASSWORD" >> "$d/log/postgres.log" 2>&1 < /dev/null &
    PG_JOB=$!

    log "writing configuration"
    write_users "$d"
    seed_mail "$d"
    render_dovecot "$d"
    render_postfix "$d"
    make_postfix_spool "$d"
    render_nsd "$d"
    write_autoconfig "$d"
    write_mta_sts "$d"

    log "starting services"
    # Daemons get no inherited stdio: a caller piping our output (| tail) must
    # not wait for them. They log into $d/log.
    nsd -c "$d/nsd/nsd.conf" < /dev/null >> "$d/log/nsd.log" 2>&1
    # The clientcert Dovecot instance starts beside the others (collected before the probes).
    OPENSSL_CONF=$d/dovecot-clientcert/openssl.cnf MAILDOC_LAB_APPPW_REASON=$APPPW_REASON \
        dovecot -c "$d/dovecot-clientcert/dovecot.conf" < /dev/null >> "$d/log/dovecot-clientcert.log" 2>&1 &
    CLIENTCERT_JOB=$!
    MAILDOC_LAB_APPPW_REASON=$APPPW_REASON dovecot -c "$d/dovecot/dovecot.conf" \
        < /dev/null >> "$d/log/dovecot.log" 2>&1
    if ! OPENSSL_CONF=$d/dovecot-legacy/openssl.cnf MAILDOC_LAB_APPPW_REASON=$APPPW_REASON \
        dovecot -c "$d/dovecot-legacy/dovecot.conf" < /dev/null >> "$d/log/dovecot-legacy.log" 2>&1; then
        log "legacy Dovecot failed to start (optional); continuing without legacy.lab.example"
        legacy=absent
    fi
    echo "$legacy" > "$d/run/legacy.mode"
    setsid "$PY" -m http.server 80 --bind "$IP_AIA" --directory "$d/www" \
        > "$d/log/aia-http.log" 2>&1 < /dev/null &
    echo $! > "$d/run/aia-http.pid"
    setsid "$PY" "$LAB_ROOT/lib/autoconfig_https.py" "$IP_AUTOCONFIG" 443 \
        "$d/certs/autoconfig.chain.pem" "$d/certs/autoconfig.key" "$d/autoconfig" \
        > "$d/log/autoconfig-https.log" 2>&1 < /dev/null &
    echo $! > "$d/run/autoconfig-https.pid"
    start_mta_sts "$d"
    keyring_start "$d"
    filter_start "$d"
    "$POSTFIX_MASTER" -c "$d/postfix/conf" -w < /dev/null >> "$d/log/postfix.log" 2>&1 \
        || die "postfix master failed (its early errors have no log file: is another process on a lab address? try: ss -ltnp | grep 127.0.2.)"

    local cc_rc=0
    wait "$CLIENTCERT_JOB" || cc_rc=$?
    CLIENTCERT_JOB=
    ((cc_rc == 0)) || die "the clientcert Dovecot instance failed to start (log: $d/log/dovecot-clientcert.log)"
    local -a specs
    mapfile -t specs < <(probe_specs | tr ' ' '\n')
    [[ $legacy == absent ]] || specs+=("legacy-imaps=tls:$IP_LEGACY:993")
    if ! "${PROBE[@]}" wait 20 "${specs[@]}"; then
        die "some services did not come up; logs in $d/log"
    fi
    # Record the daemons' own PIDs (NSD writes run/nsd.pid itself).
    adopt_native_pids "$d"
    # The first login after Dovecot starts can be slow to be answered.
    local taro
    IFS='|' read -r _ _ taro _ <<<"${USERS[0]}"
    "${PROBE[@]}" warmup "$d/ca/root.crt" taro@lab.example "$taro" \
        || die "warm-up logins failed; logs in $d/log"
    pg_wait "$d"

    write_env "$d"
    trap - EXIT
    log "lab up in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s; env: $d/lab.env"
}

cmd_status() {
    local d rc=0
    d=$(state_dir_arg "${1:-}")
    local -a specs
    mapfile -t specs < <({ probe_specs; negative_specs; } | tr ' ' '\n')
    if [[ -f $d/run/legacy.mode && $(cat "$d/run/legacy.mode") != absent ]]; then
        specs+=("legacy-imaps=tls:$IP_LEGACY:993")
    fi
    echo "state dir: $d"
    local p
    for p in nsd dovecot dovecot-legacy dovecot-clientcert postfix aia-http autoconfig-https mta-sts-https filter postgres \
        dbus gnome-keyring; do
        if [[ -s $d/run/$p.pid ]]; then
            printf 'pid %-18s %s\n' "$p" "$(cat "$d/run/$p.pid")"
        fi
    done
    [[ -f $d/run/filter.mode ]] && echo "filtered port mechanism: $(cat "$d/run/filter.mode")"
    "${PROBE[@]}" check "${specs[@]}" || rc=1
    pg_check "$d" || rc=1
    keyring_check "$d" || rc=1
    return "$rc"
}

# Re-renders nsd.conf and the zones from the templates and restarts NSD alone (DNS is
# unanswered for about a second), so that new zone cases need no full restart.
# Also (re)writes the MTA-STS policy files and starts the MTA-STS HTTPS server (issuing its
# certificate from the lab's CA first) when a lab started before they existed lacks them.
cmd_reload_dns() {
    local d
    d=$(state_dir_arg "${1:-}")
    [[ -f $d/lab.env ]] || die "no lab in $d; run lab/lab.sh start"
    render_nsd "$d"
    stop_pids "$d/run/nsd.pid|$d/nsd/|nsd"
    nsd -c "$d/nsd/nsd.conf" < /dev/null >> "$d/log/nsd.log" 2>&1 || die "nsd failed to start"
    log "nsd restarted with the current zones"
    # A lab started before the DKIM key existed: add its lines to lab.env (replaced whole).
    if ! grep -q '^MAILDOC_LAB_DKIM_KEY=' "$d/lab.env"; then
        { cat "$d/lab.env"; dkim_env "$d"; } > "$d/lab.env.tmp"
        chmod 644 "$d/lab.env.tmp"
        mv "$d/lab.env.tmp" "$d/lab.env"
        log "lab.env: added the DKIM key's lines"
    fi
    mkdir -p "$d/mta-sts"
    write_mta_sts "$d"
    if ! pid_alive "$d/run/mta-sts-https.pid" "$d/mta-sts"; then
        if [[ ! -f $d/certs/mtasts.chain.pem ]]; then
            PKI=$d
            lab_leaf_mtasts
            chmod 644 "$d/certs/mtasts.crt" "$d/certs/mtasts.chain.pem"
        fi
        start_mta_sts "$d"
        log "mta-sts https server started on $IP_MTASTS:443"
    fi
}

main() {
    local cmd=${1:-}
    shift || true
    case $cmd in
        install) cmd_install ;;
        start)   cmd_start "$@" ;;
        stop)    cmd_stop "$@" ;;
        status)  cmd_status "$@" ;;
        reload-dns) cmd_reload_dns "$@" ;;
        *) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
}

main "$@"
