#!/usr/bin/env python3
"""Checks the rendered book against the sources it claims to show.

    check_rendered.py [HTML_DIR]

Every listing's HTML carries the file it shows, the SHA-256 of the version it was
rendered from, and whether every configuration had verified that version
(``<!-- ce-listing snippets/x.cpp sha256=... verified -->``, written by the snippet
directive). This fails, naming the page, when a listing is still pending, shows an
older version of its file than the one in the tree, or carries no such record.
`make test` and `make book` end with it: a green run leaves no page that says less
than "verified".
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = re.compile(r"<!-- ce-listing (\S+) sha256=([0-9a-f]{64}) (verified|pending) -->")
LISTING = re.compile(r'<div class="(?:[^"]*\s)?ce-listing[\s"]')


def main() -> int:
    html = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "html"
    if not (html / "index.html").exists():
        print(f"check_rendered: {html} holds no rendered book", file=sys.stderr)
        return 1
    digests: dict[str, str | None] = {}
    problems: list[str] = []
    listings = pages = 0
    for page in sorted(html.rglob("*.html")):
        text = page.read_text(errors="replace")
        shown = LISTING.findall(text)
        records = RECORD.findall(text)
        if not shown and not records:
            continue
        pages += 1
        listings += len(records)
        where = page.relative_to(html)
        if len(shown) != len(records):
            problems.append(f"{where}: {len(shown)} listings but {len(records)} verification records")
        if "ce-pending" in text:
            problems.append(f"{where}: a listing is marked still verifying")
        for source, digest, state in records:
            if source not in digests:
                path = ROOT / source
                digests[source] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
            if digests[source] is None:
                problems.append(f"{where}: shows {source}, which no longer exists")
            elif digests[source] != digest:
                problems.append(f"{where}: shows an older version of {source} than the tree holds (stale)")
            if state != "verified":
                problems.append(f"{where}: a listing of {source} was rendered before every configuration verified it")
    for problem in dict.fromkeys(problems):
        print(f"check_rendered: {problem}", file=sys.stderr)
    if problems:
        print("check_rendered: the rendered book is not fully verified; run `make book`", file=sys.stderr)
        return 1
    print(f"check_rendered: {listings} listings on {pages} pages, each verified against the file in the tree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
