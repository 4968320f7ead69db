#!/usr/bin/env python3
"""Line and branch coverage of the book's library, include/ce, from the book's own tests,
and the gate that keeps it from dropping.

    coverage.py [--build build/gcc-coverage] [--out build/coverage] [--gate FILE]

The gcc-coverage tree compiles every snippet with --coverage; running its tests (make
verify) leaves a .gcda file of counts beside each object file. This script asks gcovr
(with gcov-12, the instrumenting compiler's own gcov) for the coverage of include/ce in
all of them together and writes

    OUT/summary.json              gcovr's JSON summary: per header and in total
    OUT/site/coverage/index.html  gcovr's HTML report, one page per header, which the
                                  book publishes as coverage/index.html

Branches that only an exception takes (--exclude-throw-branches) and branches the
compiler proved unreachable are left out: a report full of the hidden branches of
every call that may throw says nothing about the tests. The gate, docs/_data/coverage.json,
states the lowest line and branch coverage the book accepts; below either, the script
fails, naming the figure and the headers with the most uncovered branches.

A run whose inputs did not change since the last summary (no .gcda file, gate or script
newer than it) reports the summary again without running gcovr.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from coverage_gate import GATE, check_gate, measured  # noqa: E402  (shared with the page's directive)


def run_gcovr(build: Path, out: Path) -> None:
    """Writes OUT/summary.json and OUT/site/ through a temporary folder, so that a failed
    or interrupted run leaves the previous report whole."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=".coverage-"))
    try:
        (staging / "site" / "coverage").mkdir(parents=True)
        cmd = [sys.executable, __file__, "--gcovr", "--root", str(ROOT), "--object-directory", str(build),
               "--filter", str(ROOT / "include" / "ce") + "/",
               # One gcov at a time: as fast here as -j 2, with which gcovr 5.2 hangs
               # instead of failing when a worker meets an error.
               "--gcov-executable", "gcov-12",
               "--exclude-throw-branches", "--exclude-unreachable-branches",
               "--json-summary-pretty", "--json-summary", str(staging / "summary.json"),
               "--html-details", str(staging / "site" / "coverage" / "index.html"),
               "--html-title", "C++ Core Engineering: coverage of include/ce by the book's tests",
               str(build)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0 or not (staging / "summary.json").exists():
            sys.exit(f"coverage: gcovr failed ({' '.join(cmd)}):\n{result.stdout}{result.stderr}")
        publish(staging / "site" / "coverage")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already after the rename


def publish(site: Path) -> None:
    """Makes gcovr's pages part of the book's site, published at coverage/: the book's
    icon (without it a browser asks the server for /favicon.ico, which does not exist)
    and a link back to the page that explains the report."""
    head = '<link rel="stylesheet" href="index.css">'
    for page in site.glob("*.html"):
        html = page.read_text()
        if head not in html or "<header>" not in html:
            sys.exit(f"coverage: {page.name} does not look like gcovr 5.2's HTML; update publish()")
        html = html.replace(head, head + '\n    <link rel="icon" href="../_static/favicon.svg">', 1)
        html = html.replace("<header>", '<header>\n      <p><a href="../testing/coverage.html">'
                            "C++ Core Engineering: Coverage</a></p>", 1)
        page.write_text(html)


def gcovr_main(args: list[str]) -> None:
    """gcovr, with one repair. gcovr 5.2 (Debian 12) merges a function's counts from all
    object files by name and asserts that the name is at the same line in each; a
    lambda's name, "ce::callback::{lambda(void*)#23}", numbers it within one object file,
    so two files can give one name to lambdas on different lines, and the assertion
    stops the report (seen with include/ce/callback.hpp). Lines and branches are merged
    by line, unaffected; for such a function the first file's function counts are kept.
    gcovr 6 merges these itself (--merge-mode-functions)."""
    import gcovr.merging as merging
    from gcovr.__main__ import main as gcovr

    merge_function = merging.merge_function

    def merge_or_keep_first(left, right, options):
        return left if left.lineno != right.lineno else merge_function(left, right, options)

    merging.merge_function = merge_or_keep_first
    sys.argv = ["gcovr", *args]
    gcovr()


def up_to_date(summary: Path, gcda: list[Path]) -> bool:
    if not summary.exists():
        return False
    newest_input = max([p.stat().st_mtime_ns for p in gcda]
                       + [GATE.stat().st_mtime_ns, Path(__file__).stat().st_mtime_ns])
    return summary.stat().st_mtime_ns >= newest_input


def main() -> int:
    if sys.argv[1:2] == ["--gcovr"]:
        gcovr_main(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, default=ROOT / "build" / "gcc-coverage")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "coverage")
    parser.add_argument("--gate", type=Path, help="a gate file instead of docs/_data/coverage.json")
    opts = parser.parse_args()
    gate = json.loads((opts.gate or GATE).read_text())
    gcda = sorted(opts.build.rglob("*.gcda")) if opts.build.exists() else []
    if not gcda:
        print(f"coverage: no coverage data in {opts.build}: build and test the gcc-coverage "
              "preset first (make verify)", file=sys.stderr)
        return 1
    summary_path = opts.out / "summary.json"
    if opts.gate or not up_to_date(summary_path, gcda):
        run_gcovr(opts.build, opts.out)
    summary = json.loads(summary_path.read_text())
    figures = measured(summary)
    print(f"coverage: include/ce: lines {summary['line_covered']}/{summary['line_total']} "
          f"({figures['line']:.1f}%), branches {summary['branch_covered']}/{summary['branch_total']} "
          f"({figures['branch']:.1f}%); gate: lines "
          f"{gate['line']:g}%, branches {gate['branch']:g}%; report: "
          f"{(opts.out / 'site' / 'coverage' / 'index.html').relative_to(ROOT) if opts.out.is_relative_to(ROOT) else opts.out}")
    problems = check_gate(summary, gate, str(opts.gate) if opts.gate else str(GATE.relative_to(ROOT)))
    for problem in problems:
        print(f"coverage: gate failed: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
