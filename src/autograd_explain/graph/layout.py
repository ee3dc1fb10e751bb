"""A layered (Sugiyama-style) layout of a :class:`~.view.View`, in pure Python.

Steps, each linear or near-linear in the size of the view:

1. rank = longest distance from the output (Kahn's algorithm), drawn
   inputs-on-top so data flows down;
2. edges spanning several ranks get invisible dummy points so they route
   around boxes (capped, so a pathological view cannot explode);
3. order inside each rank by repeated barycentre sweeps (fewer crossings);
4. x positions: each sweep pulls a box towards the mean of its neighbours,
   then a left-packed and a right-packed placement (both respecting order and
   spacing) are averaged, which keeps every gap legal.

Why not graphviz: ``dot`` is not pip-installable, and its network-simplex
ranking and spline routing are what make torchviz take minutes on a 3k-node
LSTM. We draw far fewer boxes (see :mod:`.view`), so a simple layout suffices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .view import View

CHAR_W = 7.4        # width of one character of the 12px bold title font (with margin)
LINE_CHAR_W = 6.8   # width of one character of the 11px detail font (with margin)
TITLE_H = 16.0
LINE_H = 14.0
PAD_X = 10.0
PAD_Y = 6.0
SEP = 18.0
ROW_GAP = 34.0
MARGIN = 12.0
DUMMY_W = 8.0


@dataclass
class Box:
    x: float   # centre
    y: float   # top
    w: float
    h: float


@dataclass
class Route:
    src: int
    dst: int
    points: list[tuple[float, float]]
    label: str = ""


@dataclass
class Layout:
    boxes: list[Box]
    routes: list[Route]
    width: float
    height: float
    ranks: list[int] = field(default_factory=list)


def box_size(title: str, lines: list[str]) -> tuple[float, float]:
    width = max([len(title) * CHAR_W] + [len(line) * LINE_CHAR_W for line in lines]) + 2 * PAD_X
    height = 2 * PAD_Y + TITLE_H + LINE_H * len(lines)
    return max(width, 44.0), height


def layout(view: View) -> Layout:
    """Place every box and route every edge of ``view``."""
    n = len(view.nodes)
    sizes = [box_size(node.title, node.lines) for node in view.nodes]
    rank = _ranks(n, view)
    chains, rank_of, widths = _with_dummies(view, rank, sizes)
    up, down = _neighbours(chains, len(rank_of))
    rows = _initial_rows(view.root, rank_of, up)
    _order(rows, up, down)
    xs = _place_x(rows, widths, up, down)
    heights = [sizes[i][1] if i < n else 0.0 for i in range(len(rank_of))]
    top_of_row = _row_tops(rows, heights)
    boxes = []
    depth = len(rows) - 1
    for i in range(n):
        row = depth - rank_of[i]
        boxes.append(Box(xs[i], top_of_row[row], sizes[i][0], sizes[i][1]))
    routes = _routes(view, chains, xs, rank_of, top_of_row, boxes, depth)
    width = max((b.x + b.w / 2 for b in boxes), default=0.0) + MARGIN
    height = (top_of_row[-1] + max((heights[i] for i in rows[-1]), default=0.0) + MARGIN) if rows else 0.0
    return Layout(boxes, routes, width, height, [rank_of[i] for i in range(n)])


def _ranks(n: int, view: View) -> list[int]:
    inputs_of: list[list[int]] = [[] for _ in range(n)]
    pending = [0] * n
    for edge in view.edges:
        inputs_of[edge.dst].append(edge.src)
        pending[edge.src] += 1
    rank = [0] * n
    queue = [view.root]
    seen = [False] * n
    seen[view.root] = True
    for u in queue:
        for src in inputs_of[u]:
            rank[src] = max(rank[src], rank[u] + 1)
            pending[src] -= 1
            if pending[src] == 0 and not seen[src]:
                seen[src] = True
                queue.append(src)
    return rank


def _with_dummies(view: View, rank: list[int], sizes: list[tuple[float, float]]
                  ) -> tuple[list[list[int]], list[int], list[float]]:
    """One chain of layout ids per edge, from input down to consumer."""
    n = len(view.nodes)
    rank_of = list(rank)
    widths = [w for w, _ in sizes]
    budget = 4 * n + 200
    chains = []
    for edge in view.edges:
        span = rank[edge.src] - rank[edge.dst]
        chain = [edge.src]
        if 1 < span <= budget:
            budget -= span - 1
            for r in range(rank[edge.src] - 1, rank[edge.dst], -1):
                chain.append(len(rank_of))
                rank_of.append(r)
                widths.append(DUMMY_W)
        chain.append(edge.dst)
        chains.append(chain)
    return chains, rank_of, widths


def _neighbours(chains: list[list[int]], total: int) -> tuple[list[list[int]], list[list[int]]]:
    up: list[list[int]] = [[] for _ in range(total)]     # inputs (row above)
    down: list[list[int]] = [[] for _ in range(total)]   # consumers (row below)
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            up[b].append(a)
            down[a].append(b)
    return up, down


def _initial_rows(root: int, rank_of: list[int], up: list[list[int]]) -> list[list[int]]:
    """Rows from top (deepest rank) to bottom (the output), in discovery order."""
    depth = max(rank_of, default=0)
    rows: list[list[int]] = [[] for _ in range(depth + 1)]
    seen = [False] * len(rank_of)
    stack = [root]
    seen[root] = True
    while stack:
        u = stack.pop()
        rows[depth - rank_of[u]].append(u)
        for v in reversed(up[u]):
            if not seen[v]:
                seen[v] = True
                stack.append(v)
    for u in range(len(rank_of)):
        if not seen[u]:
            rows[depth - rank_of[u]].append(u)
    return rows


def _order(rows: list[list[int]], up: list[list[int]], down: list[list[int]], sweeps: int = 4) -> None:
    pos = [0.0] * sum(len(r) for r in rows)
    for row in rows:
        for k, u in enumerate(row):
            pos[u] = k
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        sequence = rows[1:] if downward else rows[-2::-1]
        for row in sequence:
            if len(row) < 2:
                continue
            neighbours = up if downward else down
            keys = {}
            at = pos.__getitem__
            for u in row:
                ns = neighbours[u]
                if not ns:
                    keys[u] = pos[u]
                elif len(ns) == 1:
                    keys[u] = pos[ns[0]]
                else:
                    keys[u] = sum(map(at, ns)) / len(ns)
            row.sort(key=keys.__getitem__)
            for k, u in enumerate(row):
                pos[u] = k


def _place_x(rows: list[list[int]], widths: list[float], up: list[list[int]],
             down: list[list[int]]) -> list[float]:
    xs = [0.0] * len(widths)
    for row in rows:
        x = MARGIN
        for u in row:
            xs[u] = x + widths[u] / 2
            x += widths[u] + SEP
    at = xs.__getitem__
    for sweep in range(4):
        downward = sweep % 2 == 0
        sequence = rows if downward else rows[::-1]
        neighbours = up if downward else down
        for row in sequence:
            if len(row) == 1:  # most rows of a folded graph: no packing needed
                u = row[0]
                ns = neighbours[u]
                if ns:
                    xs[u] = xs[ns[0]] if len(ns) == 1 else sum(map(at, ns)) / len(ns)
                continue
            targets = []
            for u in row:
                ns = neighbours[u]
                if not ns:
                    targets.append(xs[u])
                elif len(ns) == 1:
                    targets.append(xs[ns[0]])
                else:
                    targets.append(sum(map(at, ns)) / len(ns))
            _pack(row, targets, widths, xs)
    low = min((xs[u] - widths[u] / 2 for row in rows for u in row), default=MARGIN)
    return [x - low + MARGIN for x in xs]


def _pack(row: list[int], targets: list[float], widths: list[float], xs: list[float]) -> None:
    """Average of a left-packed and a right-packed placement near ``targets``."""
    count = len(row)
    if not count:
        return
    left = list(targets)
    for k in range(1, count):
        gap = (widths[row[k - 1]] + widths[row[k]]) / 2 + SEP
        left[k] = max(left[k], left[k - 1] + gap)
    right = list(targets)
    for k in range(count - 2, -1, -1):
        gap = (widths[row[k]] + widths[row[k + 1]]) / 2 + SEP
        right[k] = min(right[k], right[k + 1] - gap)
    for k, u in enumerate(row):
        xs[u] = (left[k] + right[k]) / 2


def _row_tops(rows: list[list[int]], heights: list[float]) -> list[float]:
    tops = []
    y = MARGIN
    for row in rows:
        tops.append(y)
        y += max((heights[u] for u in row), default=0.0) + ROW_GAP
    return tops


def _routes(view: View, chains: list[list[int]], xs: list[float], rank_of: list[int],
            tops: list[float], boxes: list[Box], depth: int) -> list[Route]:
    routes = []
    for edge, chain in zip(view.edges, chains):
        src, dst = boxes[edge.src], boxes[edge.dst]
        points = [(src.x, src.y + src.h)]
        for u in chain[1:-1]:
            y = tops[depth - rank_of[u]]
            points.append((xs[u], y))
        points.append((dst.x, dst.y))
        label = edge.label
        if edge.count > 1:
            label = f"{label} ×{edge.count}".strip()
        routes.append(Route(edge.src, edge.dst, points, label))
    return routes
