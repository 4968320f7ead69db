"""Runs a command inside a scratch tree's mount namespace (see scratch_tree.py) and
applies the test's edits there.

    scratch_run.py ROOT COMMAND...

It checks that ROOT really is the overlay, starts COMMAND in ROOT, and reads edit
requests on standard input, one per line: "<file outside the tree>\t<path in the
tree>" copies the first over the second inside this namespace, where only the overlay
sees the write. A SIGTERM, or the end of standard input, stops COMMAND and ends it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path


def main() -> int:
    root, command = Path(sys.argv[1]), sys.argv[2:]
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    if not any(line.split()[:3] == ["ce-scratch-tree", str(root), "overlay"] for line in mounts):
        print(f"scratch_run: {root} is not the scratch overlay in this namespace", file=sys.stderr)
        return 2
    os.chdir(root)
    child = subprocess.Popen(command, cwd=root)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    for line in sys.stdin:
        source, _, target = line.rstrip("\n").partition("\t")
        shutil.copyfile(source, root / target)
    child.terminate()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
