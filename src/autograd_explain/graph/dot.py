"""Render a view as graphviz DOT source (needs no graphviz package)."""

from __future__ import annotations

from .labels import PROBLEMS, module_groups
from .view import View, VNode

_FILL = {"leaf": "#e7f5e9", "input": "#f1f1f1", "output": "#e8f0ff", "repeat": "#fff8e6",
         "more": "#fafafa", "op": "#f4f6fb"}


def dot_string(text: str) -> str:
    """A DOT double-quoted string: backslashes, quotes and newlines escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render_dot(view: View, name: str = "gradgraph") -> str:
    lines = [f"digraph {dot_string(name)} {{",
             '  graph [rankdir=TB, nodesep=0.25, ranksep=0.35];',
             '  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=11];',
             '  edge [color="#8892a6", fontsize=9, fontname="monospace"];']
    grouped: set[int] = set()
    for k, (module, members) in enumerate(module_groups(view).items()):
        lines.append(f"  subgraph cluster_{k} {{")
        lines.append(f'    label={dot_string(module)}; style="rounded,dashed"; color="#b9a7e0";')
        for index in members:
            node = view.nodes[index]
            lines.append(f"    {node.key} [{_node_attrs(node)}];")
            grouped.add(index)
        lines.append("  }")
    for index, node in enumerate(view.nodes):
        if index not in grouped:
            lines.append(f"  {node.key} [{_node_attrs(node)}];")
    for edge in view.edges:
        attrs = []
        label = edge.label + (f" ×{edge.count}" if edge.count > 1 else "")
        if label.strip():
            attrs.append(f"label={dot_string(label.strip())}")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {view.nodes[edge.src].key} -> {view.nodes[edge.dst].key}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_attrs(node: VNode) -> str:
    problem = any(flag in PROBLEMS for flag in node.flags)
    fill = "#ffecec" if problem else _FILL.get(node.kind, "#f4f6fb")
    attrs = [f"label={dot_string(chr(10).join([node.title, *node.lines]))}", f"fillcolor={dot_string(fill)}"]
    if problem:
        attrs += ['color="#d1242f"', "penwidth=2.5"]
    elif "highlight" in node.flags:
        attrs += ['color="#e36209"', "penwidth=3"]
    if node.kind in ("repeat", "more", "input"):
        attrs.append('style="rounded,filled,dashed"')
    if node.tooltip:
        attrs.append(f"tooltip={dot_string(node.tooltip)}")
    return ", ".join(attrs)
