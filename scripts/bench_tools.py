#!/usr/bin/env python3
"""Small measuring tools for the benchmark scripts (standard library only):
first200, latency, png, slowloris, probe, attack, census. Run with a subcommand; see each
function."""

import http.client
import os
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    return resp.status


def first200(kit: str, data: str, runs: str) -> None:
    """Starts the kit `runs` times (plus one warm-up); prints ms from exec to the first 200 on /."""
    for run in range(int(runs) + 1):
        port = free_port()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [kit, "--data-dir", data, "serve", "--listen", f"127.0.0.1:{port}"],
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    if get(conn, "/") == 200:
                        break
                except OSError:
                    if proc.poll() is not None:
                        sys.exit("the kit stopped before answering")
                    time.sleep(0.001)
            elapsed = (time.perf_counter() - started) * 1000
        finally:
            proc.terminate()
            proc.wait()
        if run > 0:
            print(f"{elapsed:.1f}")


def latency(base: str, rounds: str, *queries: str) -> None:
    """Sequential searches on one keep-alive connection; prints `ms<TAB>query` per request."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    for q in queries:  # warm-up
        get(conn, "/recherche?q=" + urllib.parse.quote_plus(q))
    for _ in range(int(rounds)):
        for q in queries:
            path = "/recherche?q=" + urllib.parse.quote_plus(q)
            started = time.perf_counter()
            status = get(conn, path)
            ms = (time.perf_counter() - started) * 1000
            if status != 200:
                sys.exit(f"{path}: status {status}")
            print(f"{ms:.3f}\t{q}")


def png(path: str) -> None:
    """Writes a 48×48 opaque PNG (the illustration zimwriterfs requires)."""
    row = b"\x00" + bytes([30, 110, 170]) * 48
    raw = zlib.compress(row * 48)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    head = struct.pack(">IIBBBBB", 48, 48, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def slowloris(host: str, port: str, count: str, seconds: str, interval: str) -> None:
    """Holds `count` connections that start a request head and never finish it, sending one
    more byte every `interval` s (0: never). Checks each second which ones the server closed
    or answered (a 408); prints `opened N failed N closed N median_close_s S`."""
    head = b"GET / HTTP/1.1\r\nHost: kit\r\nX-Slow: " + b"a" * 100_000
    socks, failed = [], 0
    started = time.monotonic()
    for _ in range(int(count)):
        try:
            s = socket.create_connection((host, int(port)), timeout=5)
            s.sendall(head[:16])
            # Blocking mode, so that a MSG_DONTWAIT read answers at once instead of waiting.
            s.settimeout(None)
            socks.append(s)
        except OSError:
            failed += 1
    closed_at: dict = {}
    at, next_send = 16, time.monotonic() + float(interval)
    deadline = started + float(seconds)
    while time.monotonic() < deadline:
        time.sleep(1)
        send = float(interval) > 0 and time.monotonic() >= next_send
        if send:
            next_send += float(interval)
        for i, s in enumerate(socks):
            if i in closed_at:
                continue
            try:
                if send:
                    s.sendall(head[at : at + 1])
                # The end (b"") or an answer (a 408 before closing): the server let go.
                s.recv(1, socket.MSG_DONTWAIT)
                closed_at[i] = time.monotonic() - started
            except BlockingIOError:
                pass
            except OSError:
                closed_at[i] = time.monotonic() - started
        at += 1 if send else 0
    median = f"{statistics.median(closed_at.values()):.0f}" if closed_at else "-"
    print(f"opened {len(socks)} failed {failed} closed {len(closed_at)} median_close_s {median}")
    for s in socks:
        s.close()


def probe(base: str, seconds: str, *paths: str) -> None:
    """A normal client: a new connection per page, for `seconds`; prints ms or `error`."""
    url = urllib.parse.urlsplit(base)
    deadline = time.monotonic() + float(seconds)
    i = 0
    while time.monotonic() < deadline:
        path = paths[i % len(paths)]
        i += 1
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            status = get(conn, path)
            conn.close()
            ms = (time.perf_counter() - started) * 1000
            print(f"{ms:.3f}" if status == 200 else f"error {status}", flush=True)
        except OSError as e:
            print(f"error {e}", flush=True)
        time.sleep(0.05)


def _connect(host: str, port: int) -> socket.socket:
    s = socket.create_connection((host, port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return s


def _unread_bodies(host: str, port: int, stop: float, counts: dict) -> None:
    """Case 1: GETs announcing 50 kB they never send, 20 every half second, 200 held."""
    held: list = []
    while time.monotonic() < stop:
        for _ in range(20):
            try:
                s = _connect(host, port)
                s.sendall(b"GET / HTTP/1.1\r\nHost: kit\r\nContent-Length: 50000\r\n\r\n")
                held.append(s)
                counts["unread"] += 1
            except OSError:
                counts["refused"] += 1
        while len(held) > 200:
            held.pop(0).close()
        time.sleep(0.5)
    for s in held:
        s.close()


def _never_reads(host: str, port: int, stop: float, counts: dict) -> None:
    """Case 2: one connection pipelines 1000 requests, then one with a body, and never reads;
    a new one every 10 s."""
    burst = b"GET /recherche?q=mot HTTP/1.1\r\nHost: kit\r\n\r\n" * 1000
    burst += b"POST /entrer HTTP/1.1\r\nHost: kit\r\nContent-Length: 5\r\n\r\nabcde"
    while time.monotonic() < stop:
        try:
            s = _connect(host, port)
            s.settimeout(2)
            try:
                s.sendall(burst)
            except OSError:
                pass
            counts["never_read"] += 1
            time.sleep(min(10, max(0, stop - time.monotonic())))
            s.close()
        except OSError:
            counts["refused"] += 1
            time.sleep(1)


def _huge_bodies(host: str, port: int, stop: float, counts: dict) -> None:
    """Case 3: requests announcing 100 GB, about 20 a second."""
    while time.monotonic() < stop:
        try:
            s = _connect(host, port)
            s.sendall(b"POST / HTTP/1.1\r\nHost: kit\r\nContent-Length: 100000000000\r\n\r\n")
            s.recv(64)
            s.close()
            counts["huge"] += 1
        except OSError:
            counts["refused"] += 1
        time.sleep(0.05)


def _endless_head(host: str, port: int, stop: float, counts: dict) -> None:
    """Case 5: a request line streamed with no end, as fast as the kit takes it."""
    chunk = b"a" * 65536
    while time.monotonic() < stop:
        try:
            s = _connect(host, port)
            s.sendall(b"GET /")
            s.settimeout(1)
            while time.monotonic() < stop:
                s.sendall(chunk)
                counts["endless_kb"] += 64
        except OSError:
            counts["endless_cut"] += 1
            time.sleep(0.1)


def attack(host: str, port: str, seconds: str, kinds: str = "unread,never_read,huge,endless") -> None:
    """Runs the hardening issue's attacks from one client for `seconds`, each in a thread:
    unread (case 1), never_read (2), huge (3), endless (5). Prints what was sent."""
    runners = {"unread": _unread_bodies, "never_read": _never_reads, "huge": _huge_bodies,
               "endless": _endless_head}
    counts = {k: 0 for k in ("unread", "never_read", "huge", "endless_kb", "endless_cut", "refused")}
    stop = time.monotonic() + float(seconds)
    threads = [threading.Thread(target=runners[k], args=(host, int(port), stop, counts))
               for k in kinds.split(",")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(" ".join(f"{k} {v}" for k, v in counts.items()))


def census(pid: str) -> None:
    """Prints `threads fds rss_kb` of process `pid`."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    print(fields["Threads"].strip(), fds, fields["VmRSS"].split()[0])


def summary(*_args: str) -> None:
    """Reads ms values on stdin (first field); prints `count p50 p95 p99 max`."""
    values = sorted(float(line.split()[0]) for line in sys.stdin if line[:1].isdigit())
    if not values:
        print("0 nan nan nan nan")
        return
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    print(f"{len(values)} {statistics.median(values):.2f} {pick(0.95):.2f} {pick(0.99):.2f} {values[-1]:.2f}")


def slowest(n: str) -> None:
    """Reads `ms<TAB>query` lines on stdin; prints the `n` queries with the highest median."""
    by_query: dict = {}
    for line in sys.stdin:
        ms, query = line.rstrip("\n").split("\t", 1)
        by_query.setdefault(query, []).append(float(ms))
    medians = sorted(((statistics.median(v), q) for q, v in by_query.items()), reverse=True)
    print("; ".join(f"“{q}” {m:.1f} ms" for m, q in medians[: int(n)]))


if __name__ == "__main__":
    commands = {f.__name__: f for f in (first200, latency, png, slowloris, probe, attack, census,
                                         summary, slowest)}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(commands)}}} ARGS…")
    commands[sys.argv[1]](*sys.argv[2:])
