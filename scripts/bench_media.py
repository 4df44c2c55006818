#!/usr/bin/env python3
"""Clients for scripts/bench-media.sh: phones seeking in a video (1 MB Range requests) and a
first visit to the home page, with and without gzip."""

import gzip
import http.client
import random
import re
import sys
import threading
import time
from urllib.parse import urlsplit

CHUNK = 1024 * 1024


def ranges(url: str, clients: str, seconds: str) -> None:
    """CLIENTS connections, each asking 1 MB parts of URL at random offsets for SECONDS,
    checking each answer is a 206 of exactly the part asked. Prints: MB/s requests errors."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("HEAD", parts.path)
    size = int(conn.getresponse().getheader("Content-Length"))
    conn.close()
    stop = time.monotonic() + float(seconds)
    totals = {"bytes": 0, "requests": 0, "errors": 0}
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        got = requests = errors = 0
        while time.monotonic() < stop:
            start = rng.randrange(0, size // CHUNK) * CHUNK
            end = min(start + CHUNK, size) - 1
            try:
                conn.request("GET", parts.path, headers={"Range": f"bytes={start}-{end}"})
                response = conn.getresponse()
                body = response.read()
                if response.status != 206 or len(body) != end - start + 1:
                    errors += 1
                got += len(body)
                requests += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
        with lock:
            totals["bytes"] += got
            totals["requests"] += requests
            totals["errors"] += errors

    threads = [threading.Thread(target=client, args=(i,)) for i in range(int(clients))]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    print(f"{totals['bytes'] / elapsed / 1e6:.1f} {totals['requests']} {totals['errors']}")


def _get(conn: http.client.HTTPConnection, path: str, accept: str):
    headers = {"Accept-Encoding": accept} if accept else {}
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    head = len("HTTP/1.1 200 OK\r\n") + 2 + sum(
        len(k) + len(v) + 4 for k, v in response.getheaders()
    )
    if response.getheader("Content-Encoding") == "gzip":
        text = gzip.decompress(body)
    else:
        text = body
    return response.status, head, len(body), text


def first_visit(base: str) -> None:
    """Bytes of a first visit to the home page (the page, then each CSS, JS and image it
    names), plain then gzip. Prints: responses plain_bodies plain_heads gzip_bodies
    gzip_heads."""
    parts = urlsplit(base)
    out = []
    for accept in ("", "gzip, deflate, br"):
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
        status, heads, bodies, html = _get(conn, "/", accept)
        assert status == 200, status
        urls = sorted(set(re.findall(rb'"(/(?:_kit|contenus)/[^"]+)"', html)))
        for url in urls:
            status, head, body, _ = _get(conn, url.decode(), accept)
            assert status == 200, (url, status)
            heads += head
            bodies += body
        conn.close()
        out += [bodies, heads]
    print(len(urls) + 1, *out)


if __name__ == "__main__":
    commands = {"ranges": ranges, "first_visit": first_visit}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(commands)}}} ARGS…")
    commands[sys.argv[1]](*sys.argv[2:])
