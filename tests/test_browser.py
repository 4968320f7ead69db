"""Runs the browser tests (tests/browser/site.mjs) against the built book served on
127.0.0.1, as a static host would serve it, and the live-rebuild check against
`tools/serve.py` in watch mode. Needs a built book (make test builds it first)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import unittest
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
sys.path.insert(0, str(ROOT / "tests"))
import regions  # noqa: E402
from scratch_tree import ScratchTree  # noqa: E402

PY = "/usr/bin/python3"
SCREENSHOTS = ROOT / "build" / "screenshots"
SNIPPET = ROOT / "snippets" / "foundations" / "exceptions.cpp"
# The first line of a listing that no header's API documentation shows.
LIVE_LINE = "    auto rethrow_by_name = [] {"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """tools/serve.py on a free port, started by ``start`` (Popen or a scratch tree's)."""

    def __init__(self, *args: str, start=subprocess.Popen):
        self.port = free_port()
        self.proc = start([PY, "tools/serve.py", "--port", str(self.port), *args], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tools/serve.py exited: {self.proc.communicate()[0]}")
            try:
                urllib.request.urlopen(self.base + "/index.html", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("tools/serve.py did not start")

    def stop(self) -> str:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        return out


def expected_uses(found: dict) -> dict:
    """Where each listing's file link must land, and what "Copy with includes" must copy:
    the #include lines (and usings) the build's analysis found, a blank line, the region."""
    analysis = json.loads((ROOT / "build/uses/foundations/exceptions.cpp.json").read_text())["regions"]
    source, includes = [], {}
    for name in ("react", "chain", "strong-guarantee"):
        where = f"foundations/exceptions.html#listing-exceptions-{name}"
        region = found[name]
        source.append({"listing": where, "anchor": f"region-{name}", "first": region.start + 1,
                       "last": region.end - 1})
        lines = analysis[name]["includes"] + analysis[name]["usings"]
        if lines:
            includes[where] = "\n".join(lines) + "\n\n" + region.text()
    assert includes, "no listing of the exceptions page needs an #include"
    return {"source": source, "includes": includes}


@unittest.skipUnless((ROOT / "build" / "html" / "index.html").exists(), "the book is not built")
class Browser(unittest.TestCase):
    def test_the_site_in_a_real_browser(self) -> None:
        found = regions.parse(SNIPPET)
        expected = {
            f"foundations/exceptions.html#listing-exceptions-{name}": found[name].text()
            for name in ("react", "chain", "strong-guarantee")
        }
        expected_file = ROOT / "build" / "browser-expected.json"
        expected_file.write_text(json.dumps(expected))
        uses_file = ROOT / "build" / "browser-expected-uses.json"
        uses_file.write_text(json.dumps(expected_uses(found)))
        server = Server("--no-watch")
        try:
            result = subprocess.run(["node", "tests/browser/site.mjs", "check", server.base, str(expected_file),
                                     str(SCREENSHOTS), str(uses_file)], cwd=ROOT, capture_output=True, text=True, timeout=600)
        finally:
            server.stop()
        print(result.stdout, result.stderr, sep="", flush=True)
        self.assertEqual(result.returncode, 0, "browser checks failed (above)")

    def test_saving_a_snippet_shows_the_reverified_listing(self) -> None:
        # The edit happens in a scratch tree: the real sources and the verified book are
        # never written, even if this test is interrupted.
        original = SNIPPET.read_text()
        marker = f"live check {time.time_ns()}"
        with ScratchTree() as tree:
            server = Server(start=tree.start)
            try:
                live = subprocess.Popen(["node", "tests/browser/site.mjs", "live", server.base,
                                         "foundations/exceptions.html", marker],
                                        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                self.assertEqual(live.stdout.readline().strip(), "ready")
                # A code change, not a comment: every preset must really recompile.
                tree.write(SNIPPET.relative_to(ROOT),
                           original.replace(LIVE_LINE, f'    static_assert(true, "{marker}");\n{LIVE_LINE}'))
                out, _ = live.communicate(timeout=400)
            finally:
                log = server.stop()
        print(out, end="", flush=True)
        self.assertEqual(live.returncode, 0, out + log)
        self.assertIn("live: edit-to-page", out)
        self.assertEqual(SNIPPET.read_text(), original, "the live check wrote to the real tree")
        self.assertNotIn(marker, (ROOT / "build/html/foundations/exceptions.html").read_text())


if __name__ == "__main__":
    unittest.main()
