#!/usr/bin/env python3
"""Serves build/html on 127.0.0.1 and rebuilds the book when a source changes.

Each HTML page gets a small script that asks /__ce_build every 300 ms and reloads the
page after a successful rebuild, or shows why the rebuild failed.

A rebuild has two passes. The first verifies the changed snippets in one preset only
(clang-asan, the quickest to compile) and renders at once; a listing whose other configurations have not run yet says
so ("still verifying: ..."), and a listing no configuration has verified is an error
as always. The second pass is `make html`: every preset, then the strict render in
which any unverified listing fails the build.
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "build" / "html"
VERBOSE = False
# Both passes are `make html`; the first skips the package check (-o deps), verifies
# clang-asan only and lets listings render with their other results pending; the
# coverage report, which needs the gcc-coverage tree's counts, waits for the second.
MAKE_HTML = ["make", "--no-print-directory", "-s", "-o", "deps", "html"]
FAST_PASS = [MAKE_HTML + ["-o", "coverage", "PRESETS=clang-asan", "SPHINX_EXTRA=-D ce_allow_pending=1"]]
FULL_PASS = [MAKE_HTML]
WATCHED = ["snippets", "include", "docs", "conf.py", "CMakeLists.txt", "cmake", "CMakePresets.json"]

RELOAD_SCRIPT = b"""<script>(() => {
  let seen = null;
  async function poll() {
    try {
      const state = await (await fetch('/__ce_build', {cache: 'no-store'})).json();
      if (seen !== null && state.id !== seen && state.ok) location.reload();
      seen = state.id;
      let bar = document.getElementById('ce-build-error');
      if (!state.ok && !bar) {
        bar = document.createElement('pre');
        bar.id = 'ce-build-error';
        bar.style.cssText = 'position:fixed;bottom:0;left:0;right:0;max-height:40vh;overflow:auto;margin:0;padding:1em;background:#7f1d1d;color:#fff;z-index:1000;white-space:pre-wrap';
        document.body.appendChild(bar);
      }
      if (bar) { bar.textContent = state.ok ? '' : 'Rebuild failed:\\n' + state.log; bar.hidden = state.ok; }
    } catch (e) { /* server restarting */ }
    setTimeout(poll, 300);
  }
  poll();
})();</script>"""


class BuildState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.id = 0
        self.ok = True
        self.log = ""

    def snapshot(self) -> bytes:
        with self.lock:
            return json.dumps({"id": self.id, "ok": self.ok, "log": self.log}).encode()


def snapshot_mtimes() -> dict[Path, int]:
    seen: dict[Path, int] = {}
    for name in WATCHED:
        path = ROOT / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for f in files:
            if f.is_file() and "_generated" not in f.parts and "__pycache__" not in f.parts:
                seen[f] = f.stat().st_mtime_ns
    return seen


def run_pass(steps: list[list[str]]) -> tuple[bool, str]:
    log = ""
    for step in steps:
        started = time.monotonic()
        result = subprocess.run(step, cwd=ROOT, capture_output=True, text=True)
        log += result.stdout + result.stderr
        if VERBOSE:
            print(f"serve:   {time.monotonic() - started:5.2f} s  {' '.join(step[:3])}", flush=True)
        if result.returncode != 0:
            return False, log
    return True, log


def watch(state: BuildState) -> None:
    before = snapshot_mtimes()
    while True:
        time.sleep(0.3)
        now = snapshot_mtimes()
        if now == before:
            continue
        changed = sorted({p for p in now.keys() | before.keys() if now.get(p) != before.get(p)})
        before = now
        names = ", ".join(str(p.relative_to(ROOT)) for p in changed[:3])
        print(f"serve: {names} changed; rebuilding", flush=True)
        started = time.monotonic()
        for name, steps in (("one preset", FAST_PASS), ("all presets", FULL_PASS)):
            ok, log = run_pass(steps)
            elapsed = time.monotonic() - started
            print(f"serve: {name}: {'rendered' if ok else 'failed'} after {elapsed:.1f} s", flush=True)
            if not ok and steps is FAST_PASS:
                continue  # e.g. a Python snippet, which only gcc-asan runs: the full pass decides
            with state.lock:
                state.ok, state.log = ok, log[-6000:]
                if ok:
                    state.id += 1
            if not ok:
                print(log, flush=True)
        before = snapshot_mtimes()  # the build itself may touch watched files


class Handler(SimpleHTTPRequestHandler):
    state: BuildState
    inject = True

    def log_message(self, format: str, *args) -> None:  # quiet: one line per rebuild instead
        pass

    def do_GET(self) -> None:
        if self.path == "/__ce_build":
            body = self.state.snapshot()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        path = self.translate_path(self.path)
        if Path(path).is_dir():
            path = str(Path(path) / "index.html")
        if self.inject and path.endswith(".html") and Path(path).is_file():
            body = Path(path).read_bytes().replace(b"</body>", RELOAD_SCRIPT + b"</body>", 1)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--verbose", action="store_true", help="time each step of a rebuild")
    parser.add_argument("--no-watch", action="store_true",
                        help="serve the pages as a static host would: no rebuilds, no reload script")
    opts = parser.parse_args()
    global VERBOSE
    VERBOSE = opts.verbose
    state = BuildState()
    Handler.state = state
    Handler.inject = not opts.no_watch
    if not opts.no_watch:
        threading.Thread(target=watch, args=(state,), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", opts.port), functools.partial(Handler, directory=str(HTML)))
    print(f"serve: the book is at http://127.0.0.1:{opts.port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
