#!/usr/bin/env bash
# Page weight per language: for each language of the portal, the bytes a phone receives
# (gzip-compressed bodies, and with HTTP headers) for a first visit to the home page (HTML +
# the CSS, JS and icon it links) and for the other learner pages of the starter library.
# Markdown table on stdout.
#
#   bash scripts/bench-languages.sh            # builds the release binary first
#   SKIP_BUILD=1 bash scripts/bench-languages.sh
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

WORK="$(mktemp -d /tmp/kit-bench-lang.XXXXXX)"
trap 'cleanup_pids; rm -rf "$WORK"' EXIT
[ -n "${SKIP_BUILD:-}" ] || build_kit
echo "machine: $(machine_line)" >&2
start_kit "$WORK/data" "$WORK/kit.log"

python3 - "$KIT_URL" <<'PY'
import http.client, re, sys, urllib.parse

base = urllib.parse.urlsplit(sys.argv[1])
PAGES = {
    "home (first visit)": "/",
    "theme": "/themes/securite",
    "tutorial": "/tutoriels/mot-de-passe-solide",
    "step": "/tutoriels/mot-de-passe-solide/etape/2",
    "glossary": "/glossaire",
    "form intro": "/formulaires/changer-d-adresse",
}

def fetch(path, lang):
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=10)
    conn.request("GET", path, headers={"Accept-Encoding": "gzip", "Cookie": f"langue={lang}"})
    r = conn.getresponse()
    body = r.read()
    head = len(f"HTTP/1.1 {r.status} {r.reason}\r\n") + sum(len(k) + len(v) + 4 for k, v in r.getheaders()) + 2
    conn.close()
    if r.status != 200:
        raise SystemExit(f"{path} ({lang}) answered {r.status}")
    return body, head

def weight(path, lang, with_assets):
    body, head = fetch(path, lang)
    bodies, total = len(body), len(body) + head
    if with_assets:
        import gzip
        html = gzip.decompress(body).decode() if body[:2] == b"\x1f\x8b" else body.decode()
        links = re.findall(r'(?:href|src)="(/_kit/[^"]+)"|src="(/contenus/[^"]+)"', html)
        for asset in sorted({a or b for a, b in links}):
            b, h = fetch(asset, lang)
            bodies += len(b)
            total += len(b) + h
    return bodies, total

print("| page | " + " | ".join(["fr", "en", "ar", "uk"]) + " |")
print("| --- | --- | --- | --- | --- |")
for name, path in PAGES.items():
    cells = []
    for lang in ["fr", "en", "ar", "uk"]:
        bodies, total = weight(path, lang, path == "/")
        cells.append(f"{bodies / 1000:.1f} KB ({total / 1000:.1f} KB with headers)")
    print(f"| {name} `{path}` | " + " | ".join(cells) + " |")
PY
