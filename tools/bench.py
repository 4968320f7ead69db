#!/usr/bin/env python3
"""Runs every benchmark of the bench preset and prints each variant against its baseline.

Benchmarks are named <group>/<variant>; the first variant of a group is its baseline.
Results are written to build/bench/results/<name>.json (Google Benchmark's JSON), where
the book's pages read them.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "bench"
RESULTS = BUILD / "results"


def main() -> int:
    executables = sorted(p for p in (BUILD / "bench").glob("bench.*") if p.is_file() and p.stat().st_mode & 0o111)
    if not executables:
        print("bench: no benchmarks are registered yet")
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    for exe in executables:
        name = exe.name.removeprefix("bench.")
        out = RESULTS / f"{name}.json"
        print(f"bench: running {name}", flush=True)
        subprocess.run([str(exe), "--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true",
                        "--benchmark_format=console", "--benchmark_out_format=json", f"--benchmark_out={out}"],
                       check=True)
        data = json.loads(out.read_text())
        data["ce"] = {"machine": platform.node(), "processor": platform.processor() or platform.machine(),
                      "date": time.strftime("%Y-%m-%d")}
        out.write_text(json.dumps(data, indent=1))
        print_ratios(name, data)
    return 0


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
