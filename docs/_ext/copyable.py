"""A listing a reader can copy: what it uses, where that is shown, and its #includes.

Under each C++ listing the ``snippet`` directive adds, from uses.py's analysis of the
snippet file's AST:

* "Uses": each name the region refers to that its snippet file declares outside the
  region, linked to the listing that shows it (earlier on the page, preferably).
  A name that no listing of the book shows fails the build, naming the page, the line,
  the listing and the name.
* "Includes": the file's own ``#include`` lines the region needs (and a namespace-scope
  ``using namespace`` it relies on), with a "Copy with includes" button next to the
  listing's own copy button, which still copies exactly the region.

The listing's file link opens the file's full-source page at the region's lines. Those
pages (``.. source-file::``) show the whole file with line numbers, each region wrapped
in an element whose id is ``region-<name>`` (highlighted, strongly when it is the
link's target), and each line anchored as ``L<number>``.
"""

from __future__ import annotations

import html
import os
import time
from pathlib import Path

from docutils import nodes
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import regions
import uses

logger = logging.getLogger(__name__)


class source_lines_ref(nodes.Inline, nodes.TextElement):
    """A link to a region of a full-source page, resolved once pages have URIs."""


class uses_placeholder(nodes.General, nodes.Element):
    """The "Uses" and "Includes" lines of one listing, written once every page is read."""


def region_anchor(region: str) -> str:
    return f"region-{region}"


def databases(config) -> list[Path]:
    listed = config.ce_compile_databases
    return [Path(d) for d in (listed.split(",") if isinstance(listed, str) else listed)]


def analysis_for(env, snippet: str, source: Path) -> dict:
    """The cached AST analysis of a C++ snippet file, once per build and file."""
    memo = env.app.__dict__.setdefault("ce_uses_memo", {})
    if snippet not in memo:
        config = env.config
        memo[snippet] = uses.cached(source, snippet, databases(config), Path(config.ce_uses_cache),
                                    allow_stale=config.ce_allow_pending)
    return memo[snippet]


def refresh_analyses(app: Sphinx) -> None:
    """Parses the snippets whose analysis is out of date on every core at once, before
    the (serial) reading of pages asks for them. Not in the live server's first pass,
    which reuses the previous analysis."""
    if app.config.ce_allow_pending:
        return
    started = time.monotonic()
    parsed = uses.refresh_all(Path(app.config.ce_snippet_root), databases(app.config),
                              Path(app.config.ce_uses_cache), os.cpu_count() or 1)
    if parsed:
        logger.info(f"uses: analysed {len(parsed)} snippet(s) in {time.monotonic() - started:.1f} s")


def source_link(snippet: str, region: regions.Region | None, shown: str) -> nodes.Node:
    """The listing's link to its own lines on the file's full-source page."""
    node = source_lines_ref()
    node["snippet"] = snippet
    node += nodes.literal(shown, shown)
    if region is not None:
        first, last = region.start + 1, region.end - 1
        text = f" · line {first}" if first == last else f" · lines {first}–{last}"
        node["anchor"] = region_anchor(region.name)
        node += nodes.Text(text)
    return node


def attach(directive: SphinxDirective, wrapper: nodes.Element, snippet: str, region: str,
           source: Path, kind: str) -> None:
    """Adds the listing's uses and includes (C++ code listings only) to ``wrapper`` and to
    the listing's record (the last one recorded for this page)."""
    if not snippet.endswith(".cpp") or kind == "output":
        return
    env = directive.env
    try:
        analysis = analysis_for(env, snippet, source)
    except uses.UsesError as error:
        raise directive.error(str(error)) from None
    env.note_dependency(str(Path(env.config.ce_uses_cache) / f"{snippet}.json"))
    info = analysis["regions"].get(region)
    if info is None:  # the analysis is older than the file (live server's first pass)
        return
    listing = env.ce_listings[env.docname][-1]
    listing.update({"shows": info["shows"], "needs": info["uses"], "includes": info["includes"],
                    "usings": info["usings"], "lineno": directive.lineno})
    placeholder = uses_placeholder()
    placeholder["listing"] = listing["id"]
    wrapper += placeholder


def shown_where(env) -> dict[tuple[str, str], list[dict]]:
    """(snippet, name) -> the listings that show the name, in page order."""
    index: dict[tuple[str, str], list[dict]] = {}
    for per_doc in getattr(env, "ce_listings", {}).values():
        for listing in per_doc:
            for name in listing.get("shows", []):
                index.setdefault((listing["snippet"], name), []).append(listing)
    return index


def target_for(env, listing: dict, name: str, index) -> tuple[dict, str] | None:
    """Where a reader finds ``name``: the nearest listing above on the same page, else
    one below on it, else the first in the book. Returns it and "above"/"below"/""."""
    candidates = index.get((listing["snippet"], name), [])
    if not candidates:
        return None
    page = env.ce_listings.get(listing["docname"], [])
    position = {id(l): i for i, l in enumerate(page)}
    here = position.get(id(listing), 0)
    same = [c for c in candidates if c["docname"] == listing["docname"] and id(c) in position]
    above = [c for c in same if position[id(c)] < here]
    if above:
        return above[-1], "above"
    if same:
        return same[0], "below"
    from book import all_listings
    order = {id(l): i for i, l in enumerate(all_listings(env))}
    return min(candidates, key=lambda c: order.get(id(c), 0)), ""


def check_uses(app: Sphinx, env) -> None:
    """Every name a listing uses is shown by some listing of the book."""
    index = shown_where(env)
    for per_doc in getattr(env, "ce_listings", {}).values():
        for listing in per_doc:
            missing = [n for n in listing.get("needs", []) if (listing["snippet"], n) not in index]
            if missing:
                names = ", ".join(missing)
                logger.error(f"listing {listing['snippet']}#{listing['region']} ({listing['caption']!r}) "
                             f"uses {names}, declared in {listing['snippet']} but shown in no listing "
                             f"of the book: show {'it' if len(missing) == 1 else 'them'} in a region "
                             "and a listing, earlier on this page if possible",
                             location=(listing["docname"], listing.get("lineno")))


def render_uses(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    from book import link, listing_number

    env = app.env
    index = shown_where(env)
    by_id = {l["id"]: l for l in getattr(env, "ce_listings", {}).get(docname, [])}
    for ref in list(doctree.findall(source_lines_ref)):
        from snippet import source_page
        uri = app.builder.get_relative_uri(docname, source_page(ref["snippet"]))
        if ref.get("anchor"):
            uri += "#" + ref["anchor"]
        reference = nodes.reference("", "", *ref.children, internal=True, refuri=uri,
                                    classes=["ce-source-link"])
        reference["reftitle"] = "The whole file, at this listing's lines"
        ref.replace_self(reference)
    for placeholder in list(doctree.findall(uses_placeholder)):
        listing = by_id.get(placeholder["listing"])
        if listing is None:
            placeholder.replace_self([])
            continue
        box = nodes.container(classes=["ce-uses"])
        if listing["needs"]:
            para = nodes.paragraph(classes=["ce-uses-names"])
            para += nodes.strong("Uses ", "Uses ")
            for i, name in enumerate(listing["needs"]):
                if i:
                    para += nodes.Text(", ")
                found = target_for(env, listing, name, index)
                if found is None:
                    para += nodes.literal(name, name)
                    continue
                target, where = found
                number = listing_number(env, target)
                ref = link(app, docname, target["docname"], target["id"], nodes.literal(name, name))
                ref["reftitle"] = f"{number}: {target['caption']}"
                para += ref
                para += nodes.Text(f" ({number}{', ' + where if where else ''})")
            box += para
        lines = listing["includes"] + listing["usings"]
        if lines:
            para = nodes.paragraph(classes=["ce-includes"])
            para += nodes.strong("Includes ", "Includes ")
            # One plain <code> per line: a docutils literal wraps every word in a span,
            # which on a page of twenty listings is kilobytes of markup.
            para += nodes.raw("", " ".join(f'<code class="ce-include-line literal">{html.escape(line)}</code>'
                                           for line in lines), format="html")
            para += nodes.raw("", '<button type="button" class="ce-copy-includes" '
                                  'title="Copy the #include lines followed by the listing">'
                                  'Copy with includes</button>', format="html")
            box += para
        placeholder.replace_self(box if len(box) else [])


def snapshot(env) -> dict:
    return {key: [(l["docname"], l["id"]) for l in found] for key, found in shown_where(env).items()}


def note_reads(app: Sphinx, env, docnames) -> None:
    env.ce_shown_before = snapshot(env)


def rewrite_users(app: Sphinx, env) -> list[str]:
    """When which listing shows a name changed, pages that link to such a listing on
    another page are written again."""
    if getattr(env, "ce_shown_before", None) == snapshot(env):
        return []
    return sorted({l["docname"] for per_doc in getattr(env, "ce_listings", {}).values()
                   for l in per_doc if l.get("needs")} & env.found_docs)


class SourceFile(SphinxDirective):
    """The whole snippet file, with line numbers, line anchors and anchored regions."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        import snippet as snippet_ext

        snippet = self.arguments[0]
        source, shown = snippet_ext.snippet_file(self.config, snippet)
        self.env.note_dependency(str(source))
        verify_root = Path(self.config.ce_verify_root)
        self.env.note_dependency(str(snippet_ext.status_path(verify_root, snippet)))
        try:
            status = snippet_ext.load_status(verify_root, snippet, source, self.config.ce_allow_pending)
            found = regions.parse(source, shown)
            runs, pending = snippet_ext.split_pending(status["runs"], shown)
            line = snippet_ext.verification_line(runs, shown)
        except (snippet_ext.SnippetError, regions.RegionError) as error:
            raise self.error(str(error)) from None
        meta = nodes.paragraph(classes=["ce-listing-meta", "ce-source-meta"])
        meta += line
        if pending:
            meta += snippet_ext.pending_note(pending)
        out: list[nodes.Node] = [meta, snippet_ext.verification_record(source, shown, pending)]
        if found:
            index = nodes.paragraph(classes=["ce-source-regions"])
            index += nodes.strong("Regions ", "Regions ")
            for i, region in enumerate(sorted(found.values(), key=lambda r: r.start)):
                if i:
                    index += nodes.Text(" · ")
                index += nodes.reference("", "", nodes.literal(region.name, region.name),
                                         internal=True, refuri="#" + region_anchor(region.name))
                index += nodes.Text(f" {region.start + 1}–{region.end - 1}")
            out.append(index)
        code = render_source(source, found)
        out.append(nodes.raw("", code, format="html"))
        return out


def render_source(source: Path, found: dict[str, regions.Region]) -> str:
    """The file as Pygments HTML in a line-number table; each line is ``<span id=L<n>>``
    and each region a block ``<span id=region-<name>>`` around its lines, markers included."""
    text = source.read_text()
    language = regions.language_of(source)
    lexer = get_lexer_by_name(language)
    body = highlight(text, lexer, HtmlFormatter(nowrap=True))
    # nowrap output closes every token's span at the end of its line: lines split safely.
    lines = body.split("\n")
    count = len(text.splitlines())
    lines = lines[:count] + [""] * (count - len(lines))
    opens: dict[int, list[str]] = {}
    closes: dict[int, int] = {}
    for region in sorted(found.values(), key=lambda r: (r.start, -r.end)):
        opens.setdefault(region.start, []).append(region.name)
        closes[region.end] = closes.get(region.end, 0) + 1
    code = []
    for number, line in enumerate(lines, start=1):
        for name in opens.get(number, []):
            code.append(f'<span class="ce-region" id="{region_anchor(name)}" data-region="{html.escape(name)}">')
        code.append(f'<span class="ce-line" id="L{number}">{line}</span>\n')
        code.append("</span>" * closes.get(number, 0))
    numbers = "".join(f'<a href="#L{n}">{n}</a>\n' for n in range(1, count + 1))
    template = " ce-template" if source.suffix == ".in" else ""
    return (f'<div class="highlight-{language} notranslate ce-source{template}"><div class="highlight">'
            f'<table class="highlighttable"><tr><td class="linenos"><div class="linenodiv"><pre>{numbers}'
            f'</pre></div></td><td class="code"><div><pre><span></span>{"".join(code)}</pre></div></td>'
            f'</tr></table></div></div>')


def setup(app: Sphinx) -> dict:
    root = Path(__file__).resolve().parents[2]
    build = root / "build"
    app.add_config_value("ce_uses_cache", str(build / "uses"), "env")
    # The compile databases to read flags from, first found first: clang's flags are
    # libclang's own; g++'s parse as well.
    app.add_config_value("ce_compile_databases", [str(build / p / "compile_commands.json") for p in
                                                  ("clang-asan", "gcc-asan", "gcc-release", "clang-tsan")], "env")
    app.add_node(source_lines_ref)
    app.add_node(uses_placeholder)
    app.add_directive("source-file", SourceFile)
    app.add_js_file("copy_includes.js", defer="defer")
    app.connect("builder-inited", refresh_analyses)
    app.connect("env-check-consistency", check_uses)
    app.connect("env-before-read-docs", note_reads)
    app.connect("env-get-updated", rewrite_users)
    app.connect("doctree-resolved", render_uses)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
