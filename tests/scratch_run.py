"""Runs a command inside a scratch tree's mount namespace (see scratch_tree.py) and
applies the test's edits there.

    scratch_run.py ROOT COMMAND...          a server: edits arrive while it runs
    scratch_run.py --once ROOT COMMAND...   edits first, then COMMAND to its end

It checks that ROOT really is the overlay and reads edit requests on standard input,
one per line: "<file outside the tree>\t<path in the tree>" copies the first over the
second inside this namespace, where only the overlay sees the write; "\t<path in the
tree>" removes the file. Without --once it starts COMMAND in ROOT first and applies the
edits as they come; a SIGTERM, or the end of standard input, stops COMMAND and ends it.
With --once it applies every edit up to the end of standard input, then runs COMMAND
and returns its exit status.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path


def apply(root: Path, line: str) -> None:
    source, _, target = line.rstrip("\n").partition("\t")
    if source:
        shutil.copyfile(source, root / target)
    else:
        (root / target).unlink()


def main() -> int:
    once = sys.argv[1:2] == ["--once"]
    root, command = Path(sys.argv[1 + once]), sys.argv[2 + once:]
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    if not any(line.split()[:3] == ["ce-scratch-tree", str(root), "overlay"] for line in mounts):
        print(f"scratch_run: {root} is not the scratch overlay in this namespace", file=sys.stderr)
        return 2
    os.chdir(root)
    if once:
        for line in sys.stdin:
            apply(root, line)
        return subprocess.run(command, cwd=root, stdin=subprocess.DEVNULL).returncode
    child = subprocess.Popen(command, cwd=root)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    for line in sys.stdin:
        apply(root, line)
    child.terminate()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
