"""``Trying to backward through the graph a second time``.

Tells apart a second ``backward()`` over the same graph, a graph that grows
across loop iterations through a carried value (a hidden state, a running
total), and two losses that share a part already freed by the first backward
(a GAN's ``fake``).
"""

from __future__ import annotations

import ast

from .. import live
from ..context import Analysis, _backward_target
from ..diagnosis import Finding
from ..source import Stmt, dotted_name, target_names
from .common import dependency_closure, finding, names_read, rhs_of

KIND = "backward-twice"


def diagnose(analysis: Analysis) -> Finding:
    stmt = analysis.raising_stmt
    target = analysis.target_node
    if stmt is None or target is None:
        return finding(analysis, KIND, "unknown", [analysis.target_text], None)
    carried = _carried_state(analysis, stmt, target)
    if carried is not None:
        name, where = carried
        return finding(analysis, KIND, "state_carried_across_iterations", [name], where,
                       [analysis.target_text], state=name)
    previous = _previous_backward(analysis, stmt)
    target_text = analysis.target_text
    if previous is not None:
        earlier_stmt, earlier_target = previous
        earlier_text = _unparse(earlier_target)
        if earlier_text == target_text and not _redefined_between(analysis, target_text, earlier_stmt, stmt):
            return finding(analysis, KIND, "second_backward", [target_text], earlier_stmt,
                           first=earlier_stmt.line)
        shared = _shared_variable(analysis, earlier_target, earlier_stmt, target, stmt)
        if shared is not None:
            name, used_at = shared
            return finding(analysis, KIND, "shared_subgraph", [name], used_at,
                           [earlier_text, target_text], first_loss=earlier_text, second_loss=target_text,
                           first=earlier_stmt.line)
        if earlier_text == target_text:
            return finding(analysis, KIND, "second_backward", [target_text], earlier_stmt, first=earlier_stmt.line)
    invariant = _graph_made_before_loop(analysis, stmt, target)
    if invariant is not None:
        # Every iteration's loss shares the part of the graph built once before the loop.
        name, where = invariant
        return finding(analysis, KIND, "shared_subgraph", [name], where, [target_text],
                       variant="across_iterations", first_loss=target_text, second_loss=target_text)
    if stmt.loops and not _defined_in_loop(analysis, target_text, stmt):
        return finding(analysis, KIND, "second_backward", [target_text], stmt, first=stmt.line)
    if _has_freed_graph(analysis.target_value):
        # No earlier backward in the code we can see: this very statement ran before
        # (a function called twice, a re-run cell) over the same graph.
        return finding(analysis, KIND, "second_backward", [target_text], stmt, first=stmt.line)
    return finding(analysis, KIND, "unknown", [target_text], None)


def _unparse(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except Exception:
        return "?"


def _backward_calls(stmt: Stmt) -> list[ast.expr]:
    found = []
    value = rhs_of(stmt)
    if value is None:
        return found
    for child in ast.walk(value):
        target = _backward_target(child) if isinstance(child, ast.Call) else None
        if target is not None:
            found.append(target)
    return found


def _previous_backward(analysis: Analysis, stmt: Stmt) -> tuple[Stmt, ast.expr] | None:
    """The last backward call executed before ``stmt`` (earlier in its loop body, or earlier cells)."""
    for earlier in reversed(analysis.timeline.stmts[: stmt.index]):
        if earlier.scope != stmt.scope:
            continue
        targets = _backward_calls(earlier)
        if targets:
            return earlier, targets[-1]
    return None


def _redefined_between(analysis: Analysis, name: str | None, first: Stmt, second: Stmt) -> bool:
    if not name:
        return False
    return any(d.stmt.index > first.index and d.stmt.index < second.index
               for d in analysis.timeline.definitions(name, second.scope))


def _defined_in_loop(analysis: Analysis, name: str | None, stmt: Stmt) -> bool:
    if not name or not stmt.loops:
        return True
    loop = stmt.loops[-1]
    return any(loop in d.stmt.loops for d in analysis.timeline.definitions(name, stmt.scope))


def _carried_state(analysis: Analysis, stmt: Stmt, target: ast.expr) -> tuple[str, Stmt] | None:
    """A variable re-bound from itself, that the loss depends on, never detached.

    Looked for in the loop around the raising statement, in the raising cell
    (re-run cell by cell, each run is one step), and in methods of the live
    modules the loss came from (``self.hidden = self.rnn(x, self.hidden)``).
    The last two need live proof: the variable's graph holds freed buffers.
    """
    closure = dependency_closure(analysis, target, stmt)
    if stmt.loops:
        loop = stmt.loops[-1]
        body = [s for s in analysis.timeline.stmts if loop in s.loops and s.scope == stmt.scope]
        found = _first_carried(analysis, body, closure, stmt.scope, need_freed=False)
        if found is not None:
            return found
    same_cell = [s for s in analysis.timeline.stmts
                 if s.unit is stmt.unit and s.index < stmt.index and s.scope == stmt.scope]
    found = _first_carried(analysis, same_cell, closure, stmt.scope, need_freed=True)
    if found is not None:
        return found
    return _carried_in_module(analysis, closure, stmt)


def _first_carried(analysis: Analysis, body: list[Stmt], closure: dict[str, Stmt], scope: str | None,
                   need_freed: bool) -> tuple[str, Stmt] | None:
    for candidate in body:
        name = _self_referential(candidate)
        if name is None or (name not in closure and name != analysis.target_text):
            continue
        if _detached_in(body, name):
            continue
        value = analysis.provenance.live_value(name, scope)
        if live.is_tensor(value) and live.grad_fn(value) is None:
            continue
        if need_freed and not _has_freed_graph(value):
            continue
        return name, candidate
    return None


def _carried_in_module(analysis: Analysis, closure: dict[str, Stmt], stmt: Stmt) -> tuple[str, Stmt] | None:
    """``self.h = f(self.h)`` in a method of a live module the loss came from."""
    for name in sorted(closure):
        module = analysis.provenance.live_value(name, stmt.scope)
        if not live.is_module(module):
            continue
        prefix = getattr(type(module), "__qualname__", "") + "."
        for candidate in analysis.timeline.stmts:
            if not (candidate.scope or "").startswith(prefix):
                continue
            carried = _self_referential(candidate)
            if not carried or not carried.startswith("self."):
                continue
            attribute = carried.split(".", 1)[1]
            value = analysis.provenance.live_value(f"{name}.{attribute}", stmt.scope)
            if live.is_tensor(value) and _has_freed_graph(value):
                return f"{name}.{attribute}", candidate
    return None


def _has_freed_graph(value: object) -> bool:
    from .. import autograd_graph

    if not live.is_tensor(value):
        return False
    return autograd_graph.find_problem(live.grad_fn(value), "freed") is not None


def _graph_made_before_loop(analysis: Analysis, stmt: Stmt, target: ast.expr) -> tuple[str, Stmt] | None:
    """A tensor with a graph, made before the loop, that every iteration's loss reuses."""
    if not stmt.loops:
        return None
    loop = stmt.loops[-1]
    closure = dependency_closure(analysis, target, stmt)
    candidates = []
    for name, bound_at in closure.items():
        if loop in bound_at.loops or bound_at.index > loop or name == analysis.target_text:
            continue
        if any(loop in d.stmt.loops for d in analysis.timeline.definitions(name, stmt.scope)):
            continue  # re-bound in the loop: carried state, not a graph made once
        value = analysis.provenance.live_value(name, stmt.scope)
        if live.is_tensor(value) and live.grad_fn(value) is not None:
            candidates.append((bound_at.index, name, bound_at))
    if not candidates:
        return None
    _, name, bound_at = max(candidates, key=lambda item: item[0])
    return name, bound_at


def _self_referential(stmt: Stmt) -> str | None:
    node = stmt.node
    if isinstance(node, ast.AugAssign):
        return dotted_name(node.target)
    if isinstance(node, ast.Assign):
        for target in node.targets:
            names = list(target_names(target))
            read = names_read(node.value)
            for name in names:
                if name and name in read and not _is_detach_of(node.value, name):
                    return name
    return None


def _is_detach_of(value: ast.expr, name: str) -> bool:
    return any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
               and c.func.attr in ("detach", "detach_") and dotted_name(c.func.value) == name
               for c in ast.walk(value)) or (
        isinstance(value, ast.Attribute) and value.attr == "data" and dotted_name(value.value) == name)


def _detached_in(body: list[Stmt], name: str) -> bool:
    for stmt in body:
        node = stmt.node
        if isinstance(node, ast.Assign) and any(dotted_name(t) == name for t in node.targets) \
                and _is_detach_of(node.value, name):
            return True
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and \
                isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "detach_" \
                and dotted_name(node.value.func.value) == name:
            return True
    return False


def _shared_variable(analysis: Analysis, first: ast.expr, first_stmt: Stmt, second: ast.expr,
                     second_stmt: Stmt) -> tuple[str, Stmt] | None:
    """The most downstream variable with a graph that both losses were built from."""
    first_closure = dependency_closure(analysis, first, first_stmt)
    second_closure = dependency_closure(analysis, second, second_stmt)
    shared = []
    for name, bound_at in first_closure.items():
        if second_closure.get(name) is not bound_at:
            continue
        value = analysis.provenance.live_value(name, second_stmt.scope)
        if live.is_tensor(value) and live.grad_fn(value) is None:
            continue
        if live.is_module(value) or (value is not live.MISSING and not live.is_tensor(value)):
            continue
        shared.append((bound_at.index, name))
    if not shared:
        return None
    shared.sort(reverse=True)
    name = shared[0][1]
    # Blame where the first loss read the shared variable: that use wanted `.detach()`.
    users = [stmt for stmt in first_closure.values() if name in names_read(rhs_of(stmt) or ast.Pass())]
    users = [s for s in users if s.index > shared[0][0]]
    used_at = min(users, key=lambda s: s.index) if users else first_stmt
    return name, used_at
