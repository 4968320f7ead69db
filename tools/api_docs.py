#!/usr/bin/env python3
"""Runs Doxygen on include/ce and updates build/doxygen/xml with only what changed.

Doxygen rewrites every XML file on each run, and Breathe re-reads every API page when any
XML file is newer than the last build. Generating into a staging folder and copying only
the files whose content differs keeps an unrelated header edit from re-rendering the book.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "doxygen"


def main() -> int:
    staging = OUT / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    env = dict(os.environ, CE_DOXYGEN_OUT=str(staging))
    result = subprocess.run(["doxygen", "docs/Doxyfile"], cwd=ROOT, env=env)
    if result.returncode != 0:
        print("api_docs: Doxygen reported warnings (listed above); they are errors here",
              file=sys.stderr)
        return 1
    target = OUT / "xml"
    target.mkdir(parents=True, exist_ok=True)
    fresh = {p.relative_to(staging / "xml") for p in (staging / "xml").rglob("*") if p.is_file()}
    changed = 0
    for rel in sorted(fresh):
        src, dst = staging / "xml" / rel, target / rel
        if not dst.exists() or not filecmp.cmp(src, dst, shallow=False):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            changed += 1
    for old in [p for p in target.rglob("*") if p.is_file()]:
        if old.relative_to(target) not in fresh:
            old.unlink()
            changed += 1
    print(f"api_docs: {len(fresh)} XML files, {changed} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
