#!/usr/bin/env python3
"""Builds the snippets in every preset, runs their tests, and records what passed.

    verify.py [--all] [PRESET ...]

Without --all, a test runs again only when what it checks changed since its last run
(its executable was rebuilt, or the source of a must-not-compile listing changed): after
editing one snippet, only that snippet's tests run. With --all every test runs.

The results become one status file per snippet under build/verify/status/, which the
Sphinx extension reads to print each listing's verification line. A status file is
rewritten only when its content changes, so Sphinx re-renders only the pages whose
listings changed.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import timings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import regions  # noqa: E402  (how files are named: the same as the pages name them)
BUILD = ROOT / "build"
VERIFY = BUILD / "verify"
# Seconds per preset and step, for the table at the end of make test and make book.
TIMES: dict[str, dict[str, float]] = {}
DOCTEST_SUMMARY = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*\d+ passed\s*\|\s*\d+ failed\s*\|"
                             r"\s*(\d+) skipped.*?\n\[doctest\] assertions:\s*(\d+)", re.S)
# Printed by tests/doctest_main.cpp for each case a build skips, with its reason.
SKIPPED_CASE = re.compile(r"^\[ce\] skipped: (.*?) \| (.*)$", re.M)


def presets() -> dict[str, str]:
    """The presets that test snippets (those with a test preset) and their display names."""
    data = json.loads((ROOT / "CMakePresets.json").read_text())
    tested = {p["configurePreset"] for p in data["testPresets"] if not p.get("hidden")}
    return {p["name"]: p.get("displayName", p["name"])
            for p in data["configurePresets"] if p["name"] in tested}


def python_label() -> str:
    """What ran the Python snippets: 'Python 3.11', from the interpreter the presets name."""
    version = subprocess.run(["/usr/bin/python3", "--version"], capture_output=True, text=True).stdout
    return version.strip().rsplit(".", 1)[0] or "Python 3"


PYTHON_LABEL = python_label()
TIDY_LABEL = "clang-tidy 22"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return True


def run(cmd: list[str]) -> tuple[bool, str]:
    """Runs a command, capturing its output so that concurrent presets don't interleave."""
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return result.returncode == 0, f"+ {' '.join(cmd)}\n{result.stdout}{result.stderr}"


class Test:
    def __init__(self, raw: dict, build_dir: Path):
        self.name: str = raw["name"]
        self.command: list[str] = raw.get("command", [])
        self.environment: list[str] = next(
            (p.get("value", []) for p in raw.get("properties", []) if p.get("name") == "ENVIRONMENT"), [])
        parts = self.name.split(".")
        self.kind = parts[0]
        # The snippet file the test checks, as "<chapter>/<topic>.<ext>".
        topic = "/".join(parts[1:3])
        self.snippet = {"snippet": f"{topic}.cpp", "compile_fail": f"{topic}.cpp",
                        "tidy": f"{topic}.cpp", "python": f"{topic}.py",
                        "tool": f"{topic}.cpp", "case": f"{topic}.cpp"}.get(self.kind)
        # The must-not-compile region, or the tool run's name.
        self.region = parts[3] if self.kind in ("compile_fail", "tool") and len(parts) > 3 else None
        self.build_dir = build_dir

    def source(self) -> Path | None:
        return ROOT / "snippets" / self.snippet if self.snippet else None

    def variable(self, name: str) -> str | None:
        """A variable of the test's ENVIRONMENT property."""
        return next((v.partition("=")[2] for v in self.environment if v.startswith(name + "=")), None)

    def checked_files(self) -> list[Path]:
        """The files a test checks besides its snippet: a tool run's FILES; for a
        snippet's own test, the files under snippets/ that it includes with quotes
        (chapter 8's service, whose headers several topics test) and, when the topic
        builds a program (ce_add_snippet PROGRAM), that program's main.cpp and what it
        includes, since the tests run the program."""
        if self.kind == "snippet":
            found = quoted_includes(self.source())
            if folder := self.variable("CE_TOPIC_SOURCES"):
                main = Path(folder) / "main.cpp"
                found |= {main.resolve()} | quoted_includes(main, self.source().parent)
            return sorted(found)
        return [Path(self.command[i + 1]) for i, arg in enumerate(self.command[:-1])
                if arg == "--file"]

    def source_digest(self):
        """A hash of the snippet, the project headers it includes and the test's command."""
        digest = hashlib.sha256(self.source().read_bytes())
        digest.update(" ".join(self.command).encode())
        for header in sorted(project_headers(self.source())):
            digest.update(header.read_bytes())
        return digest

    def fingerprint(self) -> str:
        """Changes whenever the thing the test checks may have changed."""
        if self.kind in ("snippet", "case"):  # a case: one doctest case of the executable
            exe = Path(self.command[0])
            st = exe.stat()
            fingerprint = f"exe:{st.st_mtime_ns}:{st.st_size}"
            if program := self.variable("CE_PROGRAM"):  # the program its tests run
                st = Path(program).stat()
                fingerprint += f":program:{st.st_mtime_ns}:{st.st_size}"
            return fingerprint
        if self.kind in ("compile_fail", "tidy"):
            # The file, the headers of the project it includes, and its own compile
            # command: adding a snippet or editing an unrelated header reruns nothing.
            digest = self.source_digest()
            digest.update((ROOT / ".clang-tidy").read_bytes())
            digest.update(compile_command(self.build_dir, self.source()).encode())
            if self.kind == "compile_fail":  # it decides which diagnostic the page shows
                digest.update((ROOT / "tools" / "compile_fail.py").read_bytes())
            return "src:" + digest.hexdigest()
        if self.kind == "python":
            # A Python snippet that imports the topic's extension module reruns when the
            # module was rebuilt.
            modules = ""
            for variable in self.environment:
                if variable.startswith("CE_PYTHON_MODULE_DIR="):
                    for built in sorted(Path(variable.partition("=")[2]).glob("*.so")):
                        st = built.stat()
                        modules += f":{built.name}:{st.st_mtime_ns}:{st.st_size}"
            return "src:" + sha256(self.source()) + modules
        if self.kind == "tool":
            # What the tool ran (the snippet's executable), what it read (the source and
            # its headers, for a compiler's remarks), how it was asked, and the book's
            # scripts that did the work (tool_run.py and any the command names, such as
            # flamegraph.py or instruction_budget.py).
            digest = self.source_digest()
            for file in self.checked_files():
                digest.update(file.read_bytes() if file.is_file() else b"(missing)")
            command = " ".join(self.command)
            scripts = {"tool_run.py", *TOOLS_SCRIPT.findall(command)}
            for script in sorted(scripts):
                path = ROOT / "tools" / script
                if path.is_file():
                    digest.update(path.read_bytes())
            exe = self.build_dir / "snippets" / ("snippet." + ".".join(self.name.split(".")[1:3]))
            if exe.exists():
                st = exe.stat()
                digest.update(f"{st.st_mtime_ns}:{st.st_size}".encode())
            return "src:" + digest.hexdigest()
        return "always"


# A script of the book's tools/ named in a test's command.
TOOLS_SCRIPT = re.compile(r"/tools/([\w-]+\.py)\b")
PROJECT_INCLUDE = re.compile(r'^\s*#\s*include\s*<((?:ce|ce_test)/[\w./]+)>', re.M)
INCLUDE_DIRS = (ROOT / "include", ROOT / "tests" / "support")


QUOTED_INCLUDE = re.compile(r'^\s*#\s*include\s*"([\w./-]+)"', re.M)


def quoted_includes(source: Path, base: Path | None = None) -> set[Path]:
    """The files under snippets/ that `source` includes with quotes, directly or through
    each other; a name is looked up beside the including file, then in `base` (the
    chapter's folder, which the build puts on the include path)."""
    base = base or source.parent
    found: set[Path] = set()
    todo = [source]
    while todo:
        current = todo.pop()
        for name in QUOTED_INCLUDE.findall(current.read_text()):
            for candidate in (current.parent / name, base / name):
                resolved = candidate.resolve()
                if resolved.is_file() and resolved.is_relative_to(ROOT / "snippets"):
                    if resolved not in found:
                        found.add(resolved)
                        todo.append(resolved)
                    break
    return found


def project_headers(source: Path) -> set[Path]:
    """The project's headers (<ce/...>, <ce_test/...>) that ``source`` includes, directly
    or through each other."""
    found: set[Path] = set()
    todo = [source]
    while todo:
        for name in PROJECT_INCLUDE.findall(todo.pop().read_text()):
            for folder in INCLUDE_DIRS:
                header = folder / name
                if header.is_file() and header not in found:
                    found.add(header)
                    todo.append(header)
    return found


@functools.cache
def compile_commands(database: Path, mtime_ns: int) -> dict[str, str]:
    entries = json.loads(database.read_text())
    return {e["file"]: e.get("command") or " ".join(e.get("arguments", [])) for e in entries}


def compile_command(build_dir: Path, source: Path) -> str:
    """The command that compiles ``source`` in this tree ("" if none does)."""
    database = build_dir / "compile_commands.json"
    return compile_commands(database, database.stat().st_mtime_ns).get(str(source), "")


def list_tests(preset: str, build_dir: Path) -> list[Test]:
    out = subprocess.run(["ctest", "--preset", preset, "--show-only=json-v1"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [Test(t, build_dir) for t in json.loads(out)["tests"]]


def run_tests(preset: str, build_dir: Path, tests: list[Test]) -> tuple[dict[str, dict], str]:
    junit = build_dir / "ce-junit.xml"
    junit.unlink(missing_ok=True)
    names = "|".join(re.escape(t.name) for t in tests)
    cmd = ["ctest", "--preset", preset, "-j", str(os.cpu_count() or 2),
           "-R", f"^({names})$", "--output-junit", str(junit)]
    start = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    times = TIMES.setdefault(preset, {})
    times["ctest"] = time.monotonic() - start
    output = f"+ {' '.join(cmd[:4])} ({len(tests)} tests)\n{result.stdout}{result.stderr}"
    results: dict[str, dict] = {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            passed = case.get("status") == "run" and case.find("failure") is None
            case_output = case.findtext("system-out") or ""
            entry: dict = {"passed": passed}
            # The last summary is the test's own: a child process it starts prints first.
            summaries = DOCTEST_SUMMARY.findall(case_output)
            if summaries:
                entry["cases"], entry["skipped"], entry["assertions"] = map(int, summaries[-1])
            # A child process of the same binary names the same skipped cases again.
            skipped = [{"name": name, "why": why.strip()}
                       for name, why in dict.fromkeys(SKIPPED_CASE.findall(case_output))]
            if skipped:
                entry["skipped_cases"] = skipped
            unexplained = [s["name"] for s in skipped if not s["why"]]
            if unexplained:
                # The book says why a case did not run; a skip without a reason cannot be said.
                entry["passed"] = False
                output += "".join(f"verify: {preset}: {case.get('name')} skips \"{name}\" without a "
                                  "reason: add * doctest::description(\"...\") to the case\n"
                                  for name in unexplained)
            results[case.get("name")] = entry
            kind = "tidy" if case.get("name", "").startswith("tidy.") else "tests"
            times[kind] = times.get(kind, 0.0) + float(case.get("time") or 0)
    for t in tests:  # a test that left no result did not pass
        results.setdefault(t.name, {"passed": False})
    return results, output


def build_preset(preset: str) -> tuple[bool, str]:
    build_dir = BUILD / preset
    log = ""
    times = TIMES.setdefault(preset, {})
    start = time.monotonic()
    cache = build_dir / "CMakeCache.txt"
    presets_file = ROOT / "CMakePresets.json"
    if not (build_dir / "build.ninja").exists() or cache.stat().st_mtime < presets_file.stat().st_mtime:
        ok, log = run(["cmake", "--preset", preset])
        if not ok:
            return False, log
    times["configure"] = time.monotonic() - start
    start = time.monotonic()
    ok, out = run(["cmake", "--build", "--preset", preset])
    times["compile"] = time.monotonic() - start
    return ok, log + out


def test_preset(preset: str, everything: bool) -> tuple[int, int, str]:
    """Runs the preset's tests whose inputs changed (all with ``everything``)."""
    build_dir = BUILD / preset
    store_path = build_dir / "ce-results.json"
    store = json.loads(store_path.read_text()) if store_path.exists() else {}
    tests = list_tests(preset, build_dir)
    fingerprints = {t.name: t.fingerprint() for t in tests}
    stale = [t for t in tests if everything or fingerprints[t.name] == "always"
             or store.get(t.name, {}).get("fingerprint") != fingerprints[t.name]
             or not store[t.name].get("passed")]
    fresh: dict[str, dict] = {}
    output = f"verify: {preset}: all {len(tests)} tests are up to date\n"
    if everything:
        # Coverage counts (gcc-coverage) start from zero when every test runs again, so
        # that a removed test leaves no counts behind.
        for counts in build_dir.rglob("*.gcda"):
            counts.unlink()
    if stale:
        # Hash the sources as they are when their tests run: the book refuses to show
        # a listing whose file changed after it was verified.
        hashes = {t.name: sha256(t.source()) for t in stale if t.source()}
        checked = {t.name: {regions.reference_of(ROOT, f): sha256(f) for f in t.checked_files() if f.is_file()}
                   for t in stale}
        fresh, output = run_tests(preset, build_dir, stale)
        for t in stale:
            fresh[t.name]["fingerprint"] = fingerprints[t.name] if fresh[t.name]["passed"] else None
            if t.name in hashes:
                fresh[t.name]["sha256"] = hashes[t.name]
            if checked[t.name]:
                fresh[t.name]["checked"] = checked[t.name]
            if t.kind == "compile_fail":
                topic = t.snippet.rsplit(".", 1)[0]  # compile_fail.py writes per topic
                diag = build_dir / "diagnostics" / f"{topic}/{t.region}.txt"
                if fresh[t.name]["passed"] and diag.exists():
                    fresh[t.name]["diagnostic"] = diag.read_text()
            if t.kind == "tool":
                topic = t.snippet.rsplit(".", 1)[0]  # tool_run.py writes per topic
                record = build_dir / "tool_runs" / f"{topic}/{t.region}.json"
                if fresh[t.name]["passed"] and record.exists():
                    run_record = json.loads(record.read_text())
                    if "artifact" in run_record:  # the page embeds it from here
                        artifact = record.with_name(run_record["artifact"])
                        run_record["artifact"] = str(artifact)
                        run_record["artifact_sha256"] = sha256(artifact)
                    fresh[t.name]["tool_run"] = run_record
    current = {t.name: fresh.get(t.name, store.get(t.name)) for t in tests}
    write_if_changed(store_path, json.dumps(current, indent=1, sort_keys=True) + "\n")
    passed = sum(1 for t in stale if fresh[t.name]["passed"])
    return passed, len(stale) - passed, output


def status_entry(status: dict[str, dict], reference: str) -> dict:
    """The status of the file ``reference``, created empty on first use."""
    return status.setdefault(reference, {"source": regions.reference_file(ROOT, reference)[1],
                                         "runs": {}, "compile_fail": {}, "tool_runs": {}})


def each_preset(presets_: list[str], work, *args) -> list:
    """Runs ``work(preset, *args)`` for every preset at once: after a one-file edit each
    preset recompiles one file, so the presets, not the files, are what runs in parallel."""
    with ThreadPoolExecutor(max_workers=len(presets_)) as pool:
        return list(pool.map(lambda p: work(p, *args), presets_))


def write_status() -> list[str]:
    """Merges every preset's results into one status file per snippet."""
    configs = presets()
    problems: list[str] = []
    status: dict[str, dict] = {}
    for preset, label in configs.items():
        store_path = BUILD / preset / "ce-results.json"
        if not store_path.exists():
            problems.append(f"preset {preset} has never been verified")
            continue
        for name, result in json.loads(store_path.read_text()).items():
            test = Test({"name": name}, BUILD / preset)
            if not test.snippet or test.kind == "case":  # the snippet's own run covers its cases
                continue
            entry = status_entry(status, test.snippet)
            record = {"label": {"python": PYTHON_LABEL, "tidy": TIDY_LABEL}.get(test.kind, label),
                      "passed": result["passed"], "sha256": result.get("sha256")}
            for key in ("cases", "skipped", "skipped_cases", "assertions", "diagnostic", "tool_run"):
                if key in result:
                    record[key] = result[key]
            if test.kind in ("snippet", "python"):
                entry["runs"][preset] = record
                # The files it includes (and its program's): verified by the same run. A
                # file several topics test has a run per topic and configuration.
                for key, digest in result.get("checked", {}).items():
                    status_entry(status, key)["runs"][f"{preset}@{test.snippet}"] = {
                        "label": record["label"], "passed": record["passed"], "sha256": digest,
                        "unit": test.snippet}
            elif test.kind == "tidy":
                entry["runs"][f"{preset}:tidy"] = record
            elif test.kind == "tool":
                entry["tool_runs"].setdefault(test.region, {})[preset] = record
                # Each file the run checks: its run is this one, its digest its own.
                for key, digest in result.get("checked", {}).items():
                    status_entry(status, key)["runs"][f"{preset}@{test.region}"] = {
                        "label": label, "passed": result["passed"], "sha256": digest,
                        "tool": test.name}
            else:
                entry["compile_fail"].setdefault(test.region, {})[preset] = record
    keep = set()
    for snippet, entry in status.items():
        path = VERIFY / "status" / regions.status_name(snippet)
        keep.add(path)
        # Runs stay in preset order: the verification line lists them in that order.
        write_if_changed(path, json.dumps(entry, indent=1) + "\n")
    for old in (VERIFY / "status").rglob("*.json") if (VERIFY / "status").exists() else []:
        if old not in keep:
            old.unlink()
    write_if_changed(VERIFY / "configs.json", json.dumps(configs, indent=1) + "\n")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", help="run every test, not only the changed ones")
    parser.add_argument("preset", nargs="*", help="presets to verify (default: all)")
    opts = parser.parse_args()
    chosen = opts.preset or list(presets())
    start = time.monotonic()
    try:
        return verify(chosen, opts.all)
    finally:
        timings.record_presets({p: TIMES[p] for p in chosen if p in TIMES}, time.monotonic() - start)


def verify(chosen: list[str], everything: bool) -> int:
    for preset, (ok, log) in zip(chosen, each_preset(chosen, build_preset)):
        if not ok or everything:
            print(log, end="", flush=True)
        if not ok:
            print(f"verify: {preset}: the build failed (above)", file=sys.stderr)
            return 1
    passed = failed = 0
    for preset, (p, f, log) in zip(chosen, each_preset(chosen, test_preset, everything)):
        if f or everything:
            print(log, end="", flush=True)
        else:
            print(f"verify: {preset}: {p} tests passed" if p else f"verify: {preset}: up to date", flush=True)
        passed, failed = passed + p, failed + f
    problems = write_status()
    for problem in problems:
        print(f"verify: {problem}", file=sys.stderr)
    print(f"verify: {passed} passed, {failed} failed")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
