"""Repairs Debian's furo 2022.12.07 at build time, from the installed package.

The packaged theme has three defects:
  1. furo.css starts with ``@import url(/javascript/normalize.css/normalize.css)``,
     a path that exists on no static host;
  2. furo.js is an ES module (``import Gumshoe from ...``) loaded as a classic script,
     so the theme toggle and the scroll-spy never run;
  3. the compiled CSS lacks the ``prefers-color-scheme: dark`` block, so "auto" never
     turns dark.
Fixed copies are generated into the build folder and put first on the static path,
where they replace the theme's files of the same name. Nothing of the theme is
committed. A furo whose files no longer match these patterns stops the build.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

NORMALIZE = Path("/usr/share/javascript/normalize.css/normalize.css")
IMPORT = "@import url(/javascript/normalize.css/normalize.css);"
DARK_BLOCK = re.compile(r'@media not print \{\s*body\[data-theme="dark"\] \{([^}]*)\}')


def furo_static() -> Path:
    import furo

    return Path(furo.__file__).parent / "theme" / "furo" / "static"


def repaired_css(css: str) -> str:
    if IMPORT not in css:
        raise ExtensionError("theme_repair: furo.css no longer imports normalize.css; check the theme")
    dark = DARK_BLOCK.search(css)
    if not dark:
        raise ExtensionError("theme_repair: furo.css has no dark-theme block to mirror")
    auto_dark = (
        "\n@media not print { @media (prefers-color-scheme: dark) {\n"
        f'  body:not([data-theme="light"]) {{{dark.group(1)}}}\n'
        '  html body:not([data-theme="light"]) .only-light { display: none !important; }\n'
        '  body:not([data-theme="light"]) .only-dark { display: block !important; }\n'
        "} }\n")
    return NORMALIZE.read_text() + "\n" + css.replace(IMPORT, "", 1) + auto_dark


def repaired_js(furo_js: str, gumshoe_js: str) -> str:
    importer = 'import Gumshoe from "./gumshoe-patched.js";'
    if importer not in furo_js:
        raise ExtensionError("theme_repair: furo.js no longer imports Gumshoe; check the theme")
    # The UMD wrapper of gumshoe sets window.Gumshoe when neither AMD nor CommonJS is
    # present, so both files run as one classic script.
    return ("(function () {\n" + gumshoe_js + "\n" + furo_js.replace(importer, "", 1) + "\n})();\n")


def write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def generate(app: Sphinx, config: Config) -> None:
    static = furo_static()
    out = Path(app.outdir).parent / "theme-repair"
    write_if_changed(out / "styles" / "furo.css",
                     repaired_css((static / "styles" / "furo.css").read_text()))
    write_if_changed(out / "scripts" / "furo.js",
                     repaired_js((static / "scripts" / "furo.js").read_text(),
                                 (static / "scripts" / "gumshoe-patched.js").read_text()))
    config.html_static_path = [str(out)] + list(config.html_static_path)


def drop_unused_frameworks(app: Sphinx) -> None:
    """Sphinx 5.3 loads jQuery and underscore on every page for old extensions; nothing
    this book uses needs them (doctools, search, furo and the copy buttons are plain JS), and
    they would be a third of a page's weight."""
    if hasattr(app.builder, "script_files"):
        unused = {"_static/jquery.js", "_static/underscore.js",
                  "_static/_sphinx_javascript_frameworks_compat.js"}
        app.builder.script_files[:] = [js for js in app.builder.script_files
                                       if str(js) not in unused]


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", generate)
    app.connect("builder-inited", drop_unused_frameworks)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
