"""Named regions of snippet files: the one parser the build, the lints and Sphinx share.

A region is delimited by two identical marker lines, ``// [name]`` … ``// [name]``,
the form Doxygen's ``\\snippet`` reads too (``# [name]`` in Python and CMake files and
in ``.in`` templates). Names are lower-case words joined by hyphens. A marker-like line
that does not follow the form exactly is an error, so a misspelt marker never turns
silently into code. A JSON file has no comments and so no regions: it is shown whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

def _markers(comment: str) -> tuple[re.Pattern, re.Pattern]:
    c = re.escape(comment)
    marker = re.compile(rf"^\s*{c} \[([a-z0-9]+(?:-[a-z0-9]+)*)\]\s*$")
    # Anything that looks like an attempt at a marker: `//[x]`, `// [x`, `// [X]`, `//  [x]`;
    # not CMake's bracket comments, `#[[` and `#[=[`.
    like = re.compile(rf"^\s*{c}\s*\[(?![\[=])[^\]]*\]?\s*$|^\s*{c}\s*\[\w[\w-]*\s*$")
    return marker, like


MARKER, MARKER_LIKE = _markers("//")
HASH = _markers("#")


def comment_of(path: Path) -> str | None:
    """The line comment a file's markers use, or None for a file that has none (JSON)."""
    if path.suffix == ".json":
        return None
    if path.suffix in (".py", ".cmake", ".in", ".toml", ".txt"):  # .txt: CMakeLists.txt
        return "#"
    return "//"


def language_of(path: Path) -> str:
    """The Pygments language a listing of ``path`` is highlighted as."""
    if path.name == "CMakeLists.txt" or path.suffix == ".cmake" or path.name.endswith(".cmake.in"):
        return "cmake"
    return {".py": "python", ".json": "json", ".toml": "toml", ".in": "text"}.get(path.suffix, "cpp")


class RegionError(Exception):
    """A malformed region; ``str()`` is ``path:line: message``."""

    def __init__(self, path: Path | str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = str(path), line, message


# How the build, the lints and Sphinx name a file a page may show: a *reference* is a
# path under snippets/ (``chapter/topic.cpp``, ``chapter/topic/project/CMakeLists.txt``)
# or a path from the book's root after a slash (``/cmake/ce.pc.in``).

def reference_file(root: Path, reference: str) -> tuple[Path, str]:
    """The file ``reference`` names below the book's ``root``, and the path a reader sees."""
    if reference.startswith("/"):
        return root / reference[1:], reference[1:]
    return root / "snippets" / reference, f"snippets/{reference}"


def reference_of(root: Path, path: Path) -> str:
    """The reference of ``path``, a file inside the book's ``root``."""
    path = path.resolve()
    if path.is_relative_to(root / "snippets"):
        return path.relative_to(root / "snippets").as_posix()
    return "/" + path.relative_to(root).as_posix()


def status_name(reference: str) -> str:
    """The status file of ``reference``, relative to the status folder (tools/verify.py
    writes it, the snippet directive reads it): files from the root go under ``_root``."""
    if reference.startswith("/"):
        return f"_root/{reference[1:]}.json"
    return f"{reference}.json"


def reference_of_status(name: str) -> str:
    """The inverse of status_name()."""
    stem = name.removesuffix(".json")
    return "/" + stem.removeprefix("_root/") if stem.startswith("_root/") else stem


@dataclass
class Region:
    name: str
    start: int  # 1-based line of the opening marker
    end: int  # 1-based line of the closing marker
    lines: list[str] = field(default_factory=list)
    marker: re.Pattern = MARKER

    def text(self) -> str:
        """The region's code, dedented, without markers or other regions' markers."""
        body = [ln for ln in self.lines if not self.marker.match(ln)]
        indents = [len(ln) - len(ln.lstrip()) for ln in body if ln.strip()]
        cut = min(indents, default=0)
        return "\n".join(ln[cut:].rstrip() for ln in body).strip("\n") + "\n"


def parse(path: Path, display: str | None = None) -> dict[str, Region]:
    """All regions of ``path``; raises RegionError naming the file and line at fault."""
    shown = display or str(path)
    comment = comment_of(path)
    if comment is None:
        return {}
    marker_re, marker_like = HASH if comment == "#" else (MARKER, MARKER_LIKE)
    text = path.read_text(encoding="utf-8").splitlines()
    open_at: dict[str, int] = {}
    regions: dict[str, Region] = {}
    for number, line in enumerate(text, start=1):
        match = marker_re.match(line)
        if not match:
            if marker_like.match(line):
                raise RegionError(shown, number, f"malformed region marker {line.strip()!r}; "
                                  f"write {comment} [name] with a lower-case, hyphenated name")
            continue
        name = match.group(1)
        if name in open_at:
            start = open_at.pop(name)
            body = text[start:number - 1]
            if not any(ln.strip() and not marker_re.match(ln) for ln in body):
                raise RegionError(shown, start, f"region [{name}] is empty")
            regions[name] = Region(name, start, number, body, marker_re)
        elif name in regions:
            raise RegionError(shown, number, f"region [{name}] is defined twice "
                              f"(first at line {regions[name].start})")
        else:
            open_at[name] = number
    for name, start in open_at.items():
        raise RegionError(shown, start, f"region [{name}] is opened here but never closed")
    return regions


RAW_STRING = re.compile(r'R"([^()\\ ]{0,16})\((.*?)\)\1"', re.S)


def raw_string(region: Region, path: str) -> str:
    """The one raw string literal of an output region: the text a test compares."""
    found = RAW_STRING.findall("\n".join(region.lines))
    if len(found) != 1:
        raise RegionError(path, region.start, f"output region [{region.name}] must hold exactly "
                          f"one raw string literal R\"(...)\", found {len(found)}")
    text = found[0][1]
    return text[1:] if text.startswith("\n") else text
