#!/usr/bin/env python3
"""Runs every benchmark of the given bench presets and prints each variant against its
baseline.

    bench.py bench-gcc bench-clang

Benchmarks are named <group>/<variant>; the first variant of a group is its baseline.
Results are written to build/bench/results/<name>-<compiler>.json (Google Benchmark's
JSON plus the machine and date), where the book's pages read them.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "build" / "bench" / "results"


def main() -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    for preset in sys.argv[1:] or ["bench-gcc"]:
        compiler = preset.removeprefix("bench-")
        build = ROOT / "build" / preset / "bench"
        executables = sorted(p for p in build.glob("bench.*") if p.is_file() and p.stat().st_mode & 0o111)
        if not executables:
            print(f"bench: {preset} has no benchmarks")
        for exe in executables:
            run_one(exe, f"{exe.name.removeprefix('bench.')}-{compiler}", preset)
    return 0


def run_one(exe: Path, name: str, preset: str) -> None:
    out = RESULTS / f"{name}.json"
    print(f"bench: running {name}", flush=True)
    subprocess.run([str(exe), "--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true",
                    "--benchmark_format=console", "--benchmark_out_format=json", f"--benchmark_out={out}"],
                   check=True)
    data = json.loads(out.read_text())
    data["ce"] = {"machine": platform.node(), "processor": platform.processor() or platform.machine(),
                  "date": time.strftime("%Y-%m-%d"), "preset": preset}
    out.write_text(json.dumps(data, indent=1))
    print_ratios(name, data)


def medians(data: dict) -> dict[str, float]:
    found = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median":
            found[b["run_name"]] = b["real_time"]
    return found


def print_ratios(name: str, data: dict) -> None:
    groups: dict[str, list[tuple[str, float]]] = {}
    for run_name, t in medians(data).items():
        group, _, variant = run_name.partition("/")
        groups.setdefault(group, []).append((variant or group, t))
    print(f"\n{name}: median real time, ratio to the group's baseline")
    for group, variants in groups.items():
        base_name, base = variants[0]
        for variant, t in variants:
            print(f"  {group:<24} {variant:<20} {t:12.1f} ns  {t / base:6.2f}x {'(baseline)' if variant == base_name else ''}")
    print()


if __name__ == "__main__":
    sys.exit(main())
