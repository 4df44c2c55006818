#!/usr/bin/env python3
"""Writes a large pack source for benchmarks: copies of the starter tutorials, renamed and
spread over generated themes, optionally with random-byte images (small and large)."""

import argparse
import os
import re
from pathlib import Path

STARTER = Path(__file__).resolve().parent.parent / "content" / "starter"
LINK = re.compile(r"\]\(([a-z0-9-]+)\.md(#[^)]*)?\)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", type=Path, help="folder to write (must not exist)")
    p.add_argument("--id", default="banc")
    p.add_argument("--tutorials", type=int, default=2000, help="a multiple of the number of starter tutorials")
    p.add_argument("--themes", type=int, default=20)
    p.add_argument("--image-kb", type=int, default=0, help="one random image per tutorial")
    p.add_argument("--big-mb", default="", help="sizes of large images, e.g. 20,30,40")
    a = p.parse_args()

    bases = sorted((STARTER / "tutorials").glob("*.md"))
    a.out.mkdir(parents=True)
    for sub in ("themes", "tutorials", "images"):
        (a.out / sub).mkdir()
    for img in (STARTER / "images").iterdir():
        (a.out / "images" / img.name).write_bytes(img.read_bytes())
    (a.out / "pack.toml").write_text(
        f'id = "{a.id}"\nversion = "1.0.0"\ntitle = "Banc d\'essai {a.id}"\n'
        'description = "Des fiches copiées pour mesurer le kit."\nlanguages = ["fr"]\n'
        'license = "CC-BY-SA-4.0"\ncreated = "2026-11-22"\n',
        encoding="utf-8",
    )
    icons = sorted(i.name for i in (STARTER / "images").glob("theme-*.svg"))
    for t in range(a.themes):
        (a.out / "themes" / f"banc-theme-{t}.md").write_text(
            f'+++\ntitle = "Thème d\'essai {t}"\nsummary = "Des fiches pour le banc d\'essai."\n'
            f'order = {100 + t}\nicon = "../images/{icons[t % len(icons)]}"\n+++\n'
            "Ce thème sert aux mesures.\n",
            encoding="utf-8",
        )
    texts = [b.read_text(encoding="utf-8") for b in bases]
    index = {b.stem: n for n, b in enumerate(bases)}
    big = [int(x) for x in a.big_mb.split(",") if x]

    def relink(m, batch):
        # The copy of the same batch if it is made, else the first batch's; a link to a
        # tutorial that has no copy at all becomes plain text.
        target = index.get(m.group(1))
        anchor = m.group(2) or ""
        if target is None:
            return m.group(0)
        for b in (batch, 0):
            if b * len(bases) + target < a.tutorials:
                return f"]({m.group(1)}-{b}.md{anchor})"
        return "](#)"

    for i in range(a.tutorials):
        batch, base = divmod(i, len(bases))
        text = texts[base]
        text = LINK.sub(lambda m: relink(m, batch), text)
        text = re.sub(r'^title = "(.*)"$', rf'title = "\1 {batch}"', text, count=1, flags=re.M)
        text = re.sub(
            r'^theme = ".*"$', f'theme = "banc-theme-{batch % a.themes}"', text, count=1, flags=re.M
        )
        if a.image_kb:
            name = f"photo-{i}.png"
            (a.out / "images" / name).write_bytes(os.urandom(a.image_kb * 1024))
            text += f"\n![Une photo de l'écran.](../images/{name})\n"
        if i < len(big):
            name = f"grande-{i}.jpg"
            with open(a.out / "images" / name, "wb") as f:
                for _ in range(big[i]):
                    f.write(os.urandom(1 << 20))
            text += f"\n![Une grande photo.](../images/{name})\n"
        (a.out / "tutorials" / f"{bases[base].stem}-{batch}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
