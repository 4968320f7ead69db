"""Book-wide features that need every page: cross-references between prose, listings
and the API, the verification report, the home page's chapter map, and a search index
without C++ parameters.

* ``ce::name`` written as inline code in prose links to its API entry.
* Each API entry ends with the listings that use it ("Used in Listing 1.6.2 …").
* ``.. verification-report::`` renders every listing with its configurations.
* ``.. chapter-map::`` renders the chapters (``ce_chapter_titles`` in conf.py) and their topics.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.domains.cpp import CPPDomain
from sphinx.util.docutils import SphinxDirective

LITERAL_NAME = re.compile(r"^(ce::[a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)?)(?:<[^>]*>)?(?:\(\))?$")


class BookCPPDomain(CPPDomain):
    """The C++ domain, minus function and template parameters in the search index (a
    reader searching ``retry`` wants the function, not every parameter named so) and
    minus repeated overloads of one name."""

    def get_objects(self):
        # One entry per name: a constructor declared three times is one search result.
        seen = set()
        for entry in super().get_objects():
            if entry[2] not in ("functionParam", "templateParam") and entry[0] not in seen:
                seen.add(entry[0])
                yield entry


class report_placeholder(nodes.General, nodes.Element):
    pass


class map_placeholder(nodes.General, nodes.Element):
    pass


# Pages holding a summary directive, so that they are rewritten when what they summarise
# changes: the report shows listings' results, the map shows pages' titles.
SUMMARY_PAGES = ("ce_report_docs", "ce_map_docs")


def summary_pages(env, kind: str) -> set[str]:
    if not hasattr(env, kind):
        setattr(env, kind, set())
    return getattr(env, kind)


class VerificationReport(SphinxDirective):
    def run(self):
        summary_pages(self.env, "ce_report_docs").add(self.env.docname)
        return [report_placeholder()]


class ChapterMap(SphinxDirective):
    def run(self):
        summary_pages(self.env, "ce_map_docs").add(self.env.docname)
        return [map_placeholder()]


def purge_summary_pages(app: Sphinx, env, docname: str) -> None:
    for kind in SUMMARY_PAGES:
        summary_pages(env, kind).discard(docname)


def merge_summary_pages(app: Sphinx, env, docnames, other) -> None:
    for kind in SUMMARY_PAGES:
        summary_pages(env, kind).update(summary_pages(other, kind) & set(docnames))


def api_objects(env) -> dict[str, tuple[str, str]]:
    """Top-level ``ce::`` entities: name -> (docname, anchor)."""
    found = {}
    for name, _disp, objtype, docname, anchor, _prio in env.get_domain("cpp").get_objects():
        if name.startswith("ce::") and objtype not in ("functionParam", "templateParam"):
            found.setdefault(name, (docname, anchor))
    return found


def listing_number(env, listing: dict) -> str:
    numbers = env.toc_fignumbers.get(listing["docname"], {}).get("code-block", {}).get(listing["id"])
    return "Listing " + ".".join(map(str, numbers)) if numbers else "Listing"


def all_listings(env) -> list[dict]:
    listings = [l for per_doc in getattr(env, "ce_listings", {}).values() for l in per_doc]

    def order(listing):
        numbers = env.toc_fignumbers.get(listing["docname"], {}).get("code-block", {}).get(listing["id"])
        return (0, numbers) if numbers else (1, (listing["docname"], listing["id"]))

    return sorted(listings, key=order)


def link(app: Sphinx, fromdoc: str, todoc: str, anchor: str, *children: nodes.Node) -> nodes.reference:
    uri = app.builder.get_relative_uri(fromdoc, todoc) + (f"#{anchor}" if anchor else "")
    return nodes.reference("", "", *children, internal=True, refuri=uri)


def link_literals(app: Sphinx, doctree: nodes.document, docname: str, objects: dict) -> None:
    for literal in list(doctree.findall(nodes.literal)):
        if isinstance(literal.parent, (nodes.reference, addnodes.pending_xref, nodes.literal_block)):
            continue
        match = LITERAL_NAME.match(literal.astext())
        if not match or match.group(1) not in objects:
            continue
        todoc, anchor = objects[match.group(1)]
        if todoc == docname:
            continue
        literal.replace_self(link(app, docname, todoc, anchor, literal.deepcopy()))


def add_used_in(app: Sphinx, doctree: nodes.document, docname: str, objects: dict) -> None:
    here = {anchor: name for name, (todoc, anchor) in objects.items() if todoc == docname}
    if not here:
        return
    uses: dict[str, list[dict]] = {}
    for listing in all_listings(app.env):
        for used in listing["uses"]:
            uses.setdefault(f"ce::{used}", []).append(listing)
    for signature in doctree.findall(addnodes.desc_signature):
        name = next((here[i] for i in signature["ids"] if i in here), None)
        if not name or not uses.get(name):
            continue
        content = next((c for c in signature.parent.children if isinstance(c, addnodes.desc_content)), None)
        if content is None:
            continue
        para = nodes.paragraph(classes=["ce-used-in"])
        listed = uses[name]
        para += nodes.strong("Used in ", "Used in ")
        para += nodes.Text("listing " if len(listed) == 1 else "listings ")
        for i, listing in enumerate(listed):
            if i:
                para += nodes.Text(", ")
            number = listing_number(app.env, listing).removeprefix("Listing ")
            ref = link(app, docname, listing["docname"], listing["id"], nodes.Text(number))
            ref["reftitle"] = listing["caption"]
            para += ref
        content += para


def new_table(classes: list[str], columns: list[tuple[str, int]]) -> tuple[nodes.table, nodes.tbody]:
    """A table with a header row of ``(title, width)`` columns, and its empty body."""
    table = nodes.table(classes=classes)
    group = nodes.tgroup(cols=len(columns))
    table += group
    for _title, width in columns:
        group += nodes.colspec(colwidth=width)
    row = nodes.row()
    for title, _width in columns:
        row += nodes.entry("", nodes.paragraph(text=title))
    group += nodes.thead("", row)
    body = nodes.tbody()
    group += body
    return table, body


def render_report(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    from snippet import compilers, configurations  # the verification line's own wording

    for placeholder in list(doctree.findall(report_placeholder)):
        listings = all_listings(app.env)
        table, body = new_table(["ce-report"], [("Listing", 10), ("Caption", 34),
                                                ("Source region", 30), ("Result", 26)])
        for listing in listings:
            row = nodes.row()
            row += nodes.entry("", nodes.paragraph("", "", link(
                app, docname, listing["docname"], listing["id"], nodes.Text(listing_number(app.env, listing)))))
            kind = {"compile-fail": " (must not compile)", "output": " (output)",
                    "tool": " (tool output)"}.get(listing["kind"], "")
            row += nodes.entry("", nodes.paragraph(text=listing["caption"] + kind))
            row += nodes.entry("", nodes.paragraph("", "", nodes.literal(
                text=listing["snippet"] + ("" if listing["region"].startswith("@") else "#") + listing["region"])))
            ok = all(run["passed"] for run in listing["runs"])
            if listing["kind"] == "compile-fail":
                text = f"{'✓' if ok else '✗'} rejected by {compilers(listing['runs'])}"
            else:
                text = f"{'✓' if ok else '✗'} passed in {configurations(listing['runs'])}"
            row += nodes.entry("", nodes.paragraph(text=text, classes=["ce-pass"] if ok else []))
            body += row
        summary = nodes.paragraph(text=f"{len(listings)} listings, each verified in every configuration "
                                       "that applies to it, in the build that rendered this page.")
        placeholder.replace_self([summary, table])


def render_map(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    env = app.env
    for placeholder in list(doctree.findall(map_placeholder)):
        grid = nodes.container(classes=["ce-chapter-map"])
        # A chapter in preparation takes one line under the written ones, not a card.
        pending = nodes.bullet_list(classes=["ce-chapter-pending"])
        for number, (folder, title, blurb) in enumerate(app.config.ce_chapter_titles, start=1):
            index = f"{folder}/index"
            topics = env.toctree_includes.get(index, [])
            if not topics:
                pending += nodes.list_item("", nodes.paragraph(text=f"{number}. {title} — {blurb}"))
                continue
            card = nodes.container(classes=["ce-chapter"])
            heading = nodes.paragraph(classes=["ce-chapter-title"])
            label = nodes.Text(f"{number}. {title}")
            heading += link(app, docname, index, "", label) if index in env.all_docs else label
            card += heading
            card += nodes.paragraph(text=blurb)
            items = nodes.bullet_list()
            for topic in topics:
                title_node = env.titles.get(topic)
                text = title_node.astext() if title_node else topic
                items += nodes.list_item("", nodes.paragraph("", "", link(app, docname, topic, "", nodes.Text(text))))
            card += items
            grid += card
        replacement: list[nodes.Node] = [grid]
        if pending.children:
            replacement += [nodes.paragraph(text="In preparation:", classes=["ce-chapter-pending"]), pending]
        placeholder.replace_self(replacement)


def resolve(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    objects = api_objects(app.env)
    link_literals(app, doctree, docname, objects)
    add_used_in(app, doctree, docname, objects)
    render_report(app, doctree, docname)
    render_map(app, doctree, docname)


def listing_summary(env, docnames) -> tuple[list, list]:
    """What the summary pages show of these pages: their titles and listings (number,
    caption, what they use), and separately the listings' results, which only the
    verification report shows."""
    listings = getattr(env, "ce_listings", {})
    structure = [(d, env.titles[d].astext() if d in env.titles else None,
                  [(l["id"], l["caption"], l["uses"], l["kind"]) for l in listings.get(d, [])])
                 for d in sorted(docnames)]
    results = [(d, [l["runs"] for l in listings.get(d, [])]) for d in sorted(docnames)]
    return structure, results


def note_reads(app: Sphinx, env, docnames: list[str]) -> None:
    env.ce_read_docs = list(docnames)
    env.ce_summary_before = listing_summary(env, docnames)


def rewrite_aggregates(app: Sphinx, env) -> list[str]:
    """Pages that summarise other pages are rewritten when a re-read page changed what
    they summarise: the API pages and the chapter map when titles or listings changed,
    the verification report also when only results changed."""
    read = getattr(env, "ce_read_docs", [])
    if not read:
        return []
    structure, results = listing_summary(env, read)
    before_structure, before_results = getattr(env, "ce_summary_before", (None, None))
    aggregates: set[str] = set()
    if structure != before_structure:
        aggregates |= summary_pages(env, "ce_report_docs") | summary_pages(env, "ce_map_docs")
        aggregates |= {d for d in env.found_docs if d.startswith("api/")}
    if results != before_results:
        aggregates |= summary_pages(env, "ce_report_docs")
    return sorted(aggregates & env.found_docs)


def setup(app: Sphinx) -> dict:
    app.add_config_value("ce_chapter_titles", [], "env")
    app.add_config_value("ce_extensions_digest", "", "env")  # conf.py: a hash of docs/_ext
    app.add_domain(BookCPPDomain, override=True)
    app.add_node(report_placeholder)
    app.add_node(map_placeholder)
    app.add_directive("verification-report", VerificationReport)
    app.add_directive("chapter-map", ChapterMap)
    app.connect("env-before-read-docs", note_reads)
    app.connect("env-purge-doc", purge_summary_pages)
    app.connect("env-merge-info", merge_summary_pages)
    app.connect("env-get-updated", rewrite_aggregates)
    app.connect("doctree-resolved", resolve)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
