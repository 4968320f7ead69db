"""The ``snippet`` directive: a named region of a snippet file, shown as verified.

    .. snippet:: foundations/exceptions.cpp#chain
       :caption: Chaining exceptions with std::throw_with_nested

    .. snippet:: foundations/exceptions.cpp#chain-output
       :caption: What the chain prints
       :output:

The listing shows the region dedented and without markers, a caption numbered per
chapter (Sphinx numfig), a link to the complete source file's page, and a verification
line built from this build's test results (build/verify/status/, written by
tools/verify.py). With ``:output:`` the region's one raw string literal, the text a test
compared against a real run, is shown as output. A region inside a must-not-compile
block is shown with the diagnostics each compiler really printed.

Anything missing, empty, failed or stale is an error naming the page and line.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

import copyable
import regions

SOURCE_PAGES = "_generated/source"
CE_NAME = re.compile(r"\bce::(?!detail::)([a-z_][a-z0-9_]*)")


def record_listing(env, listing: dict) -> None:
    """Listings by page, for the API pages' "used in" lists and the report page."""
    if not hasattr(env, "ce_listings"):
        env.ce_listings = {}
    env.ce_listings.setdefault(env.docname, []).append(listing)


def purge_listings(app: Sphinx, env, docname: str) -> None:
    getattr(env, "ce_listings", {}).pop(docname, None)


def merge_listings(app: Sphinx, env, docnames, other) -> None:
    if not hasattr(env, "ce_listings"):
        env.ce_listings = {}
    for docname in docnames:
        if docname in getattr(other, "ce_listings", {}):
            env.ce_listings[docname] = other.ce_listings[docname]


def source_page(snippet: str) -> str:
    """Docname of the page that shows a whole snippet file (``chapter/topic.cpp``), or a
    file a tool run checks (``/cmake/ce.pc.in``, under ``_root``)."""
    stem, _, ext = snippet.removeprefix("/").rpartition(".")
    return f"{SOURCE_PAGES}/{'_root/' if snippet.startswith('/') else ''}{stem}-{ext}"


def snippet_file(config, snippet: str) -> tuple[Path, str]:
    """The file a reference names and the path a reader sees (regions.reference_file)."""
    return regions.reference_file(Path(config.ce_snippet_root).parent, snippet)


def is_topic_file(snippet: str) -> bool:
    """A topic's own snippet (``chapter/topic.cpp`` or ``.py``), which the presets build
    or run; the other files the book shows are checked by tool runs."""
    return re.fullmatch(r"[a-z_]+/[a-z_]+\.(cpp|py)", snippet) is not None


class SnippetError(Exception):
    pass


def status_path(verify_root: Path, snippet: str) -> Path:
    """Where tools/verify.py writes the results for ``chapter/topic.ext``."""
    return verify_root / "status" / regions.status_name(snippet)


def load_status(verify_root: Path, snippet: str, source: Path, allow_pending: bool = False) -> dict:
    """The snippet's results. A result for an older version of the file is an error,
    except with ``allow_pending`` (the live server's first, fast render), where it is
    marked pending: the line then says which configurations are still verifying."""
    path = status_path(verify_root, snippet)
    if not path.exists():
        if not is_topic_file(snippet):
            raise SnippetError(f"no test results for {source}: no tool run checks it (name it in "
                               "the FILES of a ce_add_tool_run() in snippets/CMakeLists.txt)")
        raise SnippetError(f"no test results for snippets/{snippet}: it was never verified "
                           "(run `make book`, which builds and tests the snippets first)")
    status = json.loads(path.read_text())
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    runs = list(status["runs"].values()) + [
        run for per_region in status["compile_fail"].values() for run in per_region.values()] + [
        run for per_name in status.get("tool_runs", {}).values() for run in per_name.values()]
    for run in runs:
        if run.get("sha256") != digest:
            if not allow_pending:
                raise SnippetError(f"{status['source']} changed after its tests ran; the results "
                                   "are stale (run `make book`)")
            run["pending"] = True
    return status


def split_pending(runs: dict[str, dict], what: str) -> tuple[dict, list[str]]:
    fresh = {name: run for name, run in runs.items() if not run.get("pending")}
    if runs and not fresh:
        raise SnippetError(f"{what}: no configuration has verified this version yet")
    return fresh, [run["label"] for run in runs.values() if run.get("pending")]


def pending_note(pending: list[str]) -> nodes.Node:
    text = f" · still verifying: {configurations({'label': label} for label in pending)}"
    return nodes.inline(text, text, classes=["ce-pending"])


def configuration(label: str) -> str:
    """A preset's display name as the page says it: 'g++ 12 · -O2' → 'g++ 12 -O2'."""
    return " ".join(label.split(" · "))


def configurations(runs) -> str:
    """Every configuration on its own, grouped by compiler in preset order, clang-tidy
    last: 'g++ 12 ASan+UBSan, g++ 12 -O2, clang 19 ASan+UBSan, clang 19 TSan, clang-tidy 22'."""
    labels = [run["label"] for run in runs]
    compilers_seen = list(dict.fromkeys(label.split(" · ")[0] for label in labels))
    ordered = sorted(labels, key=lambda label: (label.startswith("clang-tidy"),
                                                compilers_seen.index(label.split(" · ")[0])))
    return ", ".join(dict.fromkeys(configuration(label) for label in ordered))


def compilers(runs) -> str:
    """The compilers alone, for the must-not-compile checks: 'g++ 12 and clang 19'."""
    return " and ".join(dict.fromkeys(run["label"].split(" · ")[0] for run in runs))


def skipped_note(runs) -> str:
    """Which configurations skipped which cases, and why, grouped by the cases skipped."""
    groups: dict[tuple, list[str]] = {}
    for run in runs:
        cases = tuple((case["name"], case["why"]) for case in run.get("skipped_cases", []))
        if cases:
            groups.setdefault(cases, []).append(configuration(run["label"]))
        elif run.get("skipped"):
            raise SnippetError(f"{run['label']} skipped {run['skipped']} cases without naming them")
    notes = []
    for cases, where in groups.items():
        named = "; ".join(f"“{name}” ({why})" for name, why in cases)
        notes.append(f"{', '.join(where)} skipped {len(cases)}: {named}")
    return ". ".join(notes)


def verification_record(source: Path, shown: str, pending: list[str]) -> nodes.raw:
    """For tools/check_rendered.py: which version of which file a listing or source page
    showed, and whether every configuration had verified it."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    state = "pending" if pending else "verified"
    return nodes.raw("", f"<!-- ce-listing {shown} sha256={digest} {state} -->", format="html")


def verification_line(runs: dict[str, dict], what: str) -> nodes.paragraph:
    failed = [name for name, run in runs.items() if not run["passed"]]
    if not runs or failed:
        raise SnippetError(f"{what}: " + (f"failed in {', '.join(failed)}" if failed
                                          else "has no test result"))
    if all("tool" in run for run in runs.values()):
        # A build file or an example project's file: the tool runs that used it are its test.
        if len(runs) == 1:
            run = next(iter(runs.values()))
            text = f"✓ Used in this build by the tool run {run['tool']} ({configuration(run['label'])})"
            return nodes.inline(text, text, classes=["ce-verified"])
        # tool.<chapter>.<topic>.<name>: grouped by topic and configuration.
        groups: dict[tuple[str, str], list[str]] = {}
        for run in runs.values():
            _, chapter, topic, name = run["tool"].split(".", 3)
            groups.setdefault((f"{chapter}/{topic}", configuration(run["label"])), []).append(name)
        text = "✓ Used in this build by the tool runs " + "; ".join(
            f"{', '.join(sorted(names))} of {topic} ({label})" for (topic, label), names in groups.items())
        return nodes.inline(text, text, classes=["ce-verified"])
    units = sorted({run["unit"] for run in runs.values() if "unit" in run})
    if units:
        # A file that topics' tests include: their configurations, and which units.
        text = (f"✓ Verified in this build: {configurations(runs.values())}; tested by "
                + " and ".join(f"snippets/{unit}" for unit in units))
        return nodes.inline(text, text, classes=["ce-verified"])
    counts = max((run for run in runs.values() if "cases" in run),
                 key=lambda run: run["cases"] - run.get("skipped", 0), default=None)
    ran_python = all(run["label"].startswith("Python") for run in runs.values())
    text = f"✓ {'Ran and checked' if ran_python else 'Verified'} in this build: {configurations(runs.values())}"
    if counts:
        # The counts are the whole file's: every case of the unit ran in each configuration.
        file = Path(what).name
        text += f". {file}: {counts['cases']} test cases, {counts['assertions']} assertions"
        skipped = skipped_note(runs.values())
        if skipped:
            text += f". {skipped}"
    return nodes.inline(text, text, classes=["ce-verified"])


def snippet_status(directive: SphinxDirective, snippet: str) -> tuple[Path, str, dict]:
    """The snippet file ``chapter/topic.ext``, the path a reader sees, and its test
    results, both noted as dependencies of the page (load_status says what is missing or
    stale)."""
    source, shown = snippet_file(directive.config, snippet)
    if not source.is_file():
        raise SnippetError(f"no snippet file {shown}")
    directive.env.note_dependency(str(source))
    verify_root = Path(directive.config.ce_verify_root)
    directive.env.note_dependency(str(status_path(verify_root, snippet)))
    return source, shown, load_status(verify_root, snippet, source, directive.config.ce_allow_pending)


class SnippetDirective(SphinxDirective):
    required_arguments = 1
    has_content = False
    option_spec = {
        "caption": directives.unchanged_required,
        "output": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        try:
            return self._run()
        except (SnippetError, regions.RegionError) as error:
            raise self.error(str(error)) from None

    def _run(self) -> list[nodes.Node]:
        reference = self.arguments[0]
        snippet, _, region_name = reference.partition("#")
        source, shown, status = snippet_status(self, snippet)
        whole = regions.comment_of(source) is None  # JSON: no comments, so shown whole

        if not region_name and not whole:
            raise SnippetError(f"'{reference}': name a region, as {snippet}#region-name")
        if region_name and whole:
            raise SnippetError(f"'{reference}': a {source.suffix} file has no regions; show it whole, as {snippet}")
        if "caption" not in self.options:
            raise SnippetError(f"'{reference}': a listing needs a :caption:")
        found = regions.parse(source, shown)
        if whole:
            region = None
            code = source.read_text(encoding="utf-8")
            region_name = "whole"
        elif region_name not in found:
            known = ", ".join(sorted(found)) or "none"
            raise SnippetError(f"{shown} has no region [{region_name}] (regions: {known})")
        else:
            region = found[region_name]
            code = (regions.raw_string(region, shown) if "output" in self.options
                    else region.text())
        caption = self.options["caption"]
        compile_fail = status["compile_fail"].get(region_name)
        runs = status["runs"] if compile_fail is None else compile_fail
        runs, pending = split_pending(runs, f"{shown}#{region_name}")
        if compile_fail is not None:
            compile_fail = runs

        kind = "output" if "output" in self.options else "compile-fail" if compile_fail else "code"
        language = "text" if kind == "output" else regions.language_of(source)
        block = nodes.literal_block(code, code, language=language)
        if source.suffix == ".in":
            # A template: its @VARIABLE@ placeholders are not the language it is
            # highlighted as; Pygments marks them as errors, which ce.css does not frame.
            block["force"] = True
            block["classes"].append("ce-template")
        block["classes"].append(f"ce-{kind}")
        self.set_source_info(block)

        caption_nodes, messages = self.state.inline_text(caption, self.lineno)
        wrapper = nodes.container("", literal_block=True,
                                  classes=["literal-block-wrapper", "ce-listing", f"ce-listing-{kind}"])
        wrapper += nodes.caption(caption, "", *caption_nodes)
        wrapper += block
        if region_name:
            # A topic file's listing is listing-<topic>-<region>; another file's names the
            # file too: listing-<topic>-<folders>-<file>-<region> under snippets/ (without
            # the chapter), listing-<folders>-<file>-<region> from the root.
            parts = snippet.removeprefix("/").split("/")
            topic = Path(snippet).stem if is_topic_file(snippet) else "-".join(
                part.replace(".", "-") for part in (parts if snippet.startswith("/") else parts[1:]))
            self.add_name(wrapper)
            listing_id = nodes.make_id(f"listing-{topic}-{region_name}")
            wrapper["ids"].append(listing_id)
            record_listing(self.env, {
                "docname": self.env.docname, "id": listing_id, "caption": caption,
                "snippet": shown, "region": region_name, "kind": kind,
                "uses": sorted(set(CE_NAME.findall(code))),
                "runs": [{"label": run["label"], "passed": run["passed"]} for run in runs.values()],
            })

        meta = nodes.paragraph(classes=["ce-listing-meta"])
        meta += copyable.source_link(snippet, region, shown)  # to the region's lines
        meta += nodes.Text(" ")
        if compile_fail is not None:
            failed = [name for name, run in compile_fail.items() if not run["passed"]]
            if failed:
                raise SnippetError(f"{shown}#{region_name} must not compile, but its check "
                                   f"failed in {', '.join(failed)}")
            text = f"✗ Rejected, as it must be, by {compilers(compile_fail.values())}"
            meta += nodes.inline(text, text, classes=["ce-rejected"])
        else:
            meta += verification_line(runs, f"{shown}")
        if pending:
            meta += pending_note(pending)
        wrapper += meta
        if region is not None and is_topic_file(snippet):
            copyable.attach(self, wrapper, snippet, region_name, source, kind)
        wrapper += verification_record(source, shown, pending)

        result: list[nodes.Node] = [wrapper]
        if compile_fail is not None:
            result += diagnostics(compile_fail, shown, region_name)
        return result + messages


def diagnostics(compile_fail: dict[str, dict], shown: str, region: str) -> list[nodes.Node]:
    """One block per distinct compiler diagnostic, captioned with who printed it."""
    by_text: dict[str, list[str]] = {}
    for run in compile_fail.values():
        text = run.get("diagnostic", "").strip("\n")
        if not text:
            raise SnippetError(f"{shown}#{region}: no diagnostic was captured")
        compiler = run["label"].split(" · ")[0]
        names = by_text.setdefault(text, [])
        if compiler not in names:
            names.append(compiler)
    out: list[nodes.Node] = []
    for text, compilers in by_text.items():
        box = nodes.container(classes=["ce-diagnostic"])
        label = f"{' and '.join(compilers)} say{'s' if len(compilers) == 1 else ''}:"
        box += nodes.paragraph(label, label, classes=["ce-diagnostic-label"])
        box += nodes.literal_block(text, text, language="text", classes=["ce-diagnostic-text"])
        out.append(box)
    return out


class ToolOutputDirective(SphinxDirective):
    """``.. tool-output:: <chapter>/<topic>.cpp@<run>``: a tool run's command and its real
    output (ce_add_tool_run, tools/tool_run.py), one block per configuration that ran
    it, with the artefact it wrote (an SVG) embedded when ``:artifact:`` is given."""

    required_arguments = 1
    has_content = False
    option_spec = {
        "caption": directives.unchanged_required,
        "artifact": directives.flag,
        "no-output": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        try:
            return self._run()
        except SnippetError as error:
            raise self.error(str(error)) from None

    def _run(self) -> list[nodes.Node]:
        reference = self.arguments[0]
        snippet, _, name = reference.partition("@")
        if not name:
            raise SnippetError(f"'{reference}': name the tool run, as {snippet}@run-name")
        if "caption" not in self.options:
            raise SnippetError(f"'{reference}': a tool's output needs a :caption:")
        source, shown, status = snippet_status(self, snippet)
        per_preset = status.get("tool_runs", {}).get(name)
        if not per_preset:
            known = ", ".join(sorted(status.get("tool_runs", {}))) or "none"
            raise SnippetError(f"{shown} has no tool run '{name}' (runs: {known}); register it "
                               "with ce_add_tool_run() in snippets/CMakeLists.txt")
        runs, pending = split_pending(per_preset, f"{shown}@{name}")
        failed = [preset for preset, run in runs.items() if not run["passed"] or "tool_run" not in run]
        if failed:
            raise SnippetError(f"{shown}@{name}: the tool run failed in {', '.join(failed)}")

        caption = self.options["caption"]
        caption_nodes, messages = self.state.inline_text(caption, self.lineno)
        wrapper = nodes.container("", literal_block=True,
                                  classes=["literal-block-wrapper", "ce-listing", "ce-listing-tool"])
        wrapper += nodes.caption(caption, "", *caption_nodes)
        listing_id = nodes.make_id(f"tool-{Path(snippet).stem}-{name}")
        wrapper["ids"].append(listing_id)
        self.add_name(wrapper)
        for run in runs.values():
            record = run["tool_run"]
            command = f"$ {record['command']}"
            block = nodes.literal_block(command, command, language="console")
            block["classes"].append("ce-tool-command")
            wrapper += block
            if "artifact" in record:
                self.env.note_dependency(record["artifact"])
            if "no-output" not in self.options:
                text = record["output"].rstrip("\n") or "(no output)"
                out = nodes.literal_block(text, text, language="text")
                out["classes"].append("ce-output")
                wrapper += out
            if "artifact" in self.options:
                if "artifact" not in record or not Path(record["artifact"]).is_file():
                    raise SnippetError(f"{shown}@{name}: the run kept no artefact (ARTIFACT in ce_add_tool_run)")
                svg = Path(record["artifact"]).read_text()
                svg = svg[svg.index("<svg"):]  # drop the XML prolog: the SVG sits inside HTML
                wrapper += nodes.raw("", f'<div class="ce-artifact">{svg}</div>', format="html")
            meta = nodes.paragraph(classes=["ce-listing-meta"])
            checks = len(record.get("expect", []))
            text = (f"✓ Run in this build: {configuration(run['label'])}, {record['seconds']:g} s; "
                    f"the output matched the {checks} pattern{'s' if checks != 1 else ''} "
                    f"its test expects (tool.{Path(snippet).parent.as_posix()}.{Path(snippet).stem}.{name})")
            meta += nodes.inline(text, text, classes=["ce-verified"])
            if pending:
                meta += pending_note(pending)
            wrapper += meta
        wrapper += verification_record(source, shown, pending)
        record_listing(self.env, {
            "docname": self.env.docname, "id": listing_id, "caption": caption,
            "snippet": shown, "region": f"@{name}", "kind": "tool", "uses": [],
            "runs": [{"label": run["label"], "passed": run["passed"]} for run in runs.values()],
        })
        return [wrapper] + messages


def write_source_pages(app: Sphinx) -> None:
    """A page per snippet file showing it whole: the target of every listing's file link."""
    root = Path(app.config.ce_snippet_root)
    out = Path(app.srcdir) / SOURCE_PAGES
    wanted = set()
    topic_files = [source.relative_to(root).as_posix()
                   for source in sorted([*root.glob("*/*.cpp"), *root.glob("*/*.py")])]
    # The files tool runs check (build files, example projects), as tools/verify.py
    # recorded them: a page may link to any of them.
    status_root = Path(app.config.ce_verify_root) / "status"
    checked = sorted(regions.reference_of_status(path.relative_to(status_root).as_posix())
                     for path in (status_root.rglob("*.json") if status_root.exists() else []))
    for snippet in topic_files + [c for c in checked if not is_topic_file(c)]:
        page = Path(app.srcdir) / (source_page(snippet) + ".rst")
        wanted.add(page)
        title = snippet_file(app.config, snippet)[1]
        # Not in the search index: a reader searches the topic pages, whose listings show
        # the same code with captions; full files would double the index's size.
        text = (f":orphan:\n:nosearch:\n\n{title}\n{'=' * len(title)}\n\n"
                + ("The complete file, exactly as this build compiled and tested it.\n\n"
                   if is_topic_file(snippet) else
                   "The complete file, exactly as this build's tool runs used it.\n\n")
                + f".. source-file:: {snippet}\n")
        page.parent.mkdir(parents=True, exist_ok=True)
        if not page.exists() or page.read_text() != text:
            page.write_text(text)
    for old in out.rglob("*.rst") if out.exists() else []:
        if old not in wanted:
            old.unlink()


def setup(app: Sphinx) -> dict:
    app.add_config_value("ce_snippet_root", "", "env")
    app.add_config_value("ce_verify_root", "", "env")
    # Set only by tools/serve.py for its first render after an edit; never by make book.
    app.add_config_value("ce_allow_pending", False, "")
    app.add_directive("snippet", SnippetDirective)
    app.add_directive("tool-output", ToolOutputDirective)
    app.connect("builder-inited", write_source_pages)
    app.connect("env-purge-doc", purge_listings)
    app.connect("env-merge-info", merge_listings)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
