"""A copy of the working tree that costs nothing to make: the repository seen through a
copy-on-write overlay in a private mount namespace.

A test that edits tracked files (the live-rebuild check saves a snippet) runs its
command with :func:`start`. Inside that command's mount namespace, ROOT is an overlayfs
whose lower layer is the real tree, build trees included, and whose upper layer is a
scratch directory outside the repository. The command sees and rebuilds the tree
exactly as it is, incrementally; every write it makes lands in the scratch layer. The
real tree, its sources and its verified build, is never written, so an interrupted
test cannot leave it half-edited: when the command ends, its namespace and its view
are gone.

Needs util-linux's ``unshare`` and overlayfs in a user namespace when not root (Debian
12's kernel allows both).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _scratch_parent() -> str:
    """The upper layer needs a disk filesystem outside the repository (overlayfs refuses
    layers nested in each other, and tmpfs lacks user xattrs before Linux 6.6)."""
    for candidate in ("/var/tmp", tempfile.gettempdir()):
        if os.access(candidate, os.W_OK):
            return candidate
    raise RuntimeError("no writable scratch directory for the overlay")


class ScratchTree:
    """``with ScratchTree() as tree: proc = tree.start([...])``: ``proc`` runs with the
    overlay mounted on ROOT; :meth:`path` maps a repository path to where the running
    command sees it, for a test that edits the tree under the command."""

    def __init__(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="ce-scratch-tree-", dir=_scratch_parent()))
        (self.scratch / "upper").mkdir()
        (self.scratch / "work").mkdir()
        self.proc: subprocess.Popen | None = None

    def start(self, command: list[str], **popen) -> subprocess.Popen:
        options = f"lowerdir={ROOT},upperdir={self.scratch / 'upper'},workdir={self.scratch / 'work'}"
        namespaces = ["--mount", "--propagation", "private"]
        if os.geteuid() != 0:
            # An unprivileged overlay lives in a user namespace and keeps its whiteouts
            # in user.* extended attributes.
            namespaces = ["--user", "--map-root-user", *namespaces]
            options += ",userxattr"
        script = (f"mount -t overlay ce-scratch-tree -o {shlex.quote(options)} {shlex.quote(str(ROOT))}"
                  f" && cd {shlex.quote(str(ROOT))} && exec {shlex.join(command)}")
        self.proc = subprocess.Popen(["unshare", *namespaces, "--", "/bin/sh", "-c", script], **popen)
        return self.proc

    def path(self, relative: str | Path) -> Path:
        """``relative`` inside the running command's view of the tree."""
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError("the scratch tree's command is not running")
        return Path(f"/proc/{self.proc.pid}/root") / ROOT.relative_to("/") / relative

    def mounted(self) -> bool:
        """Whether the command's view is the overlay yet (it mounts before it runs)."""
        try:
            mounts = Path(f"/proc/{self.proc.pid}/mounts").read_text()
        except OSError:
            return False
        return any(line.split()[:3] == ["ce-scratch-tree", str(ROOT), "overlay"] for line in mounts.splitlines())

    def __enter__(self) -> "ScratchTree":
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)
