#!/usr/bin/env python3
"""Measures edit-to-page time: change one listing's code, rebuild, find it on the page.

The edit adds a static_assert whose message is unique, so every preset must really
recompile the file (a comment-only edit would be served from ccache).

Prints the time `make html` takes from the save to the re-verified page, then restores
the file and rebuilds. Run it on a built book (`make edit-time` does).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNIPPET = ROOT / "snippets" / "foundations" / "exceptions.cpp"
PAGE = ROOT / "build" / "html" / "foundations" / "exceptions.html"
# The first line of a listing that no header's API documentation shows (those re-render
# the API pages as well, which takes longer).
LINE = "    auto rethrow_by_name = [] {"
# Seconds from the save to the page re-verified in every configuration; printed with the
# figure, never asserted (a timing depends on the machine and its load).
TARGET = 4.0


def rebuild() -> float:
    started = time.monotonic()
    result = subprocess.run(["make", "--no-print-directory", "-s", "html"], cwd=ROOT,
                            capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(result.stdout + result.stderr)
    return elapsed


def main() -> int:
    original = SNIPPET.read_text()
    if LINE not in original:
        sys.exit(f"edit_time: {SNIPPET} no longer holds the line it edits")
    stamp = f"edited at {time.time_ns()}"
    try:
        SNIPPET.write_text(original.replace(LINE, f'    static_assert(true, "{stamp}");\n{LINE}'))
        elapsed = rebuild()
        if stamp not in PAGE.read_text():
            sys.exit("edit_time: the page does not show the edit")
    finally:
        SNIPPET.write_text(original)
    restore = rebuild()
    verdict = "met" if elapsed <= TARGET else "NOT met"
    print(f"edit-to-page: {elapsed:.1f} s, target ≤ {TARGET:g} s: {verdict} "
          f"(one listing changed in {SNIPPET.relative_to(ROOT)}; "
          f"restoring took {restore:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
