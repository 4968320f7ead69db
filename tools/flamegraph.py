#!/usr/bin/env python3
"""Draws a flame graph, as SVG, from the call stacks `perf script` prints.

    perf record -e cpu-clock --call-graph dwarf -o perf.data PROGRAM
    perf script -i perf.data | flamegraph.py --title "..." > flame.svg

Each sample's stack is folded into one line (outermost frame first), identical stacks
are counted, and every frame becomes a box as wide as the share of samples that had it
on the stack at that depth; a box's children sit on top of it, sorted by name, so the
picture does not depend on the order the samples came in. Width is time (the share of
samples), not a timeline. Hovering a box shows its name, samples and share.

The same idea as Brendan Gregg's flamegraph.pl, written for this book so that the
build needs nothing outside Debian's packages. A summary line goes to standard error:
the sample count and the hottest leaf frames.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import re
import sys
from collections import Counter

FRAME = re.compile(r"^\s+[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?\s+\((.*)\)$")
WIDTH = 1100
ROW = 17
FONT = 11
CHAR = 6.6  # average glyph width at FONT px in a monospace-ish sans
MIN_WIDTH = 0.5  # px: narrower boxes are left out (their samples still count above)


def short_name(name: str) -> str:
    """'std::_Hashtable<std::string, ...>::_M_find' -> 'std::_Hashtable<…>::_M_find': template
    arguments make C++ frames too long to read in a box; the hover text keeps them."""
    out, depth = [], 0
    for c in name:
        if c == "<":
            if depth == 0:
                out.append("<…")
            depth += 1
        elif c == ">" and depth:
            depth -= 1
            if depth == 0:
                out.append(">")
        elif depth == 0:
            out.append(c)
    return "".join(out) if depth == 0 else name


def fold(lines) -> Counter:
    """'root;child;leaf' -> samples, from perf script's sample blocks."""
    stacks: Counter = Counter()
    frames: list[str] = []

    def flush() -> None:
        if frames:
            stacks[";".join(reversed(frames))] += 1
        frames.clear()

    for line in lines:
        if not line.strip():
            flush()
            continue
        match = FRAME.match(line)
        if match:
            name = match.group(1)
            if name == "[unknown]":
                name = f"[{match.group(2).rsplit('/', 1)[-1]}]"
            frames.append(name)
        else:
            flush()  # a sample's header line
    flush()
    return stacks


class Node:
    def __init__(self, name: str):
        self.name = name
        self.samples = 0
        self.children: dict[str, Node] = {}


def tree(stacks: Counter) -> Node:
    root = Node("all")
    for stack, count in stacks.items():
        root.samples += count
        node = root
        for name in stack.split(";"):
            node = node.children.setdefault(name, Node(name))
            node.samples += count
    return root


def colour(name: str) -> str:
    """Warm colours, stable per name (the same function has the same colour in every graph)."""
    h = hashlib.sha1(name.encode()).digest()
    return f"rgb({205 + h[0] % 50},{80 + h[1] % 130},{30 + h[2] % 50})"


def depth_of(node: Node) -> int:
    return 1 + max((depth_of(c) for c in node.children.values()), default=0)


def render(root: Node, title: str) -> str:
    depth = depth_of(root)
    top = 34
    height = top + depth * ROW + 8
    scale = WIDTH / root.samples
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ce-flamegraph" viewBox="0 0 {WIDTH} {height}" '
           f'width="100%" role="img" aria-label="{html.escape(title)}" font-family="ui-monospace, monospace" '
           f'font-size="{FONT}">',
           f'<title>{html.escape(title)}</title>',
           f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="13" class="ce-flame-title" '
           f'fill="currentColor">{html.escape(title)}</text>']

    def draw(node: Node, x: float, level: int) -> None:
        width = node.samples * scale
        if width < MIN_WIDTH:
            return
        y = height - 8 - (level + 1) * ROW
        share = 100 * node.samples / root.samples
        label = f"{node.name} ({node.samples} samples, {share:.1f}%)"
        out.append(f'<g><title>{html.escape(label)}</title>'
                   f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{ROW - 1}" rx="2" '
                   f'fill="{colour(node.name)}"/>')
        fits = int((width - 6) / CHAR)
        if fits >= 3:
            name = short_name(node.name)
            text = name if len(name) <= fits else name[:fits - 2] + ".."
            out.append(f'<text x="{x + 3:.1f}" y="{y + ROW - 5}" fill="#1a1a1a">{html.escape(text)}</text>')
        out.append("</g>")
        child_x = x
        for name in sorted(node.children):
            child = node.children[name]
            draw(child, child_x, level + 1)
            child_x += child.samples * scale

    draw(root, 0.0, 0)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--title", default="Flame graph")
    opts = parser.parse_args()
    stacks = fold(sys.stdin)
    if not stacks:
        print("flamegraph: no samples with call stacks on standard input "
              "(record with --call-graph)", file=sys.stderr)
        return 1
    root = tree(stacks)
    sys.stdout.write(render(root, opts.title))
    leaves: Counter = Counter()
    for stack, count in stacks.items():
        leaves[stack.rsplit(";", 1)[-1]] += count
    hottest = ", ".join(f"{short_name(name)} {100 * n / root.samples:.0f}%" for name, n in leaves.most_common(3))
    print(f"flamegraph: {root.samples} samples, {len(stacks)} distinct stacks, "
          f"{depth_of(root) - 1} frames deep\nhottest leaves: {hottest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
