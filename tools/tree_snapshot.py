#!/usr/bin/env python3
"""Proves that the tests of the book leave the working tree as they found it.

    tree_snapshot.py save    at the start of `make test`: hash every file git sees
    tree_snapshot.py check   at the end: fail, naming each file created, changed or removed

The files are those git tracks plus untracked ones it does not ignore, so an edit in
progress is fine: only a change made *during* the run fails the check.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "build" / "tree-before-test.json"


def snapshot() -> dict[str, str]:
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    out = {}
    for name in filter(None, names):
        path = ROOT / name
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    return out


def main() -> int:
    if sys.argv[1:] == ["save"]:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(snapshot()))
        return 0
    if sys.argv[1:] != ["check"]:
        print(__doc__, file=sys.stderr)
        return 2
    before = json.loads(SNAPSHOT.read_text())
    after = snapshot()
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    for name in changed:
        what = "created" if name not in before else "removed" if after.get(name, "missing") == "missing" else "changed"
        print(f"tree_snapshot: {name} was {what} while the tests ran", file=sys.stderr)
    if changed:
        return 1
    print(f"tree_snapshot: the tests left all {len(after)} files of the tree unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
