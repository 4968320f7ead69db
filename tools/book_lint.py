#!/usr/bin/env python3
"""The book's own lints. Each problem is printed as ``path:line: message``.

  * chapters show C++ only through the ``snippet`` directive: no pasted C++;
  * every topic page opens with its Python idiom, a region of <topic>.py;
  * every snippet file parses: balanced, non-empty, well-formed region markers;
  * every ``.. snippet::`` reference names an existing file and region;
  * every region and every snippet file is shown somewhere (no orphans);
  * every tool run (ce_add_tool_run) is shown by a page, and every ``tool-output``
    names a registered run;
  * every public header has an API page, and its examples are snippet regions too
    (``@snippet <file> <region>``), never ``@code`` blocks nobody compiled.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import regions  # noqa: E402

DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"

CODE_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(code-block|code|sourcecode|literalinclude|highlight)::\s*(\S*)")
SNIPPET_DIRECTIVE = re.compile(r"^\s*\.\.\s+snippet::\s*(\S+)\s*$")
TOOL_DIRECTIVE = re.compile(r"^\s*\.\.\s+tool-output::\s*(\S+)\s*$")
TOOL_RUN = re.compile(r"^\s*ce_add_tool_run\(([a-z_]+/[a-z_]+)\s+([a-z0-9-]+)", re.M)
# Languages a page may show inline: commands and data, never code a reader would run.
# C++ and Python are shown from snippet files, which the build compiles or runs.
ALLOWED_LANGUAGES = {"console", "shell", "bash", "sh", "text", "none", "json", "ini"}
LOOKS_LIKE_PYTHON = re.compile(r"^\s*(def |async def |class \w+.*:$|import \w|from [\w.]+ import |@\w|with .*:$)", re.M)
LOOKS_LIKE_CMAKE = re.compile(r"^\s*(cmake_minimum_required|project|add_library|add_executable|"
                              r"target_[a-z_]+|find_package|install|include_directories|"
                              r"add_compile_options|FetchContent_[A-Za-z]+)\s*\(", re.M)
LOOKS_LIKE_CXX = re.compile(r"#include\s*[<\"]|\bstd::|\btemplate\s*<|\bnamespace\s+\w+\s*\{|"
                            r"\b(int|void|auto|class|struct)\s+\w+\s*[({;=]|;\s*$")


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.rst") if "_generated" not in p.parts)


def indented_block(lines: list[str], start: int, indent: int) -> list[str]:
    """The lines after ``start`` indented deeper than ``indent`` (a directive's body)."""
    body = []
    for line in lines[start + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return body


def lint_pages(problems: list[str]) -> dict[str, list[tuple[str, int]]]:
    """Checks pages for pasted code; returns the snippet references found."""
    references: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for page in pages():
        rel = page.relative_to(ROOT).as_posix()
        lines = page.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            number = i + 1
            if match := SNIPPET_DIRECTIVE.match(line):
                references[match.group(1)].append((rel, number))
                continue
            if match := CODE_DIRECTIVE.match(line):
                directive, language = match.group(2), match.group(3).lower()
                if directive == "literalinclude":
                    problems.append(f"{rel}:{number}: literalinclude in a chapter; show code with "
                                    ".. snippet:: <file>#<region> so it is compiled and tested")
                    continue
                body = "\n".join(indented_block(lines, i, len(match.group(1))))
                if (language not in ALLOWED_LANGUAGES or LOOKS_LIKE_CXX.search(body)
                        or LOOKS_LIKE_PYTHON.search(body) or LOOKS_LIKE_CMAKE.search(body)):
                    problems.append(f"{rel}:{number}: code pasted into a page ({directive} "
                                    f"{language or '(no language)'}); show it with .. snippet:: "
                                    "from a snippet file the build compiles or runs")
                continue
            # A literal block introduced by "::" at the end of a paragraph.
            if line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
                body = "\n".join(indented_block(lines, i, len(line) - len(line.lstrip())))
                if (LOOKS_LIKE_CXX.search(body) or LOOKS_LIKE_PYTHON.search(body)
                        or LOOKS_LIKE_CMAKE.search(body)):
                    problems.append(f"{rel}:{number}: code pasted into a page as a literal block; "
                                    "show it with .. snippet:: instead")
    return references


def snippet_file(snippet: str) -> tuple[Path, str]:
    """The file a page's reference names, and the path a reader sees."""
    return regions.reference_file(ROOT, snippet)


def lint_snippets(problems: list[str], references: dict[str, list[tuple[str, int]]],
                  header_references: dict[str, list[tuple[str, int]]]) -> None:
    used_regions: dict[str, set[str]] = defaultdict(set)
    for reference, places in header_references.items():
        snippet, _, region = reference.partition("#")
        if not (SNIPPETS / snippet).is_file():
            for header, number in places:
                problems.append(f"{header}:{number}: @snippet names no file snippets/{snippet}")
        else:
            used_regions[snippet].add(region)
    for reference, places in references.items():
        snippet, _, region = reference.partition("#")
        path, shown = snippet_file(snippet)
        for page, number in places:
            if not path.is_file():
                problems.append(f"{page}:{number}: no snippet file {shown}")
            elif not region and regions.comment_of(path) is not None:
                problems.append(f"{page}:{number}: '{reference}' names no region (use {snippet}#name)")
        if path.is_file() and region:
            used_regions[snippet].add(region)
            for page, number in places[1:]:
                problems.append(f"{page}:{number}: region {reference} is shown a second time "
                                f"(first at {places[0][0]}:{places[0][1]}); show each region once")

    topic_files = [p.relative_to(SNIPPETS).as_posix()
                   for p in sorted([*SNIPPETS.glob("*/*.cpp"), *SNIPPETS.glob("*/*.py")])]
    # Files of example projects and build files: each region a page shows must exist, and
    # each region they have must be shown, but a file without regions (a project's
    # main.cpp) is the project's and need not be.
    other_files = sorted({p.relative_to(SNIPPETS).as_posix() for p in SNIPPETS.rglob("*")
                          if p.is_file() and p.parent.parent != SNIPPETS and p.parent != SNIPPETS
                          and regions.comment_of(p) is not None and p.suffix != ""}
                         | {ref.partition("#")[0] for ref in references if ref.startswith("/")})
    for snippet in topic_files + other_files:
        path, shown = snippet_file(snippet)
        if not path.is_file():
            continue
        try:
            found = regions.parse(path, shown)
        except regions.RegionError as error:
            problems.append(str(error))
            continue
        for name in sorted(used_regions[snippet] - found.keys()):
            for page, number in references.get(f"{snippet}#{name}", []) + header_references.get(f"{snippet}#{name}", []):
                problems.append(f"{page}:{number}: {shown} has no region [{name}]")
        if snippet in other_files and not found:
            continue
        if not found:
            problems.append(f"{shown}:1: snippet file has no regions; the book shows none of it")
        elif not used_regions[snippet]:
            problems.append(f"{shown}:1: orphan snippet file: no page shows any of its regions")
        for name, region in sorted(found.items()):
            if name not in used_regions[snippet] and used_regions[snippet]:
                problems.append(f"{shown}:{region.start}: orphan region [{name}]: no page shows it")


HEADER_SNIPPET = re.compile(r"[@\\]snippet(?:\{[^}]*\})?\s+(\S+)\s+(\S+)")
HEADER_CODE = re.compile(r"[@\\](code|verbatim)\b")


def lint_headers(problems: list[str]) -> dict[str, list[tuple[str, int]]]:
    """Doxygen examples must be regions of tested snippets; returns those references."""
    references: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for header in sorted((ROOT / "include").rglob("*.hpp")):
        rel = header.relative_to(ROOT).as_posix()
        for number, line in enumerate(header.read_text(encoding="utf-8").splitlines(), start=1):
            if match := HEADER_CODE.search(line):
                problems.append(f"{rel}:{number}: @{match.group(1)} block in a doc comment is code nobody "
                                "compiled; show a tested region with @snippet <chapter>/<topic>.cpp <region>")
            if match := HEADER_SNIPPET.search(line):
                references[f"{match.group(1)}#{match.group(2)}"].append((rel, number))
    return references


def lint_api_pages(problems: list[str]) -> None:
    for header in sorted((ROOT / "include" / "ce").glob("*.hpp")):
        page = DOCS / "api" / f"{header.stem}.rst"
        if not page.exists():
            problems.append(f"{header.relative_to(ROOT)}:1: public header has no API page "
                            f"{page.relative_to(ROOT)}")


def lint_python_first(problems: list[str]) -> None:
    """Every topic opens with the Python idiom it replaces, run by the build: a topic
    page (a page with a snippet file of its name) shows a region of
    snippets/<chapter>/<topic>.py before any other listing."""
    for source in sorted(SNIPPETS.glob("*/*.cpp")):
        topic = source.relative_to(SNIPPETS).with_suffix("")
        page = DOCS / topic.with_suffix(".rst")
        if not page.exists():
            continue
        rel = page.relative_to(ROOT).as_posix()
        idiom = f"{topic.as_posix()}.py"
        if not (SNIPPETS / idiom).is_file():
            problems.append(f"{rel}:1: the topic has no Python idiom: add snippets/{idiom} and "
                            "open the page with one of its regions")
            continue
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            if match := SNIPPET_DIRECTIVE.match(line):
                if not match.group(1).startswith(idiom + "#"):
                    problems.append(f"{rel}:{number}: the topic's first listing is {match.group(1)}; "
                                    f"open it with its Python idiom, a region of snippets/{idiom}")
                break


def lint_tool_runs(problems: list[str]) -> None:
    """Tool runs registered in snippets/CMakeLists.txt against the pages that show them."""
    cmake = SNIPPETS / "CMakeLists.txt"
    text = cmake.read_text(encoding="utf-8")
    registered = {f"{m.group(1)}.cpp@{m.group(2)}": text.count("\n", 0, m.start()) + 1
                  for m in TOOL_RUN.finditer(text)}
    shown: set[str] = set()
    for page in pages():
        rel = page.relative_to(ROOT).as_posix()
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if match := TOOL_DIRECTIVE.match(line):
                shown.add(match.group(1))
                if match.group(1) not in registered:
                    problems.append(f"{rel}:{number}: tool-output {match.group(1)} names no tool run; "
                                    "register it with ce_add_tool_run() in snippets/CMakeLists.txt")
    for run, line in registered.items():
        if run not in shown:
            problems.append(f"{cmake.relative_to(ROOT)}:{line}: orphan tool run {run}: no page "
                            "shows it (.. tool-output::)")


def main() -> int:
    problems: list[str] = []
    lint_tool_runs(problems)
    references = lint_pages(problems)
    lint_python_first(problems)
    lint_snippets(problems, references, lint_headers(problems))
    lint_api_pages(problems)
    for problem in problems:
        print(problem)
    print(f"book_lint: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
