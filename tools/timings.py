#!/usr/bin/env python3
"""Where the time of a `make test` or `make book` goes, as one table at the end.

    timings.py record STEP START    add STEP, begun at START (seconds since the epoch)
    timings.py report               print the table of this run
    timings.py profile [K1 K2]      the marginal cost of a topic (make build-profile)

Each step of a run writes its seconds into build/timings.json: tools/verify.py the
configure, compile, test and clang-tidy time of every preset, the Makefile the wall time
of Doxygen, Sphinx and the book tests. The Makefile names the run in CE_TIMINGS_RUN; a
step of another run starts a fresh file, and a make started inside a step (the browser
test's live-rebuild server runs make html) sets it to "off" and records nothing, its
time being part of the step around it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "build" / "timings.json"
COLUMNS = (("configure", "configure"), ("compile", "compile"), ("tests", "tests"),
           ("tidy", "clang-tidy"), ("ctest", "ctest wall"))


def run_id() -> str | None:
    run = os.environ.get("CE_TIMINGS_RUN", "")
    return None if run in ("", "off") else run


def load() -> dict:
    run = run_id()
    try:
        data = json.loads(FILE.read_text())
    except (OSError, ValueError):
        data = {}
    if data.get("run") != run:
        data = {"run": run, "presets": {}, "steps": []}
    return data


def save(data: dict) -> None:
    FILE.parent.mkdir(parents=True, exist_ok=True)
    tmp = FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(FILE)


def record_step(name: str, seconds: float) -> None:
    if run_id() is None:
        return
    data = load()
    data["steps"].append([name, round(seconds, 2)])
    save(data)


def record_presets(presets: dict[str, dict], wall: float) -> None:
    """tools/verify.py: per preset {configure, compile, tests, tidy, ctest}, and its wall time."""
    if run_id() is None:
        return
    data = load()
    data["presets"].update({p: {k: round(v, 2) for k, v in t.items()} for p, t in presets.items()})
    data["steps"].append(["verify (all presets at once)", round(wall, 2)])
    save(data)


def report() -> int:
    if run_id() is None or not FILE.exists():
        return 0
    data = load()
    if not data["presets"] and not data["steps"]:
        return 0
    lines = ["", "Where the time went (seconds; the presets build and test concurrently, so their "
             "rows overlap;", "tests and clang-tidy add up each test's own time, two tests at a time):"]
    width = max([len(p) for p in data["presets"]] + [len(name) for name, _ in data["steps"]] + [5])
    if data["presets"]:
        lines.append(f"  {'':{width}}" + "".join(f"{title:>12}" for _, title in COLUMNS))
        for preset, t in data["presets"].items():
            cells = "".join(f"{t[key]:>12.1f}" if key in t else f"{'-':>12}" for key, _ in COLUMNS)
            lines.append(f"  {preset:{width}}{cells}")
    for name, seconds in data["steps"]:
        lines.append(f"  {name:{width}}{seconds:12.1f}")
    total = sum(seconds for _, seconds in data["steps"])
    lines.append(f"  {'total':{width}}{total:12.1f}")
    print("\n".join(lines), flush=True)
    return 0


def registrations(cmakelists: str) -> list[tuple[str, str]]:
    """Every ce_add_snippet() call of snippets/CMakeLists.txt: (chapter/topic, arguments)."""
    calls = []
    start = 0
    while (start := cmakelists.find("ce_add_snippet(", start)) >= 0:
        i = start + len("ce_add_snippet(")
        quoted = False
        while quoted or cmakelists[i] != ")":
            quoted ^= cmakelists[i] == '"'
            i += 1
        path, _, rest = cmakelists[start + len("ce_add_snippet("):i].strip().partition(" ")
        calls.append((path.strip(), rest.strip()))
        start = i
    return calls


def letters(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> ba: topic names are snake_case without digits."""
    out = ""
    while True:
        out = chr(ord("a") + n % 26) + out
        n //= 26
        if n == 0:
            return out


def synthetic_tree(scratch: Path, extra: int) -> int:
    """A copy of the project's files in ``scratch`` with ``extra`` more topics, each a copy
    of a real topic (in turn) registered the same way, with a line of its own so that no
    two files compile the same. Returns the number of topics."""
    shutil.rmtree(scratch, ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, scratch / rel)
    cmakelists = scratch / "snippets" / "CMakeLists.txt"
    calls = registrations(cmakelists.read_text())
    # A topic whose tests compare its own file name (logging.cpp's source locations) would
    # fail as a copy under another name; every other topic is a model.
    models = [(path, args) for path, args in calls
              if f"{path.split('/')[1]}.cpp" not in (ROOT / "snippets" / f"{path}.cpp").read_text()]
    lines = []
    for n in range(extra):
        path, args = models[n % len(models)]
        copy = f"{path}_copy_{letters(n)}"
        for ext in (".cpp", ".py"):
            model = ROOT / "snippets" / f"{path}{ext}"
            if model.exists():
                mark = "//" if ext == ".cpp" else "#"
                (scratch / "snippets" / f"{copy}{ext}").write_text(
                    model.read_text() + f"{mark} synthetic copy {n} of {path}{ext}\n")
        lines.append(f"ce_add_snippet({copy} {args})")
    text = cmakelists.read_text().replace("ce_check_snippets_registered()",
                                          "\n".join(lines) + "\nce_check_snippets_registered()")
    cmakelists.write_text(text)
    return len(calls) + extra


def clean_verify(scratch: Path) -> tuple[float, dict]:
    """Seconds of a clean tools/verify.py --all in ``scratch``, ccache off."""
    shutil.rmtree(scratch / "build", ignore_errors=True)
    env = dict(os.environ, CCACHE_DISABLE="1", CE_TIMINGS_RUN=f"profile-{time.time_ns()}")
    start = time.monotonic()
    result = subprocess.run([sys.executable, "tools/verify.py", "--all"], cwd=scratch, env=env,
                            capture_output=True, text=True)
    wall = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"{result.stdout}{result.stderr}\nbuild-profile: the synthetic book in {scratch} failed to verify")
    return wall, json.loads((scratch / "build" / "timings.json").read_text())["presets"]


def profile(argv: list[str]) -> int:
    small, large = (int(argv[0]), int(argv[1])) if len(argv) == 2 else (0, 6)
    scratch = ROOT / "build" / "profile"
    print(f"build-profile: clean verify (every preset, clang-tidy, ccache off) of the book "
          f"with {small} and {large} synthetic topics, in {scratch.relative_to(ROOT)}", flush=True)
    walls = {}
    for extra in (small, large):
        topics = synthetic_tree(scratch, extra)
        walls[topics], presets = clean_verify(scratch)
        detail = ", ".join(f"{p} {t.get('compile', 0):.0f}+{t.get('ctest', 0):.0f}"
                           for p, t in presets.items())
        print(f"  {topics} topics: {walls[topics]:6.1f} s   (compile+ctest: {detail})", flush=True)
    (t1, w1), (t2, w2) = sorted(walls.items())
    slope = (w2 - w1) / (t2 - t1)
    # The book holds every topic of its content now, so its own size is measured, not
    # projected; the slope says what each further topic would add.
    print(f"  per topic: {slope:.1f} s of verify; {t1} topics took {w1:.0f} s, so each 10 more "
          f"would take about {10 * slope:.0f} s more (the other steps of make test come on top)")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["profile"]:
        return profile(argv[1:])
    if argv[:1] == ["record"] and len(argv) == 3:
        record_step(argv[1], time.time() - float(argv[2]))
        return 0
    if argv == ["report"]:
        return report()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
