"""A copy of the working tree that costs nothing to make: the repository seen through a
copy-on-write overlay in a private mount namespace.

A test that edits tracked files runs its command with :meth:`ScratchTree.start` when
the command keeps running while the test edits (the live-rebuild check saves a snippet
under a running server), or with :meth:`ScratchTree.run` when the edits come first and
the command runs to its end (a render of the book with one page broken). Inside that
command's mount namespace, ROOT is
an overlayfs whose lower layer is the real tree, build trees included, and whose upper
layer is a scratch directory outside the repository. The command sees and rebuilds the
tree exactly as it is, incrementally; every write it makes, and every edit the test
makes through :meth:`ScratchTree.write`, lands in the scratch layer. The real tree, its
sources and its verified build, is never written, so an interrupted test cannot leave
it half-edited: when the command ends, its namespace and its view are gone.

The namespace needs privilege, found in this order: root; an unprivileged user
namespace (Debian 12 allows one, except inside a chroot, where Linux refuses it); or
``sudo -n``, after which the command runs as the calling user again (``setpriv``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNER = Path(__file__).resolve().parent / "scratch_run.py"


def _scratch_parent() -> str:
    """The upper layer needs a disk filesystem outside the repository (overlayfs refuses
    layers nested in each other, and tmpfs lacks user xattrs before Linux 6.6)."""
    for candidate in ("/var/tmp", tempfile.gettempdir()):
        if os.access(candidate, os.W_OK):
            return candidate
    raise RuntimeError("no writable scratch directory for the overlay")


def _succeeds(command: list[str]) -> bool:
    return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


class ScratchTree:
    """``with ScratchTree() as tree: proc = tree.start([...]); tree.write(path, text)``,
    or for a command that runs to its end: ``tree.run([...], {path: text})``."""

    def __init__(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="ce-scratch-tree-", dir=_scratch_parent()))
        for name in ("upper", "work", "edits"):
            (self.scratch / name).mkdir()
        self.proc: subprocess.Popen | None = None
        self.edits = 0
        self.as_root = False  # mounted through sudo: root owns what overlayfs wrote

    def _launcher(self, options: str) -> tuple[list[str], str, str]:
        """How to enter a mount namespace here: the prefix, mount options, and what to run
        the command under once mounted."""
        namespaces = ["unshare", "--mount", "--propagation", "private"]
        if os.geteuid() == 0:
            return namespaces, options, ""
        if _succeeds(["unshare", "--user", "--map-root-user", "--mount", "true"]):
            # An unprivileged overlay keeps its whiteouts in user.* extended attributes.
            return (["unshare", "--user", "--map-root-user", *namespaces[1:]],
                    options + ",userxattr", "")
        if _succeeds(["sudo", "-n", "true"]):
            # Back to the caller, with the caller's environment: sudo resets it (HOME
            # would be root's, and ccache would write into root's cache).
            environment = shlex.join(f"{k}={v}" for k, v in os.environ.items())
            drop = (f"setpriv --reuid={os.getuid()} --regid={os.getgid()} --init-groups -- "
                    f"env -i {environment}")
            self.as_root = True
            return ["sudo", "-n", *namespaces], options, drop
        raise RuntimeError("a scratch tree needs root, an unprivileged user namespace, or "
                           "passwordless sudo to mount its overlay")

    def _command(self, runner_args: list[str]) -> list[str]:
        options = f"lowerdir={ROOT},upperdir={self.scratch / 'upper'},workdir={self.scratch / 'work'}"
        prefix, options, drop = self._launcher(options)
        runner = [sys.executable, str(RUNNER), *runner_args]
        script = (f"mount -t overlay ce-scratch-tree -o {shlex.quote(options)} {shlex.quote(str(ROOT))}"
                  f" && cd {shlex.quote(str(ROOT))} && exec {drop} {shlex.join(runner)}")
        return [*prefix, "--", "/bin/sh", "-c", script]

    def start(self, command: list[str], **popen) -> subprocess.Popen:
        popen.pop("cwd", None)  # the command runs in the overlay, at the same path
        popen.update(stdin=subprocess.PIPE, text=True)
        self.proc = subprocess.Popen(self._command([str(ROOT), *command]), **popen)
        return self.proc

    def run(self, command: list[str], edits: dict[str, str | None]) -> subprocess.CompletedProcess:
        """Runs ``command`` to its end in a view of the tree where each path of ``edits``
        (relative to the root) has the text given, or is removed where the text is None.
        Builds the command makes start from the real tree's build state, so a Sphinx
        render, say, re-reads only the pages the edits touch."""
        requests = []
        for relative, text in edits.items():
            staged = ""
            if text is not None:
                self.edits += 1
                staged = str(self.scratch / "edits" / f"{self.edits}")
                Path(staged).write_text(text)
            requests.append(f"{staged}\t{relative}\n")
        return subprocess.run(self._command(["--once", str(ROOT), *command]), input="".join(requests),
                              capture_output=True, text=True)

    def write(self, relative: str | Path, text: str) -> None:
        """Replaces ``relative`` with ``text`` in the command's view of the tree only."""
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError("the scratch tree's command is not running")
        self.edits += 1
        staged = self.scratch / "edits" / f"{self.edits}"
        staged.write_text(text)
        self.proc.stdin.write(f"{staged}\t{relative}\n")
        self.proc.stdin.flush()

    def __enter__(self) -> "ScratchTree":
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.as_root and self.scratch.exists():
            subprocess.run(["sudo", "-n", "rm", "-rf", "--one-file-system", str(self.scratch)], check=False)
