"""The public graph object: node/edge model, options, and its renderings.

``GradGraph`` keeps no tensor and no autograd node: the walk (:mod:`.walk`)
copies what it needs into :class:`~.walk.GraphData`, then lets go.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from . import ops
from .labels import label_view
from .layout import Layout, layout
from .safety import DEFAULT_MAX_NODES, paused_gc
from .view import View, build_view
from .walk import GraphData, Saved

JSON_VERSION = 1


@dataclass(frozen=True)
class Options:
    """How much to walk and how to draw it.

    ``max_nodes`` bounds the nodes we touch (see :mod:`.safety` for why),
    ``depth`` the distance from the output; ``max_draw`` the boxes drawn
    after collapsing (the rest is folded into a "more" box).
    """

    depth: int | None = None
    max_nodes: int = DEFAULT_MAX_NODES
    saved: bool = False
    collapse: bool = True
    highlight: tuple[str, ...] = ()
    max_draw: int | None = None
    name: str | None = None

    @property
    def draw_limit(self) -> int:
        """Boxes drawn before folding the deepest ranks (all of them without collapse)."""
        if self.max_draw is not None:
            return self.max_draw
        return 300 if self.collapse else max(self.max_nodes, 1) * 2


@dataclass(frozen=True)
class Node:
    """One autograd node (or a named input without grad), as plain data."""

    id: int
    kind: str            # "op", "leaf" (AccumulateGrad) or "input" (no grad)
    op: str              # autograd's name: "ExpBackward0", "AccumulateGrad", ""
    label: str           # the name users know: "exp", "linear", "leaf"
    name: str | None = None
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    module: str | None = None
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    constants: int = 0   # inputs that did not require grad (next_functions None)
    unvisited: int = 0   # inputs not walked because of max_nodes / depth
    saved: tuple[Saved, ...] = ()


@dataclass(frozen=True)
class Edge:
    """Data flows from ``src`` into ``dst`` (``src`` is in ``dst``'s next_functions)."""

    src: int
    dst: int


class GradGraph:
    """The autograd graph behind a tensor, ready to draw.

    Attributes:
        nodes: every walked node (ids in breadth-first order from the output).
        edges: one per non-``None`` entry of each node's ``next_functions``.
        view: what is drawn after collapsing (boxes and arrows).
        layout: positions of the view's boxes (pure-Python layered layout).
    """

    def __init__(self, data: GraphData, options: Options, view: View) -> None:
        self._data = data
        self.options = options
        self.view = view
        label_view(data, view, show_saved=options.saved)

    # -- the model -----------------------------------------------------------------
    @cached_property
    def nodes(self) -> list[Node]:
        d = self._data
        return [
            Node(i, d.kinds[i], d.ops[i], ops.op_label(d.ops[i]) if d.ops[i] else "input",
                 d.names.get(i), d.shapes.get(i), d.dtypes.get(i), d.modules.get(i),
                 tuple(d.flags.get(i, ())), tuple(d.notes.get(i, ())), d.constants.get(i, 0),
                 d.unvisited.get(i, 0), tuple(d.saved.get(i, ())))
            for i in range(len(d.ops))
        ]

    @cached_property
    def edges(self) -> list[Edge]:
        return [Edge(src, dst) for dst, ins in enumerate(self._data.inputs) for src in ins]

    @property
    def root(self) -> int:
        return self._data.root

    @property
    def truncated(self) -> bool:
        """True if ``max_nodes`` or ``depth`` stopped the walk before the leaves."""
        return bool(self._data.unvisited)

    def problems(self) -> dict[int, tuple[str, ...]]:
        """Node id -> problem flags (in-place culprit, freed buffers, no grad...)."""
        return {i: tuple(f) for i, f in self._data.flags.items() if f}

    @cached_property
    def layout(self) -> Layout:
        return layout(self.view)

    @property
    def height(self) -> float:
        return self.layout.height

    def summary(self) -> str:
        d = self._data
        who = d.output_name or "tensor"
        parts = [f"{who}: {len(d.ops):,} nodes, {len(self.view.nodes)} boxes"]
        hidden = {k: v for k, v in self.view.hidden.items() if v}
        if hidden:
            parts.append("hidden: " + ", ".join(f"{v:,} {k}" for k, v in hidden.items()))
        if d.unvisited:
            limit = (f"depth={self.options.depth}" if self.options.depth is not None
                     and len(d.ops) < self.options.max_nodes else f"max_nodes={self.options.max_nodes:,}")
            parts.append(f"walk stopped at {limit}")
        problems = sum(1 for f in d.flags.values() if set(f) - {"highlight", "truncated", "hooked"})
        if problems:
            parts.append(f"{problems} problem node(s)")
        return "; ".join(parts)

    # -- renderings ----------------------------------------------------------------
    def to_svg(self, engine: str = "builtin") -> str:
        """SVG text. ``engine="dot"`` lays out with graphviz when ``dot`` is on PATH."""
        if engine == "dot" and shutil.which("dot"):
            return run_dot(self.to_dot(), "svg").decode("utf-8")
        from .svg import render_svg

        with paused_gc():
            return render_svg(self.view, self.layout, self.summary())

    def to_dot(self) -> str:
        from .dot import render_dot

        return render_dot(self.view, self._data.output_name or "gradgraph")

    def to_text(self) -> str:
        from .text import render_text

        return render_text(self.view, self.summary())

    def __rich__(self) -> Any:
        from .text import render_rich

        return render_rich(self.view, self.summary())

    def to_json(self, indent: int | None = None) -> str:
        """The node/edge model and options; :meth:`from_json` rebuilds the graph."""
        d = self._data
        payload = {
            "version": JSON_VERSION,
            "root": d.root,
            "output_name": d.output_name,
            "options": asdict(self.options),
            "nodes": [_node_json(node) for node in self.nodes],
            "edges": [[e.src, e.dst] for e in self.edges],
        }
        return json.dumps(payload, indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "GradGraph":
        payload = json.loads(text)
        options = Options(**{**payload["options"], "highlight": tuple(payload["options"]["highlight"])})
        data = _data_from_json(payload)
        view, _ = build_view(data, collapse=options.collapse, highlight=frozenset(options.highlight),
                             max_draw=options.draw_limit)
        return cls(data, options, view)

    def save(self, path: str | Path) -> Path:
        """Write the graph; the format comes from the extension."""
        target = Path(path)
        suffix = target.suffix.lower()
        writers = {".svg": self.to_svg, ".dot": self.to_dot, ".gv": self.to_dot,
                   ".json": self.to_json, ".txt": self.to_text}
        if suffix in writers:
            target.write_text(writers[suffix](), encoding="utf-8")
        elif suffix in (".png", ".pdf"):
            if not shutil.which("dot"):
                raise RuntimeError(f"writing {suffix} needs the graphviz 'dot' program, which is not on PATH; "
                                   "use .svg (no graphviz needed)")
            target.write_bytes(run_dot(self.to_dot(), suffix[1:]))
        else:
            raise ValueError(f"unknown extension {suffix!r}: use .svg, .dot, .json, .txt, .png or .pdf")
        return target

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"image/svg+xml": self.to_svg(), "text/plain": self.to_text()}

    def __repr__(self) -> str:
        return f"<GradGraph {self.summary()}>"


def run_dot(source: str, fmt: str, timeout: float = 120.0) -> bytes:
    """Run graphviz ``dot -T<fmt>`` on ``source`` (caller checked it is on PATH)."""
    done = subprocess.run(["dot", f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
                          timeout=timeout, check=True)
    return done.stdout


def _node_json(node: Node) -> dict[str, Any]:
    out = asdict(node)
    out["saved"] = [asdict(s) for s in node.saved]
    sparse = ("flags", "notes", "constants", "unvisited", "saved")  # omitted when empty or 0
    return {k: v for k, v in out.items() if v is not None and (k not in sparse or v)}


def _data_from_json(payload: Mapping[str, Any]) -> GraphData:
    data = GraphData(root=payload["root"], output_name=payload.get("output_name"))
    for node in payload["nodes"]:
        i = data.add_node(node["op"], node["kind"])
        for key, column in (("name", data.names), ("module", data.modules), ("dtype", data.dtypes)):
            if node.get(key) is not None:
                column[i] = node[key]
        if node.get("shape") is not None:
            data.shapes[i] = tuple(node["shape"])
        if node.get("flags"):
            data.flags[i] = list(node["flags"])
        if node.get("notes"):
            data.notes[i] = list(node["notes"])
        if node.get("constants"):
            data.constants[i] = node["constants"]
        if node.get("unvisited"):
            data.unvisited[i] = node["unvisited"]
        if node.get("saved"):
            data.saved[i] = [Saved(**{**s, "shape": tuple(s["shape"]) if s.get("shape") else None})
                             for s in node["saved"]]
    for src, dst in payload["edges"]:
        data.inputs[dst].append(src)
    return data


def build(tensor: Any, namespace: Mapping[str, Any] | None, options: Options) -> GradGraph:
    """Walk, select what to draw, read the drawn nodes' shapes, then let go of torch."""
    from .naming import index_namespace
    from .walk import walk

    index = index_namespace(namespace)
    chosen: dict[str, View] = {}

    def select(data: GraphData) -> list[int]:
        view, drawn = build_view(data, collapse=options.collapse, highlight=frozenset(options.highlight),
                                 max_draw=options.draw_limit)
        chosen["view"] = view
        return drawn

    with paused_gc():
        try:
            data = walk(tensor, index, max_nodes=options.max_nodes, depth=options.depth,
                        saved=options.saved, output_name=options.name, select=select)
        finally:
            index.keep.clear()
            index.node_objects.clear()
        return GradGraph(data, options, chosen["view"])


__all__ = ["Edge", "GradGraph", "Node", "Options", "build"]
