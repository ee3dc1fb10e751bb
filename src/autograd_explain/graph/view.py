"""Decide what to draw: collapse repeated structure, keep every problem visible.

Input is the walked :class:`~.walk.GraphData`; output is a :class:`View`, a
small graph of :class:`VNode`/:class:`VEdge` in data-flow direction (inputs
to output). With ``collapse`` (the default):

* shape-only ops (``view``, ``t``, ``expand``...) become edge labels;
* a parameter used by a single op is written inside that op's box;
* repeated structure (an unrolled loop, identical transformer blocks) is found
  as a periodic run of ranks (distance from the output) with the same multiset
  of ops, and all but the first and last period are drawn as one box that says
  how many repeats and nodes it hides;
* past ``max_draw`` boxes, the deepest ranks become one "more" box.

Nothing flagged (in-place culprit, freed, highlighted...) is ever hidden.
"""

from __future__ import annotations

import bisect
import operator
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import chain, groupby

from . import ops
from .naming import block_of
from .walk import GraphData

#: Keep the first and the last period of a repeated run when both fit in this many ranks.
KEEP_BOTH_MAX_RANKS = 8


@dataclass
class VNode:
    """A box in the drawing. ``model`` is the model node id it stands for, if one."""

    key: str
    kind: str
    title: str
    lines: list[str] = field(default_factory=list)
    flags: tuple[str, ...] = ()
    tooltip: str = ""
    members: int = 1
    model: int | None = None
    module: str | None = None
    inlined: list[int] = field(default_factory=list)


@dataclass
class VEdge:
    """An arrow from ``src`` (an input) to ``dst`` (its consumer), view indices."""

    src: int
    dst: int
    label: str = ""
    count: int = 1


@dataclass
class View:
    nodes: list[VNode]
    edges: list[VEdge]
    root: int
    hidden: dict[str, int]


@dataclass
class _Reduced:
    """The graph after eliding shape ops and inlining parameters (model ids).

    ``ins[u]`` lists the distinct kept inputs of kept node ``u``; ``heads``
    gives, for an edge that passed through elided shape ops, the first of them.
    """

    keep: list[int]
    rep: list[int]
    inlined: dict[int, list[int]]
    ins: list[list[int]]
    heads: dict[tuple[int, int], int]
    hidden: dict[str, int]


def build_view(data: GraphData, *, collapse: bool = True, highlight: frozenset[str] = frozenset(),
               max_draw: int = 300) -> tuple[View, list[int]]:
    """Select and group the boxes to draw.

    Returns the view (labels not yet final: see :func:`label_view`) and the
    model ids that are drawn as their own box (whose shapes are worth reading).
    """
    _flag_highlights(data, highlight)
    reduced = _reduce(data, collapse)
    by_rank = _by_rank(_ranks(data.root, reduced))
    groups = [-1] * len(data.ops)  # model id -> box index (repeat or more), -1 if drawn alone
    boxes: list[tuple[str, list[int]]] = []
    repeats: dict[int, int] = {}  # box -> how many periods it hides
    if collapse:
        _collapse_repeats(data, reduced, by_rank, groups, boxes, repeats)
    _cut_to_budget(by_rank, groups, boxes, max_draw)
    return _assemble(data, reduced, groups, boxes, repeats)


def _flag_highlights(data: GraphData, highlight: frozenset[str]) -> None:
    if not highlight:
        return
    for i, name in data.names.items():
        if name in highlight or any(name.startswith(h + ".") for h in highlight):
            data.flag(i, "highlight")


def _reduce(data: GraphData, collapse: bool) -> _Reduced:
    n = len(data.ops)
    rep = list(range(n))
    hidden = {"shape ops": 0, "inlined parameters": 0}
    elided: set[int] = set()
    if collapse:
        shape_ops, flags, names, inputs = ops.SHAPE_OPS, data.flags, data.names, data.inputs
        candidates = [i for i, op in enumerate(data.ops) if op in shape_ops] if shape_ops else []
        for i in candidates:
            if len(inputs[i]) == 1 and i != data.root and i not in flags and i not in names:
                elided.add(i)
        hidden["shape ops"] = len(elided)
        if elided:
            elide = [False] * n
            for i in elided:
                elide[i] = True
            for i in sorted(elided):
                if rep[i] == i:
                    _resolve(i, data.inputs, elide, rep)
    ins: list[list[int]] = [[] for _ in range(n)]
    heads: dict[tuple[int, int], int] = {}
    users: dict[int, set[int]] = {}  # leaf -> its kept consumers
    kinds = data.kinds
    for u in range(n):
        if rep[u] != u:
            continue
        mine = ins[u]
        for c in data.inputs[u]:
            target = rep[c]
            if target not in mine:  # fan-in is small: a list scan beats a set
                mine.append(target)
            if target != c and (target, u) not in heads:
                heads[(target, u)] = c
            if kinds[target] == "leaf":
                users.setdefault(target, set()).add(u)
    inlined: dict[int, list[int]] = {}
    if collapse:
        for j, consumers in users.items():
            # Parameters and unnamed leaves go inside their op; the user's own
            # named tensors (x = torch.randn(..., requires_grad=True)) keep a box.
            named_variable = j in data.names and j not in data.modules
            if len(consumers) == 1 and j not in data.flags and j != data.root and not named_variable:
                (user,) = consumers
                inlined.setdefault(user, []).append(j)
                hidden["inlined parameters"] += 1
        for user, leaves in inlined.items():
            for j in leaves:
                rep[j] = -1 - user  # marks "inside user"
                ins[user].remove(j)
    keep = [i for i in range(n) if rep[i] == i]
    return _Reduced(keep, rep, inlined, ins, heads, hidden)


def _resolve(i: int, inputs: list[list[int]], elide: list[bool], rep: list[int]) -> None:
    """Point every elided node on a chain at the first kept node below it."""
    path = []
    j = i
    while elide[j] and rep[j] == j:
        path.append(j)
        j = inputs[j][0]
    target = rep[j]
    for p in path:
        rep[p] = target


def _ranks(root: int, reduced: _Reduced) -> list[int]:
    """Longest distance from the output (Kahn's algorithm; iterative); -1 if not kept."""
    ins = reduced.ins
    n = len(ins)
    pending = [0] * n
    for u in reduced.keep:
        for src in ins[u]:
            pending[src] += 1
    rank = [-1] * n
    rank[root] = 0
    queue = [root]
    for u in queue:
        r = rank[u] + 1
        for src in ins[u]:
            if rank[src] < r:
                rank[src] = r
            left = pending[src] - 1
            pending[src] = left
            if not left:
                queue.append(src)
    return rank


def _collapse_repeats(data: GraphData, reduced: _Reduced, by_rank: list[list[int]],
                      groups: list[int], boxes: list[tuple[str, list[int]]],
                      repeats: dict[int, int]) -> None:
    signatures = _signatures(data, reduced, by_rank)
    for start, stop, period in _repeated_runs(signatures):
        members = list(chain.from_iterable(by_rank[start:stop]))
        box = len(boxes)
        boxes.append(("repeat", members))
        repeats[box] = (stop - start) // period
        for i in members:
            groups[i] = box


def _by_rank(rank: list[int]) -> list[list[int]]:
    by_rank: list[list[int]] = [[] for _ in range(max(rank, default=0) + 1)]
    for i, r in enumerate(rank):
        if r >= 0:
            by_rank[r].append(i)
    return by_rank


def _signatures(data: GraphData, reduced: _Reduced, by_rank: list[list[int]]) -> list[object]:
    """One hashable per rank; ranks with a flagged or named node never match another rank."""
    sigs: list[object] = []
    flags, names, inlined, kinds = data.flags, data.names, reduced.inlined, data.kinds
    # Flagged and named nodes (the user's own variables) must stay visible.
    special = set(flags)
    special.update(i for i in names if kinds[i] != "input")
    label = data.ops
    if inlined:
        label = list(label)
        for i, leaves in inlined.items():
            label[i] += "+" * len(leaves)
    for r, members in enumerate(by_rank):
        if len(members) == 1:  # the common case in long loops: no tuple, no sort
            i = members[0]
            sigs.append(("unique", r) if i in special else label[i])
        elif not special.isdisjoint(members):
            sigs.append(("unique", r))
        else:
            sigs.append(tuple(sorted(map(label.__getitem__, members))))
    return sigs


def _repeated_runs(sigs: list[object], min_repeats: int = 3) -> list[tuple[int, int, int]]:
    """Rank ranges ``[start, stop)`` to hide with their period, one per periodic run found.

    Candidate periods are the gaps between a probe rank and the next rank with
    the same signature; each candidate is checked in one linear pass.
    """
    count = len(sigs)
    if count < 3:
        return []
    positions: dict[object, list[int]] = defaultdict(list)
    for r, sig in enumerate(sigs):
        positions[sig].append(r)
    periods: set[int] = set()
    for k in range(1, 10):
        r = count * k // 10
        pos = positions[sigs[r]]
        nxt = bisect.bisect_right(pos, r)
        if nxt < len(pos):
            periods.add(pos[nxt] - r)
    runs: list[tuple[int, int, int, int]] = []  # (hidden size, start, stop, period)
    for p in sorted(periods):
        if p * min_repeats > count:
            continue
        runs.extend(_runs_for_period(sigs, p, min_repeats))
    runs.sort(key=lambda run: (-run[0], run[1]))
    chosen: list[tuple[int, int, int]] = []
    for _, start, stop, period in runs:
        if all(stop <= a or start >= b for a, b, _ in chosen):
            chosen.append((start, stop, period))
    return sorted(chosen)


def _runs_for_period(sigs: list[object], p: int, min_repeats: int) -> list[tuple[int, int, int, int]]:
    same = list(map(operator.eq, sigs, sigs[p:]))
    runs = []
    r = 0
    for ok, group in groupby(same):  # runs of equal flags, walked in C
        start = r
        r += len(list(group))
        if not ok:
            continue
        periods = (r - start + p) // p
        if periods >= min_repeats:
            end = start + periods * p
            keep_tail = 2 * p <= KEEP_BOTH_MAX_RANKS
            lo, hi = start + p, end - (p if keep_tail else 0)
            if hi - lo >= p:
                runs.append((hi - lo, lo, hi, p))
    return runs


def _cut_to_budget(by_rank: list[list[int]], groups: list[int],
                   boxes: list[tuple[str, list[int]]], max_draw: int) -> None:
    """Fold the deepest ranks into one "more" box when there are too many boxes."""
    grouped = sum(len(members) for _, members in boxes)
    if sum(map(len, by_rank)) - grouped + len(boxes) <= max_draw:
        return  # everything fits (repeat boxes are disjoint runs of ranks)
    drawn = 0
    seen_boxes: set[int] = set()
    for r, members in enumerate(by_rank):
        cost = 0
        for i in members:
            g = groups[i]
            if g < 0:
                cost += 1
            elif g not in seen_boxes:
                seen_boxes.add(g)
                cost += 1
        if drawn + cost > max_draw and r > 0:
            rest = [i for rr in range(r, len(by_rank)) for i in by_rank[rr] if groups[i] < 0]
            if rest:
                box = len(boxes)
                boxes.append(("more", rest))
                for i in rest:
                    groups[i] = box
            return
        drawn += cost


def _assemble(data: GraphData, reduced: _Reduced, groups: list[int],
              boxes: list[tuple[str, list[int]]], repeats: dict[int, int]) -> tuple[View, list[int]]:
    nodes: list[VNode] = []
    where = [-1] * len(data.ops)
    box_index: dict[int, int] = {}
    drawn: list[int] = []
    # A box takes the place of its first member (members are kept nodes, keep is sorted).
    first = {min(members): g for g, (_, members) in enumerate(boxes)}
    kinds, inlined = data.kinds, reduced.inlined
    for i in sorted(chain((i for i in reduced.keep if groups[i] < 0), first)):
        g = groups[i]
        if g < 0:
            where[i] = len(nodes)
            nodes.append(VNode(key=f"n{i}", kind=kinds[i], title="", model=i, inlined=inlined.get(i, [])))
            drawn.append(i)
        else:
            kind, members = boxes[g]
            box_index[g] = len(nodes)
            nodes.append(VNode(key=f"{kind[0]}{i}", kind=kind, title="", members=len(members)))
    for g, (_, members) in enumerate(boxes):
        k = box_index[g]
        for i in members:
            where[i] = k
    edges: dict[tuple[int, int], VEdge] = {}
    heads = reduced.heads
    ins = reduced.ins
    for dst in reduced.keep:
        b = where[dst]
        for src in ins[dst]:
            a = where[src]
            if a == b or a < 0 or b < 0:
                continue
            edge = edges.get((a, b))
            if edge is None:
                head = heads.get((src, dst))
                label = _chain_label(data, head, reduced.rep) if head is not None else ""
                edges[(a, b)] = VEdge(a, b, label)
            else:
                edge.count += 1
    hidden = dict(reduced.hidden)
    totals: dict[int, int] = {}
    inlined = reduced.inlined
    for g, (kind, members) in enumerate(boxes):
        extra = sum(len(inlined[i]) for i in members if i in inlined) if inlined else 0
        totals[g] = len(members) + extra
        hidden[kind] = hidden.get(kind, 0) + totals[g]
    view = View(nodes, sorted(edges.values(), key=lambda e: (e.dst, e.src)), where[data.root], hidden)
    for g, index in box_index.items():
        _describe_box(data, reduced, view.nodes[index], boxes[g][1], totals[g], repeats.get(g, 0))
    return view, drawn


def _chain_label(data: GraphData, head: int, rep: list[int], limit: int = 2) -> str:
    labels: list[str] = []
    j = head
    target = rep[head]
    while j != target and len(labels) <= limit:
        labels.append(ops.op_label(data.ops[j]))
        j = data.inputs[j][0]
    if len(labels) > limit:
        labels = labels[:limit] + ["…"]
    return "·".join(reversed(labels))


def _describe_box(data: GraphData, reduced: _Reduced, node: VNode, members: list[int],
                  total: int, repeats: int) -> None:
    node.members = total
    raw = Counter(data.ops[i] for i in members)
    counts: Counter[str] = Counter()
    for op, k in raw.items():
        counts[ops.op_label(op) if op else "input"] += k
    common = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
    if node.kind == "repeat":
        modules = _module_span(data, reduced, members)
        node.title = f"{repeats}× repeated block"
        node.lines = [modules] if modules else []
        node.lines.append(", ".join(f"{k}×{v}" for k, v in common))
        node.lines.append(f"{total:,} nodes hidden (--no-collapse)")
    else:
        node.title = f"… {total:,} more nodes"
        node.lines = [", ".join(f"{k}×{v}" for k, v in common),
                      "not drawn (--no-collapse draws all)"]
    node.tooltip = "; ".join(f"{k}: {v}" for k, v in sorted(counts.items()))


def _module_span(data: GraphData, reduced: _Reduced, members: list[int]) -> str:
    names = set()
    inlined = reduced.inlined
    for i in members:
        if i not in inlined:
            continue
        for j in inlined[i]:
            module = data.modules.get(j)
            if module:
                names.add(block_of(module))
    if not names:
        return ""
    ordered = sorted(names, key=_natural_key)
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]} … {ordered[-1]}"


def _natural_key(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in text.replace(".", " . ").split()]
