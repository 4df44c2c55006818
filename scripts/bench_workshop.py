#!/usr/bin/env python3
"""Simulated workshop for scripts/bench-workshop.sh (standard library only).

  bench_workshop.py BASE SECONDS PHONES DASHBOARDS SESSION_COOKIE|-  TUTORIAL STEPS

PHONES threads, each a phone with its own cookies: one request every 2 s (the tutorial's
steps in turn, now and then the workshop page), and every 20 s or so a help request (then,
when a session runs, it measures when the dashboards first show it). DASHBOARDS threads
poll /admin/atelier/tableau.json every second with the conseiller's session cookie.
Prints one JSON line: the portal's latencies (ms) and the dashboard update latencies (s)."""

import http.client
import json
import random
import sys
import threading
import time
import urllib.parse


def main() -> None:
    base, seconds, phones, dashboards, session, tutorial, steps = sys.argv[1:8]
    url = urllib.parse.urlsplit(base)
    host, port = url.hostname, url.port
    stop = time.monotonic() + float(seconds)
    session = None if session == "-" else session
    latencies: list[float] = []
    errors = [0]
    asked: dict[int, float] = {}  # help id -> when asked
    seen: dict[int, float] = {}  # help id -> when a dashboard first showed it
    lock = threading.Lock()

    def phone(n: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        cookie = ""
        step = 1
        next_help = time.monotonic() + random.uniform(5, 25)
        time.sleep(random.uniform(0, 2))
        while time.monotonic() < stop:
            path = f"/tutoriels/{tutorial}/etape/{step}" if step > 0 else "/atelier"
            step = step % int(steps) + 1 if random.random() > 0.1 else 0
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                resp = conn.getresponse()
                resp.read()
                got = resp.getheader("Set-Cookie")
                if got:
                    cookie = got.split(";")[0]
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
                    if resp.status >= 400 and not (resp.status == 404 and step == 0):
                        errors[0] += 1
                if session and time.monotonic() >= next_help and cookie:
                    next_help = time.monotonic() + random.uniform(15, 30)
                    conn.request("POST", "/aide", headers={"Cookie": cookie, "Content-Length": "0",
                                                            "Content-Type": "application/x-www-form-urlencoded"})
                    r = conn.getresponse()
                    r.read()
                    with lock:
                        asked[n * 100_000 + len(asked)] = time.monotonic()
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
            time.sleep(2)

    help_times: dict[int, float] = {}

    def dashboard() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        while time.monotonic() < stop:
            try:
                conn.request("GET", "/admin/atelier/tableau.json", headers={"Cookie": session})
                resp = conn.getresponse()
                state = json.loads(resp.read())
                now = time.monotonic()
                with lock:
                    for h in state.get("help", []):
                        seen.setdefault(h["id"], now)
                        help_times.setdefault(h["id"], now)
            except (OSError, http.client.HTTPException, ValueError):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
            time.sleep(1)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(int(phones))]
    if session:
        threads += [threading.Thread(target=dashboard) for _ in range(int(dashboards))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    lat = sorted(latencies)
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0.0
    # Help ids are the kit's; pair the n-th request asked with the n-th id seen.
    asked_times = sorted(asked.values())
    seen_times = sorted(seen.values())
    delays = sorted(max(0.0, s - a) for a, s in zip(asked_times, seen_times))
    dpick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] if delays else None
    print(json.dumps({
        "requests": len(lat), "errors": errors[0],
        "p50_ms": round(pick(0.50), 2), "p99_ms": round(pick(0.99), 2),
        "help_asked": len(asked_times), "help_seen": len(seen_times),
        "dashboard_p95_s": None if dpick(0.95) is None else round(dpick(0.95), 2),
    }))


if __name__ == "__main__":
    main()
