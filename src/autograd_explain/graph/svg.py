"""Render a laid-out view as a standalone SVG string (no graphviz needed)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .labels import FLAG_WORDS, PROBLEMS, module_groups
from .layout import LINE_H, PAD_Y, TITLE_H, Layout
from .view import View, VNode

#: Longer edge labels (chains of shape ops) are drawn as "⋯" with the words in a tooltip.
EDGE_LABEL_MAX = 12

_STYLE = """
.n rect{fill:#f4f6fb;stroke:#7a869a;stroke-width:1}
.n text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#1f2430}
.n .t{font-size:12px;font-weight:600}.n .d{font-size:11px;fill:#4a5263}
.leaf rect{fill:#e7f5e9;stroke:#4c9a5a}.input rect{fill:#f1f1f1;stroke:#9a9a9a;stroke-dasharray:4 2}
.output rect{fill:#e8f0ff;stroke:#2f5fb3;stroke-width:2}
.repeat rect{fill:#fff8e6;stroke:#c79a2b;stroke-dasharray:6 3}.more rect{fill:#fafafa;stroke:#999;stroke-dasharray:2 3}
.problem rect{fill:#ffecec;stroke:#d1242f;stroke-width:2.5}.problem .d{fill:#a40e26}
.highlight rect{stroke:#e36209;stroke-width:3}
.e path{fill:none;stroke:#8892a6;stroke-width:1.2;marker-end:url(#ae-arrow)}
.m rect{fill:#f7f3ff;fill-opacity:.55;stroke:#b9a7e0;stroke-dasharray:5 3}
.m text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:10px;fill:#6a55a3}
.e text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:10px;fill:#6b7385;paint-order:stroke;stroke:#fff;stroke-width:3px}
"""


def render_svg(view: View, layout: Layout, title: str = "autograd graph") -> str:
    """A complete ``<svg>`` document; every label is XML-escaped."""
    width, height = max(layout.width, 120.0), max(layout.height, 40.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" class="ae-gradgraph">',
        f"<title>{escape(title)}</title>",
        "<defs><marker id=\"ae-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
        "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#8892a6\"/>"
        "</marker></defs>",
        f"<style>{_STYLE}</style>",
    ]
    for name, members in module_groups(view).items():
        parts.append(_group(name, [layout.boxes[k] for k in members]))
    for route in layout.routes:
        parts.append(_edge(route.points, route.label, view.nodes[route.src].key, view.nodes[route.dst].key))
    for node, box in zip(view.nodes, layout.boxes):
        parts.append(_node(node, box.x, box.y, box.w, box.h))
    parts.append("</svg>")
    return "\n".join(parts)


def _group(name: str, boxes: list) -> str:  # type: ignore[type-arg]
    """A labelled background behind the boxes of one ``nn.Module`` block."""
    left = min(b.x - b.w / 2 for b in boxes) - 8
    right = max(b.x + b.w / 2 for b in boxes) + 8
    top = min(b.y for b in boxes) - 16
    bottom = max(b.y + b.h for b in boxes) + 6
    return (f'<g class="m" data-module={quoteattr(name)}><rect x="{left:.1f}" y="{top:.1f}" '
            f'width="{right - left:.1f}" height="{bottom - top:.1f}" rx="8"/>'
            f'<text x="{left + 6:.1f}" y="{top + 11:.1f}">{escape(name)}</text></g>')


def _edge(points: list[tuple[float, float]], label: str, src: str, dst: str) -> str:
    d = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        mid = (y1 + y2) / 2
        d.append(f"C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}")
    text = tip = ""
    if label:
        k = (len(points) - 1) // 2
        (x1, y1), (x2, y2) = points[k], points[k + 1]
        # Long chains of shape ops collide at fan-outs: show a mark, keep the words in the tooltip.
        shown = label
        if len(label) > EDGE_LABEL_MAX:
            count = label.rsplit(" ", 1)[1] if " ×" in label else ""
            shown = f"⋯ {count}".strip()
        tip = f"<title>{escape(label)}</title>"
        text = f'<text x="{(x1 + x2) / 2 + 4:.1f}" y="{(y1 + y2) / 2 + 3:.1f}">{escape(shown)}</text>'
    return f'<g class="e" data-src="{src}" data-dst="{dst}">{tip}<path d="{"".join(d)}"/>{text}</g>'


def _node(node: VNode, x: float, y: float, w: float, h: float) -> str:
    classes = ["n", node.kind]
    if any(flag in PROBLEMS for flag in node.flags):
        classes.append("problem")
    if "highlight" in node.flags:
        classes.append("highlight")
    attrs = f'id={quoteattr("ae-" + node.key)} class="{" ".join(classes)}"'
    if node.module:
        attrs += f" data-module={quoteattr(node.module)}"
    tip = node.tooltip or node.title
    if node.flags:
        tip += "\n" + ", ".join(FLAG_WORDS.get(f, f) for f in node.flags)
    out = [f"<g {attrs}><title>{escape(tip)}</title>",
           f'<rect x="{x - w / 2:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5"/>']
    baseline = y + PAD_Y + TITLE_H - 4
    out.append(f'<text class="t" x="{x:.1f}" y="{baseline:.1f}" text-anchor="middle">{escape(node.title)}</text>')
    for k, line in enumerate(node.lines):
        ly = baseline + LINE_H * (k + 1)
        out.append(f'<text class="d" x="{x:.1f}" y="{ly:.1f}" text-anchor="middle">{escape(line)}</text>')
    out.append("</g>")
    return "".join(out)
