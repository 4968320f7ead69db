"""Sphinx configuration for C++ Core Engineering. Sources live in docs/; the build
(Makefile) runs `sphinx-build -c . docs build/html` after the snippets were verified and
Doxygen wrote build/doxygen/xml."""

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

project = "C++ Core Engineering"
author = "The C++ Core Engineering authors"
copyright = "2026, the C++ Core Engineering authors"
release = "0.1.0"

root_doc = "index"
extensions = ["sphinx.ext.graphviz", "breathe", "snippet", "copyable", "book", "bench_results", "coverage_summary", "theme_repair"]
exclude_patterns = ["_ext", "_static", "_data", "Doxyfile"]
templates_path = ["_templates"]

primary_domain = "cpp"
highlight_language = "none"
nitpicky = True
# POSIX types in signatures (ce::subprocess::pid) have no C++ documentation to link to.
nitpick_ignore = [("cpp:identifier", "ce"), ("cpp:identifier", "ce::http"), ("cpp:identifier", "std"), ("cpp:identifier", "::pid_t")]
nitpick_ignore_regex = [("cpp:identifier", r"std::.*"),
                        # Awaiter types are named in signatures but documented through the
                        # function that returns them (what co_await on it yields).
                        ("cpp:identifier", r"\w+_awaiter"),
                        # Sphinx 5.3's C++ parser reads `operator co_await` as a name.
                        ("cpp:identifier", "co_await")]

breathe_projects = {"ce": str(ROOT / "build" / "doxygen" / "xml")}
breathe_default_project = "ce"
breathe_default_members = ()
breathe_show_include = True

# The snippet directive reads sources and this build's verification results; the
# chapters, in book order, make the home page's map (unwritten ones show as such).
# Every page is re-read when the extensions that render it change, as when conf.py does.
ce_extensions_digest = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted((ROOT / "docs" / "_ext").glob("*.py")))).hexdigest()
ce_snippet_root = str(ROOT / "snippets")
ce_verify_root = str(ROOT / "build" / "verify")
ce_bench_results = str(ROOT / "build" / "bench" / "results")
# make coverage's report (tools/coverage.py) and the gate it enforces; the HTML report is
# published as coverage/index.html beside the book's pages.
ce_coverage_summary = str(ROOT / "build" / "coverage" / "summary.json")
ce_coverage_gate = str(ROOT / "docs" / "_data" / "coverage.json")
ce_chapter_titles = [
    ("foundations", "Foundations", "Data, objects, functions, types, errors and logs, seen from Python."),
    ("design_patterns", "Design patterns", "Decorators, generators, context managers, injection, middleware, lifecycle."),
    ("concurrency", "Concurrency", "Threads, processes, the GIL, and which work belongs where."),
    ("async_patterns", "Async patterns", "Coroutines, an event loop, cancellation and backpressure."),
    ("performance", "Performance", "Profiling, memory, benchmarks and optimisation, measured."),
    ("testing", "Testing", "doctest, fixtures and fakes, coverage, testable design."),
    ("packaging", "Packaging", "CMake, presets, dependencies, versions, and shipping ce itself."),
    ("examples", "Examples", "A small event-driven service built from the book's parts."),
]

# Diagrams (chapter 8) as SVG, drawn by Graphviz's dot at build time.
graphviz_output_format = "svg"

html_theme = "furo"
html_title = "C++ Core Engineering"
html_static_path = ["docs/_static"]
# coverage/index.html: absent only in the live server's first pass, before make coverage.
html_extra_path = [p for p in [str(ROOT / "build" / "coverage" / "site")] if Path(p).is_dir()]
html_css_files = ["ce.css"]
html_js_files = [("copy_code.js", {"defer": "defer"})]
html_favicon = "docs/_static/favicon.svg"
html_copy_source = False
html_show_sourcelink = False
# Each page result quotes the text around the word found. Sphinx lists results at once
# and fills the quotes in as the pages arrive. Chapters rank above API entries.
html_show_search_summary = True
html_search_scorer = str(ROOT / "docs" / "_static" / "scorer.js")
html_theme_options = {
    "source_repository": "",
    "navigation_with_keys": True,
}
html_codeblock_linenos_style = "table"

# Listings are numbered per topic page: "Listing 1.6.2" is the second listing of
# topic 6 of chapter 1 (the root toctree is :numbered:).
numfig = True
numfig_secnum_depth = 2
numfig_format = {"code-block": "Listing %s", "figure": "Figure %s", "table": "Table %s",
                 "section": "Section %s"}
