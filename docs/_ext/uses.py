"""What each region of a C++ snippet file uses, read from the real AST (libclang 19).

For every region of ``snippets/<chapter>/<topic>.cpp`` the analysis finds

* ``shows``: the file's own top-level entities the region declares (functions, types,
  aliases, variables, macros at namespace scope), by name;
* ``uses``: the file's own top-level entities the region refers to but does not declare
  (a member's use counts as a use of its class). Locals of a function, such as a test
  case's setup outside the region, are not counted: they are the test's, not a helper;
* ``includes``: the file's own ``#include`` lines that provide what the region refers
  to from other files (standard headers, ``<ce/...>``, doctest, fmt). A declaration
  reached through several of the file's includes is attributed to the nearest one;
* ``usings``: the file's namespace-scope ``using namespace`` lines for namespaces of
  other files the region relies on (``std::chrono_literals`` for ``100ms``).

The file is parsed with the flags of its entry in a preset's compile_commands.json. A
region inside ``#ifdef CE_COMPILE_FAIL_<NAME>`` is read from a second parse with that
macro defined (errors expected there). Results are cached under build/uses/, keyed by
the source's hash, the flags, and every header the parse read (hash for the
repository's headers, size and mtime for the system's), so an unchanged snippet is not
parsed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import sys
import time
from collections import deque
from pathlib import Path

import regions

LIBCLANG = "/usr/lib/llvm-19/lib/libclang-19.so.1"
FORMAT = 7  # bump when the cached result's shape or meaning changes
COMPILE_FAIL_BLOCK = re.compile(r"^\s*#\s*ifdef\s+(CE_COMPILE_FAIL_\w+)\s*$")
# The #include lines become a precompiled preamble in which function bodies are skipped:
# the first parse costs about as much as a compile, and the reparse for each
# must-not-compile block (same includes, one #ifdef turned on) a fifth of it.
PARSE_OPTIONS = (0x01    # detailed preprocessing record: #include directives, macro uses
                 | 0x04  # precompiled preamble
                 | 0x40  # skip function bodies ...
                 | 0x100  # create the preamble on the first parse
                 | 0x800)  # ... in the preamble only


class UsesError(Exception):
    pass


_cindex = None


def cindex():
    """clang.cindex from Debian's python3-clang-19, bound to libclang 19."""
    global _cindex
    if _cindex is None:
        if "/usr/lib/python3/dist-packages" not in sys.path:
            sys.path.append("/usr/lib/python3/dist-packages")
        try:
            import clang.cindex as ci
        except ImportError as error:  # pragma: no cover - a missing package
            raise UsesError("clang.cindex is missing: install python3-clang-19 and libclang1-19 "
                            "(make deps)") from error
        if not ci.Config.loaded:
            ci.Config.set_library_file(LIBCLANG)
        _cindex = ci
    return _cindex


def compile_flags(databases: list[Path], source: Path, snippet: str) -> tuple[list[str], str]:
    """The compiler arguments for ``snippets/<snippet>`` from the first database that
    compiles it, without the compiler, the output and the input; and the database used."""
    suffix = f"/snippets/{snippet}"
    for database in databases:
        if not database.is_file():
            continue
        for entry in json.loads(database.read_text()):
            if not entry["file"].endswith(suffix):
                continue
            argv = entry.get("arguments") or shlex.split(entry["command"])
            flags, skip = [], False
            for arg in argv[1:]:
                if skip:
                    skip = False
                elif arg == "-o":
                    skip = True
                elif arg != "-c" and not arg.endswith(suffix):
                    flags.append(arg)
            # The compilers have judged the warnings already; a parse with skipped function
            # bodies sees a different program (a friend "not needed"), so none count here.
            return flags + ["-w"], str(database)
    raise UsesError(f"no compile database lists snippets/{snippet} (looked in "
                    f"{', '.join(str(d) for d in databases)}); run `make book`, which configures the presets")


def _realpath(name: str) -> str:
    return os.path.realpath(name)


class _Parse:
    """One translation unit, read for the lines ``lines`` of the main file."""

    def __init__(self, source: Path, flags: list[str], tolerate_errors: bool):
        ci = cindex()
        self.ci = ci
        self.main = _realpath(str(source))
        self.tu = ci.Index.create().parse(str(source), args=flags, options=PARSE_OPTIONS)
        errors = [d for d in self.tu.diagnostics if d.severity >= ci.Diagnostic.Error]
        if errors and not tolerate_errors:
            raise UsesError(f"{source}: libclang could not parse it: {errors[0]}")
        self.files = sorted({_realpath(inc.include.name) for inc in self.tu.get_includes()})
        self._graph()

    def _graph(self) -> None:
        """Every #include directive of every file read (a skipped second inclusion too)."""
        self.edges: dict[str, set[str]] = {}
        self.top_includes: dict[str, int] = {}  # included file -> line in the main file
        for cursor in self.tu.cursor.get_children():
            if cursor.kind != self.ci.CursorKind.INCLUSION_DIRECTIVE:
                continue
            included = cursor.get_included_file()
            if included is None or cursor.location.file is None:
                continue
            src, dst = _realpath(cursor.location.file.name), _realpath(included.name)
            self.edges.setdefault(src, set()).add(dst)
            if src == self.main:
                self.top_includes.setdefault(dst, cursor.location.line)
        # Distance from each of the main file's includes to every file it reaches.
        self.distance: dict[str, dict[int, int]] = {}
        for start, line in self.top_includes.items():
            seen = {start: 0}
            queue = deque([start])
            while queue:
                here = queue.popleft()
                for nxt in self.edges.get(here, ()):
                    if nxt not in seen:
                        seen[nxt] = seen[here] + 1
                        queue.append(nxt)
            for name, dist in seen.items():
                self.distance.setdefault(name, {})[line] = dist

    def turn_on(self, source: Path, text: list[str], macro: str) -> None:
        """Parses the file again with one must-not-compile block's #ifdef turned on (the
        line becomes ``#if 1``: same line numbers, same preamble); errors are expected."""
        changed = [("#if 1" if COMPILE_FAIL_BLOCK.match(line) and macro in line else line) for line in text]
        self.tu.reparse(unsaved_files=[(str(source), "\n".join(changed) + "\n")], options=PARSE_OPTIONS)

    def include_for(self, filename: str) -> int | None:
        """The main file's #include line that brings ``filename`` most directly."""
        reach = self.distance.get(_realpath(filename))
        if not reach:
            return None
        return min(reach, key=lambda line: (reach[line], line))

    def top_level(self, cursor):
        """The namespace-scope entity ``cursor`` belongs to, or None for a local or a
        namespace itself."""
        ck = self.ci.CursorKind
        scopes = (ck.NAMESPACE, ck.TRANSLATION_UNIT, ck.LINKAGE_SPEC, ck.UNEXPOSED_DECL)
        local = (ck.FUNCTION_DECL, ck.CXX_METHOD, ck.FUNCTION_TEMPLATE, ck.LAMBDA_EXPR,
                 ck.CONSTRUCTOR, ck.DESTRUCTOR, ck.CONVERSION_FUNCTION)
        if cursor.kind in (ck.NAMESPACE, ck.NAMESPACE_ALIAS) or cursor.kind == ck.TRANSLATION_UNIT:
            return None
        if cursor.kind == ck.MACRO_DEFINITION:
            return cursor
        if cursor.kind in (ck.TEMPLATE_TYPE_PARAMETER, ck.TEMPLATE_NON_TYPE_PARAMETER,
                           ck.TEMPLATE_TEMPLATE_PARAMETER, ck.PARM_DECL):
            return None
        records = (ck.STRUCT_DECL, ck.CLASS_DECL, ck.UNION_DECL, ck.CLASS_TEMPLATE,
                   ck.CLASS_TEMPLATE_PARTIAL_SPECIALIZATION)
        current = cursor
        for _ in range(64):
            parent = current.semantic_parent
            lexical = current.lexical_parent
            if lexical is not None and lexical.kind in records and (parent is None or parent.kind in scopes):
                parent = lexical  # a friend defined in a class belongs to the class
            if parent is None or parent.kind in scopes:
                unnamed = not current.spelling or current.kind in (
                    ck.USING_DIRECTIVE, ck.LINKAGE_SPEC, ck.STATIC_ASSERT, ck.UNEXPOSED_DECL)
                return None if unnamed else current
            if parent.kind in local:
                return None
            current = parent
        return None

    def targets(self, cursor) -> list:
        """The declarations a cursor refers to: one, or each candidate of an unresolved
        overloaded name in a template (``std::forward<Args>(args)``)."""
        ci = self.ci
        if cursor.kind == ci.CursorKind.OVERLOADED_DECL_REF:
            count = ci.conf.lib.clang_getNumOverloadedDecls(cursor)
            found = [ci.conf.lib.clang_getOverloadedDecl(cursor, i) for i in range(count)]
        else:
            target = cursor.referenced
            found = [] if target is None or target == cursor and not cursor.kind.is_declaration() \
                else [target]
        skip = (ci.CursorKind.NAMESPACE, ci.CursorKind.NAMESPACE_ALIAS, ci.CursorKind.TRANSLATION_UNIT)
        # A coroutine's co_return and co_await refer to compiler builtins
        # (__builtin_coro_frame) that clang places at the coroutine's own lines.
        return [t for t in found if t is not None and not t.kind.is_invalid() and t.kind not in skip
                and (t.kind.is_declaration() or t.kind == ci.CursorKind.MACRO_DEFINITION)
                and t.location.file is not None and not t.spelling.startswith("__builtin")]

    def entity_key(self, cursor) -> tuple[str, int, int] | None:
        location = cursor.canonical.location if cursor.kind != self.ci.CursorKind.MACRO_DEFINITION \
            else cursor.location
        if location.file is None:
            return None
        return (_realpath(location.file.name), location.line, location.column)

    def read(self, lines: set[int] | None) -> tuple[dict[int, list], dict[int, list], dict]:
        """Per line of the main file: what is declared there (top-level entity keys), what
        is referred to (keys, or external files), and the names of the keys."""
        ci = self.ci
        declared: dict[int, list] = {}
        used: dict[int, list] = {}
        names: dict = {}
        # Operators and user-defined literals refer to functions too (``a == b``, ``100ms``).
        wanted = (ci.TokenKind.IDENTIFIER, ci.TokenKind.PUNCTUATION, ci.TokenKind.LITERAL)
        for token in self.tu.get_tokens(extent=self.tu.cursor.extent):
            line = token.location.line
            if token.kind not in wanted or (lines is not None and line not in lines):
                continue
            cursor = ci.Cursor.from_location(self.tu, token.location)
            if cursor is None or cursor.kind.is_invalid():
                continue
            if (token.kind == ci.TokenKind.IDENTIFIER and cursor.location == token.location
                    and (cursor.kind.is_declaration() or cursor.kind == ci.CursorKind.MACRO_DEFINITION)):
                top = self.top_level(cursor)
                if top is not None and top.canonical == cursor.canonical:
                    key = self.entity_key(top)
                    if key:
                        declared.setdefault(line, []).append(key)
                        names[key] = top.spelling
                continue
            for target in self.targets(cursor):
                self._record(used, names, line, target)
        # Inside a macro's arguments (CHECK(x == helper())) a location maps to the macro
        # expansion, not to the expression: walk the main file's AST for those.
        stack = [c for c in self.tu.cursor.get_children()
                 if c.location.file is not None and _realpath(c.location.file.name) == self.main]
        while stack:
            cursor = stack.pop()
            stack.extend(cursor.get_children())
            line = cursor.location.line
            if lines is not None and line not in lines:
                continue
            if cursor.kind.is_reference() or cursor.kind.is_expression():
                for target in self.targets(cursor):
                    self._record(used, names, line, target)
        return declared, used, names

    def _record(self, used: dict, names: dict, line: int, target) -> None:
        ci = self.ci
        target_file = _realpath(target.location.file.name)
        if target_file != self.main:
            namespace = _namespaces(target, ci)
            if namespace.split("::")[0] == "std" and "/c++/" not in target_file:
                return  # doctest's forward declarations of std names provide nothing
            used.setdefault(line, []).append(("file", target_file, target.spelling, namespace))
            return
        top = self.top_level(target)
        key = self.entity_key(top) if top is not None else None
        if key:
            used.setdefault(line, []).append(("entity", key))
            names[key] = top.spelling


def _namespaces(cursor, ci) -> str:
    parts = []
    parent = cursor.semantic_parent
    while parent is not None and parent.kind != ci.CursorKind.TRANSLATION_UNIT:
        if parent.kind == ci.CursorKind.NAMESPACE:
            parts.append(parent.spelling)
        parent = parent.semantic_parent
    return "::".join(reversed(parts))


def _nominates(directive: str, namespace: str) -> bool:
    """Whether ``using namespace <directive>`` makes names of ``namespace`` visible.
    Inline namespaces are written out in ``namespace`` (``std::literals::chrono_literals``
    for ``std::chrono_literals``): the directive's first and last parts must match."""
    want, have = directive.split("::"), namespace.split("::")
    return bool(have) and have[0] == want[0] and want[-1] in have
    # a nested namespace is visible too: std matches std::chrono


def _compile_fail_blocks(text: list[str]) -> dict[str, set[int]]:
    """Lines (1-based) inside each ``#ifdef CE_COMPILE_FAIL_<NAME>`` block."""
    blocks: dict[str, set[int]] = {}
    number = 0
    while number < len(text):
        match = COMPILE_FAIL_BLOCK.match(text[number])
        number += 1
        if not match:
            continue
        depth, lines = 1, set()
        while number < len(text) and depth:
            stripped = text[number].strip()
            if re.match(r"#\s*if", stripped):
                depth += 1
            elif re.match(r"#\s*endif", stripped):
                depth -= 1
            if depth:
                lines.add(number + 1)
            number += 1
        blocks[match.group(1)] = lines
    return blocks


def _using_directives(text: list[str], found: dict) -> list[tuple[int, str, str]]:
    """Namespace-scope ``using namespace X;`` lines outside every region: (line, text, X)."""
    inside = set()
    for region in found.values():
        inside.update(range(region.start, region.end + 1))
    out = []
    for number, line in enumerate(text, start=1):
        match = re.match(r"^using\s+namespace\s+([\w:]+)\s*;", line)
        if match and number not in inside:
            out.append((number, line.strip(), match.group(1).removeprefix("::")))
    return out


def analyse(source: Path, snippet: str, flags: list[str]) -> dict:
    """The analysis of one snippet file (not cached): see the module's docstring."""
    text = source.read_text().splitlines()
    found = regions.parse(source, f"snippets/{snippet}")
    started = time.process_time()
    main = _Parse(source, flags, tolerate_errors=False)
    declared, used, names = main.read(None)
    blocks = _compile_fail_blocks(text)
    for macro, lines in blocks.items():
        main.turn_on(source, text, macro)
        d, u, n = main.read(lines)
        for line in lines:
            declared[line] = d.get(line, [])
            used[line] = u.get(line, [])
        names.update(n)
    usings = _using_directives(text, found)
    key_name = names

    result: dict[str, dict] = {}
    for name, region in found.items():
        lines = range(region.start + 1, region.end)
        # Declared in the region: a declaration of the entity there (a definition after a
        # forward declaration, too), or its first declaration lies there (libclang has no
        # declaration cursor for `struct tag` written inside a template argument).
        shows = {key for line in lines for key in declared.get(line, [])}
        shows |= {key for key in names if key[0] == main.main and region.start < key[1] < region.end}
        uses, include_lines, using_lines = set(), set(), set()
        for line in lines:
            for item in used.get(line, []):
                if item[0] == "entity":
                    if item[1] not in shows and item[1][0] == main.main:
                        uses.add(item[1])
                    continue
                _kind, target_file, _spelling, namespace = item
                include = main.include_for(target_file)
                if include is not None:
                    include_lines.add(include)
                for number, _line, ns in usings:
                    if _nominates(ns, namespace):
                        using_lines.add(number)
        result[name] = {
            "start": region.start, "end": region.end,
            "shows": sorted({key_name[k] for k in shows}),
            "uses": sorted({key_name[k] for k in uses} - {key_name[k] for k in shows}),
            "includes": [text[n - 1].strip() for n in sorted(include_lines)],
            "usings": [text[n - 1].strip() for n in sorted(using_lines)],
        }
    files = main.files
    return {"regions": result, "files": files, "cpu_seconds": round(time.process_time() - started, 3)}


def _file_stamp(path: str) -> str:
    """What identifies a header's version: its hash, or for the system's headers (which
    change only with a package) its size and mtime, much cheaper to check."""
    p = Path(path)
    try:
        if p.is_relative_to("/usr"):
            st = p.stat()
            return f"stat:{st.st_size}:{st.st_mtime_ns}"
        return "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def fresh(source: Path, snippet: str, databases: list[Path], cache_dir: Path) -> dict | None:
    """The cached analysis when it still describes the file, else None (no parse)."""
    cache = cache_dir / f"{snippet}.json"
    if not cache.exists():
        return None
    previous = json.loads(cache.read_text())
    if previous.get("format") != FORMAT:
        return None
    if previous.get("sha256") != hashlib.sha256(source.read_bytes()).hexdigest():
        return None
    if previous.get("flags") != compile_flags(databases, source, snippet)[0]:
        return None
    if any(_file_stamp(f) != stamp for f, stamp in previous.get("stamps", {}).items()):
        return None
    return previous


def cached(source: Path, snippet: str, databases: list[Path], cache_dir: Path,
           allow_stale: bool = False) -> dict:
    """The snippet's analysis, parsed again only when the source, the flags or a header
    it reads changed. With ``allow_stale`` a previous analysis of an older version is
    returned as it is (the live server's quick first render)."""
    cache = cache_dir / f"{snippet}.json"
    if allow_stale and cache.exists():
        previous = json.loads(cache.read_text())
        if previous.get("format") == FORMAT:
            return previous
    found = fresh(source, snippet, databases, cache_dir)
    if found is not None:
        return found
    flags, database = compile_flags(databases, source, snippet)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    analysis = analyse(source, snippet, flags)
    analysis.update({
        "format": FORMAT, "sha256": digest, "flags": flags, "database": database,
        "stamps": {f: _file_stamp(f) for f in analysis.pop("files")},
    })
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(analysis, indent=1, sort_keys=True) + "\n")
    tmp.replace(cache)
    return analysis


def _analyse_one(args: tuple) -> str | None:
    source, snippet, databases, cache_dir = args
    try:
        cached(source, snippet, databases, cache_dir)
    except UsesError:
        return None  # no tree compiles it yet, or it does not parse: its listings say so
    return snippet


def refresh_all(root: Path, databases: list[Path], cache_dir: Path, jobs: int) -> list[str]:
    """Brings every C++ snippet's cached analysis up to date, ``jobs`` parses at a time;
    returns the snippets that were parsed."""
    stale = []
    for source in sorted(root.glob("*/*.cpp")):  # topic files; example projects' are not analysed
        snippet = source.relative_to(root).as_posix()
        try:
            if fresh(source, snippet, databases, cache_dir) is None:
                stale.append((source, snippet, databases, cache_dir))
        except UsesError:
            continue  # not compiled by any tree yet: the listing's directive says so
    if len(stale) > 1 and jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=min(jobs, len(stale))) as pool:
            return [s for s in pool.map(_analyse_one, stale) if s]
    return [s for s in map(_analyse_one, stale) if s]


def main(argv: list[str]) -> int:
    """``uses.py <snippet-root> <cache-dir> <compile_commands.json>... -- <chapter/topic.cpp>...``:
    prints each region's analysis and the time it took (for measuring)."""
    root, cache_dir, *rest = argv
    split = rest.index("--")
    databases, snippets = [Path(d) for d in rest[:split]], rest[split + 1:]
    for snippet in snippets:
        started = time.monotonic()
        result = cached(Path(root) / snippet, snippet, databases, Path(cache_dir))
        took = time.monotonic() - started
        print(f"{snippet}: {took:.2f} s wall, {result['cpu_seconds']} s CPU when parsed")
        for name, region in result["regions"].items():
            print(f"  [{name}] uses {region['uses']} includes {region['includes']} {region['usings']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
