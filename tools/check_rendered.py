#!/usr/bin/env python3
"""Checks the rendered book against the sources it claims to show.

    check_rendered.py [HTML_DIR]

Every listing's HTML carries the file it shows, the SHA-256 of the version it was
rendered from, and whether every configuration had verified that version
(``<!-- ce-listing snippets/x.cpp sha256=... verified -->``, written by the snippet
directive). This fails, naming the page, when a listing is still pending, shows an
older version of its file than the one in the tree, or carries no such record; and
when an API page's prose shows markup that Doxygen or Breathe failed to render (a
stray backtick, ``@command``, ``\\command`` or ``**``).
`make test` and `make book` end with it: a green run leaves no page that says less
than "verified".
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Doxygen or reST markup that reached an API page's prose instead of being rendered.
STRAY_MARKUP = re.compile(r"`|\*\*|(?<![\w@])@[a-z]+\b|\\[a-z]+\b|:[a-z]+:`|</?computeroutput")
RECORD = re.compile(r"<!-- ce-listing (\S+) sha256=([0-9a-f]{64}) (verified|pending) -->")
# A listing's wrapper, or the verification line of a whole-file source page.
LISTING = re.compile(r'<div class="(?:[^"]*\s)?ce-listing[\s"]|<p class="[^"]*\bce-source-meta\b')


def visible_prose(html: str) -> str:
    """A page's text as a reader sees it, minus code (listings and signatures keep
    their backslashes and at-signs)."""
    main = re.search(r'<article\b[^>]*role="main"[^>]*>(.*?)</article>', html, flags=re.S)
    html = main.group(1) if main else html  # the page's own content, not the theme's
    html = re.sub(r"<(script|style|pre)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<code\b.*?</code>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


def stray_markup(where: Path, html: str) -> list[str]:
    text = visible_prose(html)
    return [f"{where}: stray markup in the text: “…{text[max(m.start() - 40, 0):m.end() + 40].strip()}…”"
            for m in STRAY_MARKUP.finditer(text)]


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
        where = page.relative_to(html)
        if where.parts[0] == "api":
            problems += stray_markup(where, text)
        shown = LISTING.findall(text)
        records = RECORD.findall(text)
        if not shown and not records:
            continue
        pages += 1
        listings += len(records)
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
