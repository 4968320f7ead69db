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
    data["ce"] = {"machine": platform.node(), "processor": processor(),
                  "date": time.strftime("%Y-%m-%d"), "preset": preset}
    out.write_text(json.dumps(data, indent=1))
    print_ratios(name, data)


def processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def split_name(run_name: str) -> tuple[str, str]:
    """'logger_async/ce/real_time' -> ('logger_async', 'ce'): Google Benchmark appends
    options such as /real_time or /threads:2 to the name it was given."""
    parts = run_name.split("/")
    return parts[0], parts[1] if len(parts) > 1 else parts[0]


def medians(data: dict) -> dict[str, float]:
    found = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median":
            found[b["run_name"]] = b["real_time"]
    return found


def print_ratios(name: str, data: dict) -> None:
    groups: dict[str, list[tuple[str, float]]] = {}
    for run_name, t in medians(data).items():
        group, variant = split_name(run_name)
        groups.setdefault(group, []).append((variant, t))
    print(f"\n{name}: median real time, ratio to the group's baseline")
    for group, variants in groups.items():
        base_name, base = variants[0]
        for variant, t in variants:
            print(f"  {group:<24} {variant:<20} {t:12.1f} ns  {t / base:6.2f}x {'(baseline)' if variant == base_name else ''}")
    print()


if __name__ == "__main__":
    sys.exit(main())
