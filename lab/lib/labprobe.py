#!/usr/bin/env python3
"""maildoc lab helper: probes and tiny helper servers (standard library only).

Sub-commands (used by lab/lab.sh):

  dns NAME [TYPE]            query the lab NSD (127.0.2.53:53), print rcode + answers
  check SPEC...              probe each SPEC once, print one line each, exit 1 if any failed
  quickcheck SPEC...         the same with 0.3 s time-outs
  wait SECONDS SPEC...       retry all SPECs until every one answers or SECONDS pass
  warmup CAFILE USER PASS    IMAP/POP3/SMTP logins against the healthy host
  hold-filtered IP PORT      fallback "filtered port": a listener whose accept
                             queue is full, so further SYNs are dropped (time out)

A SPEC is  LABEL=KIND:IP:PORT  with KIND one of
  banner   plain TCP, expect a greeting line
  tls      implicit TLS (certificate not checked), expect a greeting line
  dns      DNS query for lab.example SOA
  http     HTTP GET / (any status)
  https    HTTPS HEAD / (any status; certificate not checked)
  filtered connect must time out (SYN dropped)
  closed   connect must be refused (nothing listens)
  silent   plain TCP accepted at once, but no greeting within the window
           (1 s, 0.1 s in `wait`; slow.lab.example greets only after 40 s)
  tls-silent  implicit TLS handshake completes, then no greeting within the window
  tls-nocert  implicit TLS without a client certificate: the server must send a
           CertificateRequest and then fail the handshake or close before any greeting
  tls-refusal implicit TLS completes, then the greeting is a refusal (SMTP 4xx/5xx)
  openrelay plain SMTP: EHLO, MAIL FROM, RCPT TO an outside address must get 250
           (then RSET and QUIT: no DATA, nothing is ever sent)
Only loopback addresses are accepted.
"""

import ipaddress
import socket
import ssl
import struct
import sys
import threading
import time

DNS_SERVER = ("127.0.2.53", 53)
# How long silent / tls-silent wait for a greeting that must not come: 1 s when
# checking, shorter while `wait` polls at start (any answer within it is a failure).
SILENT_WINDOW = 1.0


def _loopback_only(ip):
    if not ipaddress.ip_address(ip).is_loopback:
        raise SystemExit(f"refusing non-loopback address {ip}")


# ----------------------------------------------------------------------------
# DNS
# ----------------------------------------------------------------------------
QTYPES = {"A": 1, "NS": 2, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def _read_name(msg, off):
    labels = []
    jumped = False
    end = off
    while True:
        ln = msg[off]
        if ln & 0xC0 == 0xC0:
            ptr = struct.unpack("!H", msg[off:off + 2])[0] & 0x3FFF
            if not jumped:
                end = off + 2
            jumped = True
            off = ptr
            continue
        if ln == 0:
            if not jumped:
                end = off + 1
            break
        labels.append(msg[off + 1:off + 1 + ln].decode("ascii", "replace"))
        off += 1 + ln
    return ".".join(labels) + ".", end


def dns_query(name, qtype="A", timeout=2.0):
    """Return (rcode_name, [answer strings])."""
    qid = int(time.time() * 1000) & 0xFFFF
    header = struct.pack("!HHHHHH", qid, 0x0000, 1, 0, 0, 0)  # RD=0: authoritative
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    pkt = header + qname + struct.pack("!HH", QTYPES[qtype], 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(pkt, DNS_SERVER)
        msg, _ = s.recvfrom(4096)
    _, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = _read_name(msg, off)
        off += 4
    answers = []
    for _ in range(an):
        rname, off = _read_name(msg, off)
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        if rtype == 1:
            val = socket.inet_ntoa(rdata)
        elif rtype == 15:
            val = f"{struct.unpack('!H', rdata[:2])[0]} {_read_name(msg, off + 2)[0]}"
        elif rtype == 16:
            val = '"' + rdata[1:1 + rdata[0]].decode("utf-8", "replace") + '"'
        elif rtype in (2, 5):
            val = _read_name(msg, off)[0]
        else:
            val = rdata.hex()
        answers.append(f"{rname} {ttl} {rtype} {val}")
        off += rdlen
    return RCODES.get(flags & 0xF, str(flags & 0xF)), answers


# ----------------------------------------------------------------------------
# Probes
# ----------------------------------------------------------------------------
def _readline(sock, timeout):
    sock.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\n") and len(buf) < 4096:
        chunk = sock.recv(1024)
        if not chunk:
            break
        buf += chunk
    return buf.decode("utf-8", "replace").strip()


def _first_line(text):
    return text.splitlines()[0] if text else ""


def _tls_client(record=None):
    """A client context that checks nothing; record, when given, collects the
    handshake message types the server sends (CertificateRequest is 13)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if record is not None and hasattr(ctx, "_msg_callback"):
        def seen(conn, direction, version, content_type, msg_type, data):
            if direction == "read" and content_type == ssl._TLSContentType.HANDSHAKE:
                record.append(msg_type)
        ctx._msg_callback = seen
    return ctx


def _smtp_reply(f):
    """One SMTP reply (all its lines) from a file object, as (code, last line)."""
    while True:
        line = f.readline(4096).decode("utf-8", "replace").rstrip("\r\n")
        if len(line) < 4 or line[3] != "-":
            return line[:3], line


def _open_relay(raw, timeout):
    raw.settimeout(timeout)
    f = raw.makefile("rb")
    steps = [(None, "220"), (b"EHLO probe.lab.example", "250"),
             (b"MAIL FROM:<probe@lab.example>", "250"),
             (b"RCPT TO:<maildoc-lab-probe@example.com>", "250")]
    line = ""
    for cmd, want in steps:
        if cmd is not None:
            raw.sendall(cmd + b"\r\n")
        code, line = _smtp_reply(f)
        if code != want:
            return False, f"{(cmd or b'greeting').decode()} -> {line}"
    raw.sendall(b"RSET\r\n")
    _smtp_reply(f)
    raw.sendall(b"QUIT\r\n")
    return True, f"RCPT TO an outside address: {line}"


def probe(kind, ip, port, timeout=2.0):
    """Return (ok, detail)."""
    _loopback_only(ip)
    window = min(timeout, SILENT_WINDOW)
    try:
        if kind == "dns":
            rcode, ans = dns_query("lab.example", "SOA", timeout)
            return rcode == "NOERROR" and bool(ans), rcode
        if kind == "filtered":
            try:
                socket.create_connection((ip, port), timeout=timeout).close()
                return False, "connect succeeded (expected a time-out)"
            except socket.timeout:
                return True, f"connect timed out after {timeout:.0f}s (filtered)"
            except OSError as e:
                return False, f"connect failed fast: {e.strerror}"
        if kind == "closed":
            try:
                socket.create_connection((ip, port), timeout=timeout).close()
                return False, "connect succeeded (expected refusal)"
            except ConnectionRefusedError:
                return True, "connection refused"
            except OSError as e:
                return False, str(e)
        with socket.create_connection((ip, port), timeout=timeout) as raw:
            if kind == "openrelay":
                return _open_relay(raw, timeout)
            if kind in ("silent", "tls-silent"):
                conn = _tls_client().wrap_socket(raw) if kind == "tls-silent" else raw
                tls = f"{conn.version()} " if kind == "tls-silent" else ""
                conn.settimeout(window)
                try:
                    data = conn.recv(1024)
                except (socket.timeout, TimeoutError):
                    return True, f"{tls}connected, no greeting within {window:.1f}s"
                return False, f"{tls}answered at once: {_first_line(data.decode('utf-8', 'replace'))!r}"
            if kind == "tls-nocert":
                seen = []
                try:
                    with _tls_client(seen).wrap_socket(raw) as tls:
                        # TLS 1.3: the client's side of the handshake ends before the
                        # server has read its (empty) Certificate; the failure shows here.
                        line = _first_line(_readline(tls, timeout))
                        outcome = f"greeting {line!r}" if line else "closed before any greeting"
                except (ssl.SSLError, OSError) as e:
                    line, outcome = "", f"handshake failed: {type(e).__name__}: {e}"
                asked = 13 in seen
                return asked and not line, f"{'CertificateRequest' if asked else 'no CertificateRequest'}, {outcome}"
            if kind == "http":
                raw.sendall(b"HEAD / HTTP/1.0\r\nHost: aia.lab.example\r\n\r\n")
                return True, _first_line(_readline(raw, timeout))
            if kind == "https":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                with ctx.wrap_socket(raw) as tls:
                    tls.sendall(b"HEAD / HTTP/1.0\r\nHost: lab.example\r\n\r\n")
                    line = _first_line(_readline(tls, timeout))
                    return line.startswith("HTTP/"), f"{tls.version()} {line}"
            if kind == "tls":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                with ctx.wrap_socket(raw) as tls:
                    line = _first_line(_readline(tls, timeout))
                    return bool(line), f"{tls.version()} {line}"
            if kind == "tls-refusal":
                with _tls_client().wrap_socket(raw) as tls:
                    line = _first_line(_readline(tls, timeout))
                    return line[:1] in ("4", "5"), f"{tls.version()} {line}"
            line = _first_line(_readline(raw, timeout))
            return bool(line), line
    except Exception as e:  # noqa: BLE001 - any failure is "not answering"
        return False, f"{type(e).__name__}: {e}"


def _parse_spec(spec):
    label, rest = spec.split("=", 1)
    kind, ip, port = rest.split(":")
    return label, kind, ip, int(port)


def _run_all(specs, timeout):
    results = [None] * len(specs)

    def work(i, spec):
        label, kind, ip, port = _parse_spec(spec)
        results[i] = (label, kind, ip, port) + probe(kind, ip, port, timeout)

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(specs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def cmd_check(specs, timeout=2.0):
    bad = 0
    for label, kind, ip, port, ok, detail in _run_all(specs, timeout):
        bad += not ok
        print(f"{'OK  ' if ok else 'FAIL'} {label:<28} {ip}:{port:<5} {kind:<8} {detail[:90]}")
    return 1 if bad else 0


def cmd_wait(seconds, specs):
    global SILENT_WINDOW
    SILENT_WINDOW = 0.1
    deadline = time.monotonic() + seconds
    pending = list(specs)
    while True:
        res = _run_all(pending, 1.0)
        pending = [s for s, r in zip(pending, res) if not r[4]]
        if not pending:
            return 0
        if time.monotonic() > deadline:
            for r in res:
                if not r[4]:
                    print(f"not answering: {r[0]} {r[2]}:{r[3]} ({r[5]})", file=sys.stderr)
            return 1
        time.sleep(0.1)


# ----------------------------------------------------------------------------
# Warm-up logins (Dovecot's first auth request can be slow to be answered)
# ----------------------------------------------------------------------------
def cmd_warmup(cafile, user, password):
    import imaplib
    import poplib
    import smtplib

    # The chain is verified against the lab CA; the host name is not (we
    # connect by address, and the point here is only to wake up auth).
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    ip = "127.0.2.10"
    errors = []
    for attempt in range(30):
        errors.clear()
        try:
            conn = imaplib.IMAP4_SSL(ip, 993, ssl_context=ctx, timeout=5)
            conn.login(user, password)
            conn.logout()
        except Exception as e:  # noqa: BLE001
            errors.append(f"IMAP: {e}")
        try:
            conn = poplib.POP3_SSL(ip, 995, context=ctx, timeout=5)
            conn.user(user)
            conn.pass_(password)
            conn.quit()
        except Exception as e:  # noqa: BLE001
            errors.append(f"POP3: {e}")
        try:
            with smtplib.SMTP_SSL(ip, 465, context=ctx, timeout=5) as s:
                s.login(user, password)
        except Exception as e:  # noqa: BLE001
            errors.append(f"SMTP: {e}")
        if not errors:
            return 0
        time.sleep(0.2)
    print("warm-up failed: " + "; ".join(errors), file=sys.stderr)
    return 1


# ----------------------------------------------------------------------------
# Fallback filtered port (used only when nftables is unusable)
# ----------------------------------------------------------------------------
def cmd_hold_filtered(ip, port):
    """listen(0) and fill the accept queue with one connection that is never
    accepted: the kernel then drops later SYNs, so clients time out."""
    _loopback_only(ip)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ip, port))
    srv.listen(0)
    filler = socket.create_connection((ip, port), timeout=2)
    print(f"holding {ip}:{port} filtered", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        filler.close()
        srv.close()


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "dns":
        rcode, ans = dns_query(args[0], args[1] if len(args) > 1 else "A")
        print(rcode)
        for a in ans:
            print(a)
        return 0
    if cmd == "check":
        return cmd_check(args)
    if cmd == "quickcheck":  # same as check, with 0.3 s time-outs
        return cmd_check(args, 0.3)
    if cmd == "wait":
        return cmd_wait(float(args[0]), args[1:])
    if cmd == "warmup":
        return cmd_warmup(*args)
    if cmd == "hold-filtered":
        return cmd_hold_filtered(args[0], int(args[1]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
