"""Python threads calling the ce_gil extension module (snippets/concurrency/gil.cpp): the
same C++ loop, once holding the GIL for the whole call and once releasing it.

holding_gil/*    ce_gil.mix_holding_gil
releasing_gil/*  ce_gil.mix_releasing_gil

Every variant does the same total work, WORK rounds of the loop, split evenly over 1 or
2 Python threads that start together; its time is the wall time until the last thread
is done. With the GIL released, 2 threads can use 2 cores and take about half the time
of 1; holding it, they run one after the other and take as long as 1, or longer.

Run by tools/bench.py through build/<preset>/bench/bench.gil, which passes the module's
folder. It takes the Google Benchmark flags bench.py passes and writes the same JSON
(bench/script_benchmark.py), so that the book's
``bench-results`` tables read it like any other benchmark. Repetitions run in random
interleaved order, as --benchmark_enable_random_interleaving does.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time

from script_benchmark import add_flags, repetition, write_report

WORK = 40_000_000   # rounds of the loop per iteration, about 50 ms on one core
MIN_TIME = 0.5      # seconds per repetition, Google Benchmark's default


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module-dir", required=True)
    add_flags(parser)
    return parser.parse_args()


def in_threads(function, threads: int) -> float:
    """Seconds for `threads` threads, started together, to share WORK rounds."""
    share = WORK // threads
    results: list[int] = []
    ready = threading.Barrier(threads + 1)

    def work() -> None:
        ready.wait()
        results.append(function(1, share))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    ready.wait()
    start = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    assert len(results) == threads and len(set(results)) == 1
    return elapsed


def main() -> int:
    args = parse_args()
    load_at_start = list(os.getloadavg())   # as Google Benchmark reports it
    sys.path.insert(0, args.module_dir)
    import ce_gil  # noqa: E402  (built by this preset from snippets/concurrency/gil.cpp)

    assert ce_gil.mix_holding_gil(1, 1000) == ce_gil.mix_releasing_gil(1, 1000)
    cases = [(f"{group}/{threads}_thread{'s' if threads > 1 else ''}/real_time", function, threads)
             for group, function in (("holding_gil", ce_gil.mix_holding_gil),
                                     ("releasing_gil", ce_gil.mix_releasing_gil))
             for threads in (1, 2)]
    # Like Google Benchmark: enough iterations per repetition to fill MIN_TIME.
    iterations = {name: max(1, round(MIN_TIME / in_threads(function, threads))) for name, function, threads in cases}

    repetitions = args.benchmark_repetitions
    order = [(case, index) for case in cases for index in range(repetitions)]
    if args.benchmark_enable_random_interleaving == "true":
        random.shuffle(order)
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in cases}
    for (name, function, threads), index in order:
        n = iterations[name]
        cpu_start = time.process_time()
        wall = sum(in_threads(function, threads) for _ in range(n))
        cpu = time.process_time() - cpu_start
        runs[name].append(repetition(name, index, repetitions, wall / n * 1e3, cpu / n * 1e3, n, "ms"))
    write_report(args, [name for name, _, _ in cases], runs, load_at_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
