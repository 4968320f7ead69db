#!/usr/bin/env python3
"""Fails when a function executes more instructions than its budget allows.

    instruction_budget.py --function PATTERN --budget N --margin PERCENT -- PROGRAM [ARGS...]

Runs PROGRAM under valgrind's callgrind with collection switched on only inside the
functions matching PATTERN (callgrind's --toggle-collect, with their callees), and
compares the instructions executed there with N. The run fails when the count exceeds
N by more than PERCENT, and says by how much; a count more than PERCENT *under* N
passes, with a note that the budget can be lowered to keep the gain.

Instruction counts are not time, but for the same binary and input they are the same
on every run, whatever else the machine is doing: a guard built on them never flakes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def count(function: str, command: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="ce-budget-") as folder:
        out = Path(folder) / "callgrind.out"
        result = subprocess.run(["valgrind", "--tool=callgrind", f"--toggle-collect={function}",
                                 f"--callgrind-out-file={out}", *command],
                                capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"instruction_budget: the program failed under callgrind "
                     f"(exit status {result.returncode}):\n{result.stdout}{result.stderr}")
        totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.M)
        if not totals:
            sys.exit(f"instruction_budget: no totals in {out}")
        return int(totals.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--function", required=True, help="callgrind --toggle-collect pattern")
    parser.add_argument("--budget", required=True, type=int, help="instructions")
    parser.add_argument("--margin", required=True, type=float, help="percent")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    command = opts.command[1:] if opts.command[:1] == ["--"] else opts.command
    if not command:
        parser.error("no program to run")
    if opts.budget <= 0:
        parser.error("the budget must be a positive instruction count")
    n = count(opts.function, command)
    if n == 0:
        print(f"instruction budget: {opts.function}: 0 instructions: the pattern matched no "
              "function that ran (a renamed function, or one the compiler inlined?)")
        return 1
    change = 100 * (n - opts.budget) / opts.budget
    print(f"instruction budget: {opts.function}")
    print(f"  measured  {n:>15,} instructions")
    print(f"  budget    {opts.budget:>15,} instructions, +{opts.margin:g}% allowed")
    if change > opts.margin:
        print(f"  FAIL: {change:+.1f}% over budget.\n"
              "  Find the change that made it slower (callgrind_annotate names the functions),\n"
              "  or raise the budget in a commit that says why.")
        return 1
    if change < -opts.margin:
        print(f"  passed, {-change:.1f}% under budget: lower the budget to keep the gain.")
    else:
        print(f"  passed ({change:+.2f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
