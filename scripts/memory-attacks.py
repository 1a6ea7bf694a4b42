#!/usr/bin/env python3
"""RSS of `sapa serve` under the two memory attacks of issue #14 (standard library only).

1. Eight concurrent verify-by-IIN requests whose register answers a 6320x6320 PNG of ~130 KB
   (a decompression bomb at the pixel limit), three rounds.
2. Forty kept-alive uploads of 14 MB, each stalled one byte short, held for the body timeout.

Usage: scripts/memory-attacks.py target/release/sapa [--backend ort]
Prints the process's RSS before, at its peak during each attack, and after, from /proc.
"""
import http.server
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IIN = "900101300017"


def bomb_png(side=6320):
    raw = zlib.compress((b"\x00" + b"\x80" * (3 * side)) * side, 9)
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def register(photo):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(photo)))
            self.end_headers()
            self.wfile.write(photo)

        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


class Rss:
    """Samples VmRSS every 20 ms; `peak()` since the last `reset()`."""
    def __init__(self, pid):
        self.pid, self.max, self.stop = pid, 0, False
        threading.Thread(target=self.run, daemon=True).start()

    def now(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
        return 0

    def run(self):
        while not self.stop:
            try:
                self.max = max(self.max, self.now())
            except OSError:
                return
            time.sleep(0.02)

    def reset(self):
        self.max = self.now()

    def peak(self):
        return self.max


def request(port, path, body, content_type, timeout=120):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    s.sendall(head + body)
    data = b""
    while True:
        part = s.recv(65536)
        if not part:
            break
        data += part
    s.close()
    return data.split(b" ", 2)[1].decode() if data else "none"


def multipart(fields):
    b = "sapa-mem-boundary"
    out = b""
    for name, value, is_file in fields:
        disp = f'form-data; name="{name}"' + ('; filename="p.png"' if is_file else "")
        out += f"--{b}\r\nContent-Disposition: {disp}\r\n".encode()
        out += (b"Content-Type: image/png\r\n" if is_file else b"") + b"\r\n" + value + b"\r\n"
    return out + f"--{b}--\r\n".encode(), f"multipart/form-data; boundary={b}"


def main():
    binary = sys.argv[1]
    extra = sys.argv[2:]
    bomb = bomb_png()
    port_reg = register(bomb)
    cfg = os.path.join("/tmp", f"sapa-mem-{os.getpid()}.toml")
    with open(cfg, "w") as f:
        f.write(f'[gbd]\nurl_template = "http://127.0.0.1:{port_reg}/photo/{{iin}}"\n'
                "allow_insecure_http = true\nretries = 0\n")
    env = dict(os.environ, SAPA_STORE=f"/tmp/sapa-mem-{os.getpid()}.sqlite", SAPA_AUDIT_LOG="/dev/null",
               SAPA_AUDIT_KEY="memory-attack-key-0123")
    p = subprocess.Popen([binary, *extra, "serve", "--addr", "127.0.0.1:0", "--config", cfg],
                         cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    port = None
    for line in p.stderr:
        if line.startswith("sapa: listening on "):
            port = int(line.rsplit(":", 1)[1])
            break
    threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
    rss = Rss(p.pid)
    astronaut = open(os.path.join(ROOT, "fixtures/astronaut.png"), "rb").read()
    print(f"register photo: {len(bomb)} bytes, 6320x6320")
    print(f"workers/queue: defaults; warm-up validate -> {request(port, '/v1/validate', astronaut, 'image/png')}")
    time.sleep(1)
    print(f"baseline RSS: {rss.now()} MB")

    rss.reset()
    body, ct = multipart([("probe", astronaut, True), ("iin", IIN.encode(), False)])
    statuses = []
    for _ in range(3):
        ts = [threading.Thread(target=lambda: statuses.append(request(port, "/v1/verify", body, ct)))
              for _ in range(8)]
        [t.start() for t in ts]
        [t.join() for t in ts]
    time.sleep(1)
    print(f"attack 1 (8 concurrent verify-by-IIN x 3 rounds, statuses {sorted(set(statuses))}): "
          f"peak {rss.peak()} MB, after {rss.now()} MB")

    rss.reset()
    size = 14 * 1024 * 1024
    socks = []
    chunk = b"\x00" * (1 << 20)
    for _ in range(40):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall((f"POST /v1/validate HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
                   f"Content-Length: {size}\r\n\r\n").encode())
        socks.append(s)
    def stall(s):
        sent = 0
        try:
            while sent < size - 1:
                n = min(len(chunk), size - 1 - sent)
                s.sendall(chunk[:n])
                sent += n
        except OSError:
            pass
    ts = [threading.Thread(target=stall, args=(s,)) for s in socks]
    [t.start() for t in ts]
    time.sleep(35)
    refused = 0
    for s in socks:
        s.settimeout(0.5)
        try:
            if s.recv(64).startswith(b"HTTP/1.1 503"):
                refused += 1
        except OSError:
            pass
    print(f"attack 2 (40 uploads of 14 MB stalled one byte short, held 35 s; {refused} answered 503 at once): "
          f"peak {rss.peak()} MB, after {rss.now()} MB")
    for s in socks:
        s.close()
    time.sleep(2)
    print(f"after both: {rss.now()} MB")
    rss.stop = True
    p.terminate()
    p.wait(timeout=60)


if __name__ == "__main__":
    main()
