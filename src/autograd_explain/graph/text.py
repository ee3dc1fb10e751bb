"""Render a view as an indented tree for terminals (plain text or ``rich``).

The tree starts at the output and descends into inputs; a box reached a
second time (shared parameters, residual connections) is printed once and
then referred to by its id. Iterative, so depth never hits a recursion limit.
"""

from __future__ import annotations

from typing import Any

from .labels import FLAG_WORDS, PROBLEMS
from .view import View, VNode

Line = tuple[str, str, str]  # (tree prefix, text, style)


def tree_lines(view: View) -> list[Line]:
    inputs: list[list[tuple[int, str]]] = [[] for _ in view.nodes]
    for edge in view.edges:
        label = edge.label + (f" ×{edge.count}" if edge.count > 1 else "")
        inputs[edge.dst].append((edge.src, label.strip()))
    lines: list[Line] = []
    printed: set[int] = set()
    stack: list[tuple[int, str, str, bool, str]] = [(view.root, "", "", True, "")]
    while stack:
        u, prefix, child_prefix, _last, via = stack.pop()
        node = view.nodes[u]
        text = _describe(node) + (f"  (via {via})" if via else "")
        if u in printed:
            lines.append((prefix, f"↑ {node.title} [{node.key}] (shown above)", "dim"))
            continue
        printed.add(u)
        lines.append((prefix, text, _style(node)))
        kids = inputs[u]
        for k in range(len(kids) - 1, -1, -1):
            src, label = kids[k]
            last = k == len(kids) - 1
            branch = "└─ " if last else "├─ "
            extend = "   " if last else "│  "
            stack.append((src, child_prefix + branch, child_prefix + extend, last, label))
    return lines


def _describe(node: VNode) -> str:
    parts = [node.title, *node.lines]
    text = "  ".join(part for part in parts if part)
    if node.model is not None:
        text += f"  [{node.key}]"
    words = [FLAG_WORDS.get(f, f) for f in node.flags if f in PROBLEMS]
    if words and not any(line.startswith("⚠") for line in node.lines):
        text += "  ⚠ " + ", ".join(words)
    return text


def _style(node: VNode) -> str:
    if any(flag in PROBLEMS for flag in node.flags):
        return "bold red"
    if "highlight" in node.flags:
        return "bold yellow"
    return {"output": "bold blue", "leaf": "green", "input": "dim", "repeat": "yellow",
            "more": "dim"}.get(node.kind, "")


def render_text(view: View, header: str) -> str:
    body = [prefix + text for prefix, text, _ in tree_lines(view)]
    return "\n".join([header, *body]) + "\n"


def render_rich(view: View, header: str) -> Any:
    """A ``rich.text.Text`` with one styled line per box."""
    from rich.text import Text

    out = Text(header + "\n", style="bold")
    for prefix, text, style in tree_lines(view):
        out.append(prefix, style="dim")
        out.append(text + "\n", style=style or None)
    return out
