#!/usr/bin/env python3
"""Runs every benchmark of the given bench presets and prints each variant against its
baseline.

    bench.py [--only NAME]... bench-gcc bench-clang

Benchmarks are named <group>/<variant>; the first variant of a group is its baseline.
Each benchmark executable runs its variants REPETITIONS times, in random interleaved
order (Google Benchmark's --benchmark_enable_random_interleaving): a burst of load from
another process then lands on random variants instead of on whichever ran at that
moment, and the median of the repetitions is what a page quotes, with their
interquartile range beside it. Results are written to
build/bench/results/<name>-<compiler>.json (Google Benchmark's JSON, every repetition
and the aggregates, plus the machine and date), where the book's pages read them.

A benchmark executable may also be a script (bench/gil.py behind bench.gil) that takes
the same flags and writes the same JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from bench_stats import measured_nothing, overlaps, split_name, summaries  # noqa: E402
RESULTS = ROOT / "build" / "bench" / "results"
# Odd, so that the median is one measured repetition; enough that the quartiles mean
# something. At Google Benchmark's 0.5 s per repetition a variant takes about 5 s.
REPETITIONS = 9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", default=["bench-gcc"])
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this benchmark (e.g. gil); may be repeated")
    parser.add_argument("--publish", metavar="MACHINE",
                        help="run nothing: copy build/bench/results/*.json into docs/_data/bench, "
                             "the machine described as MACHINE, host name and paths left out")
    args = parser.parse_args()
    if args.publish:
        return publish(args.publish, args.only)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for preset in args.presets:
        compiler = preset.removeprefix("bench-")
        build = ROOT / "build" / preset / "bench"
        executables = sorted(p for p in build.glob("bench.*") if p.is_file() and p.stat().st_mode & 0o111)
        if args.only:
            executables = [p for p in executables if p.name.removeprefix("bench.") in args.only]
        if not executables:
            print(f"bench: {preset} has no benchmarks" + (f" named {' '.join(args.only)}" if args.only else ""))
        for exe in executables:
            run_one(exe, f"{exe.name.removeprefix('bench.')}-{compiler}", preset)
    return 0


def publish(machine: str, only: list[str] | None) -> int:
    """The reader's results become the book's committed tables, which a page shows when
    its reader has not run `make bench`. What identifies the machine it ran on (host
    name, paths) is replaced by the description given; the processor model stays."""
    committed = ROOT / "docs" / "_data" / "bench"
    results = sorted(RESULTS.glob("*.json"))
    if only:
        results = [r for r in results if r.stem.rsplit("-", 1)[0] in only]
    if not results:
        print("bench: nothing to publish; run make bench first", file=sys.stderr)
        return 1
    empty = {r.name: measured_nothing(json.loads(r.read_text())) for r in results}
    empty = {name: runs for name, runs in empty.items() if runs}
    if empty:
        for name, runs in empty.items():
            print(f"bench: not published: {name} has results under a nanosecond per iteration "
                  f"({', '.join(runs)}): the loop measured nothing", file=sys.stderr)
        return 1
    for result in results:
        data = json.loads(result.read_text())
        context = data.get("context", {})
        context["host_name"] = "vm"
        if "executable" in context:  # relative to the checkout it ran in
            exe = Path(context["executable"])
            if exe.is_relative_to(ROOT):  # a script benchmark, bench/<name>.py
                context["executable"] = exe.relative_to(ROOT).as_posix()
            else:  # build/<preset>/bench/bench.<name>, from any checkout
                context["executable"] = str(Path(*exe.parts[-4:])) if len(exe.parts) >= 4 else exe.name
        meta = data.setdefault("ce", {})
        meta["machine"] = machine
        (committed / result.name).write_text(json.dumps(data, indent=1) + "\n")
        print(f"bench: published {result.name}")
    return 0


def run_one(exe: Path, name: str, preset: str) -> None:
    out = RESULTS / f"{name}.json"
    # Written beside the result and renamed over it when complete: a page being rendered
    # meanwhile reads the previous result, never half a file.
    partial = RESULTS / f"{name}.json.partial"
    print(f"bench: running {name}", flush=True)
    subprocess.run([str(exe), f"--benchmark_repetitions={REPETITIONS}",
                    "--benchmark_enable_random_interleaving=true",
                    "--benchmark_display_aggregates_only=true",  # the file keeps every repetition
                    "--benchmark_format=console", "--benchmark_out_format=json", f"--benchmark_out={partial}"],
                   check=True)
    data = json.loads(partial.read_text())
    data["ce"] = {"machine": platform.node(), "processor": processor(),
                  "date": time.strftime("%Y-%m-%d"), "preset": preset,
                  "method": f"{REPETITIONS} repetitions, randomly interleaved"}
    partial.write_text(json.dumps(data, indent=1))
    partial.replace(out)
    print_ratios(name, data)
    for run_name in measured_nothing(data):
        print(f"bench: {name}: {run_name} takes under a nanosecond per iteration: the loop measured "
              "nothing (the compiler removed the work, or it is a single instruction); fix the "
              "benchmark before a page quotes it", file=sys.stderr)


def processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def verdict(variant: tuple[float, float] | None, base: tuple[float, float] | None) -> str:
    """What the ratio of medians may be read as: when the middle halves of the two sets
    of repetitions overlap, the run cannot tell the two apart."""
    return "  no measurable difference" if overlaps(variant, base) else ""


def print_ratios(name: str, data: dict) -> None:
    groups: dict[str, list[tuple[str, float, tuple[float, float] | None, str]]] = {}
    for run_name, (t, quartiles, unit) in summaries(data).items():
        group, variant = split_name(run_name)
        groups.setdefault(group, []).append((variant, t, quartiles, unit))
    print(f"\n{name}: median real time of {REPETITIONS} interleaved repetitions, their interquartile "
          "range (IQR), and the ratio of the medians to the group's baseline")
    for group, variants in groups.items():
        base_name, base, base_quartiles = variants[0][0], variants[0][1], variants[0][2]
        for variant, t, quartiles, unit in variants:
            spread = quartiles[1] - quartiles[0] if quartiles is not None else None
            iqr = f"IQR {spread:10.1f} {unit} ({100 * spread / t:4.1f}%)" if spread is not None else "IQR n/a"
            note = " (baseline)" if variant == base_name else verdict(quartiles, base_quartiles)
            print(f"  {group:<24} {variant:<22} {t:12.1f} {unit:<2}  {iqr}  {t / base:6.2f}x{note}")
    print()


if __name__ == "__main__":
    sys.exit(main())
