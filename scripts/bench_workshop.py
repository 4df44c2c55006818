#!/usr/bin/env python3
"""Simulated workshop for scripts/bench-workshop.sh (standard library only).

  bench_workshop.py BASE SECONDS PHONES DASHBOARDS SESSION_COOKIE|-  TUTORIAL STEPS

PHONES threads, each a phone with its own cookies and the nickname `banc-N`: one request
every 2 s (the tutorial's steps in turn, now and then the workshop page), and every 15 to
30 s a help request, taken back 5 s later. DASHBOARDS threads poll
/admin/atelier/tableau.json every second with the conseiller's session cookie; a request's
update latency is from its POST to the first dashboard answer that lists it.
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
    asked: dict[int, float] = {}  # phone -> when it last asked
    asks = [0]
    delays: list[float] = []  # per help request: asked → first shown on a dashboard
    seen_ids: set[int] = set()
    lock = threading.Lock()

    def phone(n: int) -> None:
        # Each phone from its own address, as on the kit's Wi-Fi (the kit takes at most a
        # few new phones from one address).
        source = (f"127.0.1.{n + 1}", 0)
        conn = http.client.HTTPConnection(host, port, timeout=10, source_address=source)
        cookie = ""
        step = 1
        next_help = time.monotonic() + random.uniform(5, 25)
        cancel_at = None
        named = False
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
                form = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
                if session and cookie and not named:
                    body = f"pseudo=banc-{n}"
                    conn.request("POST", "/atelier/pseudo", body=body, headers=form)
                    conn.getresponse().read()
                    named = True
                if session and cancel_at and time.monotonic() >= cancel_at:
                    conn.request("POST", "/aide/annuler", body="", headers=form)
                    conn.getresponse().read()
                    cancel_at = None
                if session and cookie and time.monotonic() >= next_help:
                    next_help = time.monotonic() + random.uniform(15, 30)
                    with lock:
                        asked[n] = time.monotonic()
                        asks[0] += 1
                    conn.request("POST", "/aide", body="", headers=form)
                    conn.getresponse().read()
                    cancel_at = time.monotonic() + 5
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10, source_address=source)
            time.sleep(2)

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
                        if h["id"] in seen_ids or not h["label"].startswith("banc-"):
                            continue
                        seen_ids.add(h["id"])
                        phone_n = int(h["label"][5:])
                        if phone_n in asked:
                            delays.append(now - asked[phone_n])
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
    delays.sort()
    dpick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] if delays else None
    print(json.dumps({
        "requests": len(lat), "errors": errors[0],
        "p50_ms": round(pick(0.50), 2), "p99_ms": round(pick(0.99), 2),
        "help_asked": asks[0], "help_seen": len(seen_ids),
        "dashboard_p95_s": None if dpick(0.95) is None else round(dpick(0.95), 2),
    }))


if __name__ == "__main__":
    main()
