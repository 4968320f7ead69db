#!/usr/bin/env python3
"""Compiles a snippet with one must-not-compile region switched on and checks it fails.

The compile command is the snippet's own, taken from compile_commands.json, so the
listing fails under exactly the flags the book promises. The check passes only when
  * the compiler rejects the file,
  * its diagnostics match the expected pattern, and
  * every diagnostic that points into the snippet points into the region,
and it writes the first error and the notes under it that point into the snippet, with
paths relative to the project, for the book to show.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import regions  # noqa: E402


def compile_command(compile_commands: Path, source: Path) -> tuple[list[str], str]:
    for entry in json.loads(compile_commands.read_text()):
        if Path(entry["directory"], entry["file"]).resolve() == source:
            args = entry.get("arguments") or shlex.split(entry["command"])
            if Path(args[0]).name == "ccache":
                args = args[1:]
            out: list[str] = []
            skip = False
            for arg in args:
                if skip:
                    skip = False
                elif arg == "-o":
                    skip = True
                elif arg != "-c":
                    out.append(arg)
            return out, entry["directory"]
    sys.exit(f"{source}: not in {compile_commands}; was it registered with ce_add_snippet()?")


def first_error(output: str, shown: str) -> str:
    """The first error with its source excerpt, followed by the lines after it that
    point into the snippet file (with their excerpts) up to the next error: the notes
    that explain it, such as the unmet requirement of a concept. Notes pointing into
    headers are left out; a page may quote only what this returns."""
    excerpt = re.compile(r"^\s*\d*\s*\|")
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if re.search(r"\berror:", line):
            block = [line]
            keep = True  # whether the excerpt lines that follow belong to a kept line
            for follow in lines[i + 1:]:
                if re.search(r"\berror:", follow):
                    break
                if excerpt.match(follow):
                    if keep:
                        block.append(follow)
                else:
                    keep = follow.startswith(f"{shown}:")
                    if keep:
                        block.append(follow)
            return "\n".join(block) + "\n"
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compile-commands", type=Path, required=True)
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--define", required=True)
    parser.add_argument("--expect", required=True)
    parser.add_argument("--out", type=Path, required=True)
    opts = parser.parse_args()

    source = opts.source.resolve()
    shown = source.relative_to(ROOT).as_posix()
    try:
        region = regions.parse(source, shown).get(opts.region)
    except regions.RegionError as error:
        sys.exit(str(error))
    if region is None:
        sys.exit(f"{shown}:1: no region [{opts.region}] for the must-not-compile listing")
    text = source.read_text().splitlines()
    guard = f"#ifdef {opts.define}"
    guard_lines = [n for n, line in enumerate(text, 1) if line.strip() == guard]
    if not any(n < region.start for n in guard_lines):
        sys.exit(f"{shown}:{region.start}: region [{opts.region}] must sit inside '{guard}' … '#endif'")

    args, directory = compile_command(opts.compile_commands, source)
    args += [f"-D{opts.define}", "-fsyntax-only", "-fdiagnostics-color=never"]
    result = subprocess.run(args, cwd=directory, capture_output=True, text=True)
    output = (result.stdout + result.stderr).replace(str(ROOT) + "/", "")
    print(output, end="")
    if result.returncode == 0:
        print(f"{shown}:{region.start}: FAIL: region [{opts.region}] compiled, but the book says it must not")
        return 1
    if not re.search(opts.expect, output):
        print(f"{shown}:{region.start}: FAIL: diagnostics do not match /{opts.expect}/")
        return 1
    pointed = [int(n) for n in re.findall(rf"^{re.escape(shown)}:(\d+):\d+:", output, re.M)]
    outside = [n for n in pointed if not region.start < n < region.end]
    if not pointed or outside:
        where = ", ".join(map(str, outside)) or "nowhere in the file"
        print(f"{shown}:{region.start}: FAIL: diagnostics point outside region [{opts.region}] "
              f"(lines {where}): the listing fails for another reason")
        return 1
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(first_error(output, shown))
    print(f"{shown}: region [{opts.region}] rejected as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
