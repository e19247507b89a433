#!/usr/bin/env python3
"""maildoc lab: the HTTPS server of the autoconfig files for settings discovery and of MTA-STS
policies (standard library only).

  autoconfig_https.py IP PORT CHAIN KEY DOCROOT

Serves DOCROOT/<Host header>/<path> over TLS with the certificate chain and key given, for
GET and HEAD; any other host, path or method gets 404/405. `.xml` files go out as text/xml,
others as text/plain (an MTA-STS policy's type, RFC 8461 §3.3), unless a file named like the
served one plus `.type` holds another Content-Type (a policy served wrongly, as text/html). Listens on a loopback address
only. Each connection gets its own thread, and its TLS handshake happens there (with a
time-out), so a client that never finishes a handshake does not hold up the others.
"""

import http.server
import ipaddress
import os
import posixpath
import socket
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "maildoc-lab-autoconfig"
    sys_version = ""

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._serve(with_body=True)

    def do_HEAD(self):  # noqa: N802
        self._serve(with_body=False)

    def _serve(self, with_body):
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip().lower().rstrip(".")
        path = posixpath.normpath(self.path.split("?", 1)[0])
        if not host or "/" in host or host.startswith(".") or ".." in path.split("/"):
            self._plain(404, b"not found\n", with_body)
            return
        file = os.path.join(self.server.docroot, host, path.lstrip("/"))
        if not os.path.isfile(file):
            self._plain(404, b"not found\n", with_body)
            return
        with open(file, "rb") as f:
            data = f.read()
        self.send_response(200)
        if os.path.isfile(file + ".type"):
            with open(file + ".type", encoding="ascii") as f:
                self.send_header("Content-Type", f.read().strip())
        elif file.endswith(".xml"):
            self.send_header("Content-Type", "text/xml; charset=utf-8")
        else:
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def _plain(self, code, body, with_body):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, context, docroot):
        self.context = context
        self.docroot = docroot
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        try:
            request.settimeout(5)
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError) as e:
            sys.stderr.write("%s TLS: %s\n" % (client_address[0], e))
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass


def main(argv):
    if len(argv) != 5:
        print(__doc__)
        return 2
    ip, port, chain, key, docroot = argv
    if not ipaddress.ip_address(ip).is_loopback:
        raise SystemExit(f"refusing non-loopback address {ip}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(chain, key)
    server = Server((ip, int(port)), context, docroot)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    print(f"serving {docroot} on https://{ip}:{port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
