"""The measurements of bench/serve-bench.sh, over plain sockets (no third-party modules)."""
import json
import socket
import statistics
import sys
import threading
import time
import urllib.parse

url, pid, runs, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
host, port = urllib.parse.urlparse(url).hostname, urllib.parse.urlparse(url).port


def rss_kb(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def request(method, path, body=b"", headers=()):
    s = socket.create_connection((host, port))
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
    head += f"Content-Length: {len(body)}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    s.sendall(head.encode() + b"\r\n" + body)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode("latin-1"), body


def unchunk(body):
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2:]
    return out


def page_body(path):
    status, head, body = request("GET", path)
    if "chunked" in head.lower():
        body = unchunk(body)
    return body


token = json.loads(page_body("/api/token"))["csrf"]
form = {
    "_csrf": token,
    "address": "taro@lab.example",
    "password": password,
    "imap": "imap.lab.example:993/ssl",
    "smtp": "smtp.lab.example:587/starttls",
}
body = urllib.parse.urlencode(form).encode()
form_headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]


def timed_check():
    """Submit to the first `planned` and first `step` event, and to `done`, in ms."""
    t0 = time.perf_counter()
    status, _, answer = request("POST", "/check", body, form_headers)
    assert status == 202, (status, answer)
    events = json.loads(answer)["events"]
    s = socket.create_connection((host, port))
    s.sendall(f"GET {events} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    seen, data = {}, b""
    while "done" not in seen:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        for name in ("planned", "step", "done"):
            if name not in seen and f"event: {name}\n".encode() in data:
                seen[name] = (time.perf_counter() - t0) * 1000
    s.close()
    return seen


idle_start = rss_kb("VmRSS")
timed = [timed_check() for _ in range(runs)]
time.sleep(1)
idle_after = rss_kb("VmRSS")

pages = ["/", "/check", "/domain", "/explain", "/discover", "/triage", "/karte", "/message", "/status", "/history"]
weights = {p: len(page_body(p + "?lang=ja")) for p in pages}
assets = len(page_body("/assets/app.css")) + len(page_body("/assets/app.js"))

results = []


def one():
    results.append(timed_check())


threads = [threading.Thread(target=one) for _ in range(20)]
t0 = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
wall20 = (time.perf_counter() - t0) * 1000
peak = rss_kb("VmHWM")


def med(key, rows):
    return statistics.median(r[key] for r in rows if key in r)


print(f"| measure | value |\n|---|---|")
print(f"| submit → first live row (`planned`), median of {runs} | {med('planned', timed):.1f} ms |")
print(f"| submit → first step, median | {med('step', timed):.1f} ms |")
print(f"| submit → result (`done`), median (2 servers, login) | {med('done', timed):.1f} ms |")
for p, w in weights.items():
    print(f"| page weight {p} (HTML, ja) | {w / 1024:.1f} KB |")
print(f"| assets (app.css + app.js, once) | {assets / 1024:.1f} KB |")
print(f"| RSS at start (idle) | {idle_start / 1024:.1f} MB |")
print(f"| RSS idle after {runs} checks | {idle_after / 1024:.1f} MB |")
print(f"| 20 checks at once: all done in | {wall20:.0f} ms (each: median {med('done', results):.0f} ms) |")
print(f"| peak RSS (VmHWM) after 20 checks at once | {peak / 1024:.1f} MB |")
