#!/usr/bin/env python3
"""Runs a tool on a snippet (a profiler, valgrind, a compiler asked for its remarks) and
keeps its real output for the page that shows it.

    tool_run.py --out RESULT.json --command "SHELL COMMAND" --shown "AS A READER TYPES IT"
                --expect REGEX [--expect REGEX ...] [--exit-code N] [--artifact FILE]
                [--replace FROM=TO ...] [--source SNIPPET] [--file CHECKED ...]

The command runs under sh in a new, empty temporary folder. Its standard output and
standard error, merged in the order they were written, are the output; absolute paths
of the build tree, the project and the temporary folder are shortened (--replace) so
the page shows what a reader who ran the command from the snippet's build folder would
see. The run passes only when the command exits with the expected status and every
--expect pattern (a Python regular expression, multi-line) matches the output. On a
pass it writes RESULT.json (the shown command, the output, the status, the seconds it
took) and copies --artifact, a file the command wrote in its folder, beside it. On a
failure it writes nothing, so a page cannot show output that was not checked.

``@line:REGION:TEXT@`` in the command and the patterns becomes the number of the first
line of region REGION of --source that contains TEXT: a compiler's remark names a loop
by its line, and the line moves whenever the file above it is edited. A region or text
that is not found fails the run, naming the file.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import regions  # noqa: E402

LINE_OF = re.compile(r"@line:([a-z0-9-]+):([^@]+)@")
TIMEOUT_SECONDS = 600


@functools.cache
def snippet_regions(source: Path) -> tuple[str, dict, list[str]]:
    """The snippet as the messages name it, its regions and its lines, read once."""
    shown = source.resolve().relative_to(ROOT).as_posix() if source.resolve().is_relative_to(ROOT) else str(source)
    try:
        found = regions.parse(source, shown)
    except regions.RegionError as error:
        raise LookupError(str(error)) from None
    return shown, found, source.read_text().splitlines()


def line_numbers(text: str, source: Path | None) -> str:
    """Replaces every @line:REGION:TEXT@ with the line number it names in ``source``."""
    def number(match: re.Match) -> str:
        region_name, wanted = match.group(1), match.group(2)
        if source is None:
            raise LookupError(f"{match.group(0)} needs --source")
        shown, found, lines = snippet_regions(source)
        region = found.get(region_name)
        if region is None:
            raise LookupError(f"{shown}:1: no region [{region_name}] for {match.group(0)}")
        for n in range(region.start + 1, region.end):
            if wanted in lines[n - 1]:
                return str(n)
        raise LookupError(f"{shown}:{region.start}: no line of region [{region_name}] contains "
                          f"{wanted!r} ({match.group(0)})")
    return LINE_OF.sub(number, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--shown", required=True)
    parser.add_argument("--expect", action="append", default=[])
    parser.add_argument("--exit-code", type=int, default=0)
    parser.add_argument("--artifact")
    parser.add_argument("--replace", action="append", default=[], metavar="FROM=TO")
    parser.add_argument("--source", type=Path, help="the snippet, for @line:REGION:TEXT@")
    parser.add_argument("--file", action="append", default=[], type=Path,
                        help="a file the run checks (FILES of ce_add_tool_run); tools/verify.py "
                             "reads these from the command")
    opts = parser.parse_args()
    missing = [str(file) for file in opts.file if not file.is_file()]
    if missing:
        print(f"tool_run: FAIL: no such file: {', '.join(missing)}")
        return 1
    try:
        opts.command, opts.shown = line_numbers(opts.command, opts.source), line_numbers(opts.shown, opts.source)
        opts.expect = [line_numbers(pattern, opts.source) for pattern in opts.expect]
    except LookupError as error:
        print(f"tool_run: FAIL: {error}")
        return 1
    if not opts.expect:
        print("tool_run: no --expect pattern: a run whose output nobody checks cannot be shown")
        return 1

    opts.out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="ce-tool-run-") as folder:
        start = time.monotonic()
        try:
            result = subprocess.run(["sh", "-c", opts.command], cwd=folder, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            print(f"tool_run: FAIL: still running after {TIMEOUT_SECONDS} s: {opts.command}")
            return 1
        seconds = time.monotonic() - start
        output = result.stdout.decode(errors="replace")
        pairs = [tuple(r.split("=", 1)) for r in opts.replace]
        # Longest first: the build folder lies inside the project.
        pairs += [(folder + "/", ""), (folder, "."), (str(ROOT) + "/", "")]
        for old, new in sorted(pairs, key=lambda p: -len(p[0])):
            output = output.replace(old, new)
        print(f"+ {opts.shown}\n{output}", end="" if output.endswith("\n") else "\n")

        failures = []
        if result.returncode != opts.exit_code:
            failures.append(f"exit status {result.returncode}, expected {opts.exit_code}")
        failures += [f"output does not match /{pattern}/" for pattern in opts.expect
                     if not re.search(pattern, output, re.M)]
        artifact = Path(folder) / opts.artifact if opts.artifact else None
        if artifact is not None and (not artifact.is_file() or artifact.stat().st_size == 0):
            failures.append(f"the command wrote no {opts.artifact}")
        if failures:
            for failure in failures:
                print(f"tool_run: FAIL: {failure}")
            return 1

        opts.out.parent.mkdir(parents=True, exist_ok=True)
        record = {"command": opts.shown, "output": output, "exit_code": result.returncode,
                  "seconds": round(seconds, 2), "expect": opts.expect}
        if artifact is not None:
            kept = opts.out.with_suffix(artifact.suffix)
            shutil.copyfile(artifact, kept)
            record["artifact"] = kept.name
        opts.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"tool_run: passed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
