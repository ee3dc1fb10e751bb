"""``Trying to backward through the graph a second time``.

Tells apart a second ``backward()`` over the same graph, a graph that grows
across loop iterations through a carried value (a hidden state, a running
total, a list of earlier results), and two losses that share a part already
freed by the first backward (a GAN's ``fake``, a two-headed model's trunk, a
loss built from a loss that was already backwarded).

Three sources of evidence, combined:

* the code: each variable's dependency closure, and, in a loop body (or a cell
  re-run), the reads that see the value an *earlier* iteration left behind;
* the live graphs: the nodes a first backward's target and the failing target
  have in common are exactly the part the first backward freed and the second
  one needs again (node identity, never a backward run);
* freed buffers as proof that a carried value still holds an old graph.

A failed ``backward()`` itself frees every node it ran before it hit the freed
one, so "the target's graph holds freed buffers" proves nothing about an
*earlier* backward of the target; it is only used where no earlier backward of
another tensor could explain it.
"""

from __future__ import annotations

import ast
import types
from dataclasses import dataclass, field
from typing import Any

from .. import live
from ..context import Analysis, _backward_target
from ..diagnosis import Finding
from ..fixes import replace_first_read
from ..source import GRAD_OFF, GROWING_METHODS, Definition, Stmt, dotted_name, target_names
from . import freed_holders, optimizers
from .common import dependency_closure, finding, location, names_read, rhs_of
from .writes import InplaceWrite, inplace_writes

KIND = "backward-twice"

#: calls and attributes whose result carries no graph of their receiver.
_GRAPH_DROPPING = frozenset({"detach", "detach_", "item", "tolist", "numpy"})
#: a bounded walk of a live graph (nodes); bigger graphs are "unknown", never guessed.
_GRAPH_LIMIT = 20_000


def diagnose(analysis: Analysis) -> Finding:
    stmt = analysis.raising_stmt
    target = analysis.target_node
    if stmt is None or target is None:
        return finding(analysis, KIND, "unknown", [analysis.target_text], None)
    carried = _carried_state(analysis, stmt, target)
    if carried is not None:
        return finding(analysis, KIND, "state_carried_across_iterations", [carried.name], carried.stmt,
                       [analysis.target_text, *carried.also], state=carried.name,
                       target_backward=_backward_text(target), **carried.params)
    target_text = analysis.target_text
    latest = _previous_backward(analysis, stmt)
    # The earlier backward spelled in the raising scope itself; one inside a called function
    # (`trainer.step(x, y)`) is tried first when it ran later, but does not hide this one.
    previous = latest if latest is None or latest.site is None else _previous_backward(analysis, stmt, callees=False)
    for earlier in dict.fromkeys(b for b in (latest, previous) if b is not None):
        found = _against_earlier_backward(analysis, earlier, target, stmt)
        if found is not None:
            return found
    invariant = _graph_made_before_loop(analysis, stmt, target)
    if invariant is not None:
        # Every iteration's loss shares the part of the graph built once before the loop.
        name, where = invariant
        return finding(analysis, KIND, "shared_subgraph", [name], where, [target_text],
                       variant="across_iterations", first_loss=target_text, second_loss=target_text)
    carried_global = _carried_global(analysis, stmt, target)
    if carried_global is not None:
        name, where = carried_global
        return finding(analysis, KIND, "state_carried_across_iterations", [name], where, [target_text],
                       variant="across_calls", function=(stmt.scope or "?").rsplit(".", 1)[-1],
                       target=target_text or "the loss")
    outside = _graph_made_outside_function(analysis, stmt, target)
    if outside is not None:
        # Every call of the function (an optimizer's closure, a step function) builds its loss
        # from a tensor made once outside it, whose graph the first call's backward freed.
        name, where = outside
        return finding(analysis, KIND, "shared_subgraph", [name], where, [target_text],
                       variant="across_calls", function=(stmt.scope or "?").rsplit(".", 1)[-1],
                       first_loss=target_text, second_loss=target_text)
    if previous is None:
        held = _through_freed_holder(analysis, target)
        if held is not None:
            return held
    if stmt.loops and not _defined_in_loop(analysis, target_text, stmt):
        return finding(analysis, KIND, "second_backward", [target_text], stmt, first=stmt.line)
    if previous is None and _has_freed_graph(_target_value(analysis)):
        # No earlier backward in the code we can see: this very statement ran before
        # (a function called twice, a re-run cell) over the same graph. (With an
        # earlier backward of another tensor in sight, the freed buffers may as well
        # be that one's, or this failed backward's own: no guess.)
        return finding(analysis, KIND, "second_backward", [target_text], stmt, first=stmt.line)
    return finding(analysis, KIND, "unknown", [target_text], None)


def _through_freed_holder(analysis: Analysis, target: ast.expr) -> Finding | None:
    """No earlier backward in the raising scope: the live objects say which variable brought
    in a graph that an earlier backward (in another function, or an earlier call) freed."""
    try:
        holder = freed_holders.freed_holder(analysis, _target_value(analysis))
    except Exception:
        return None
    if holder is None:
        return None
    target_text = analysis.target_text
    if holder.container:
        grown = freed_holders.growth_statement(analysis, holder)
        if grown is None:
            return None
        return finding(analysis, KIND, "state_carried_across_iterations", [holder.name], grown, [target_text],
                       variant="kept_list", target=target_text or "the loss")
    consumer = freed_holders.earlier_consumer(analysis, holder)
    if consumer is None:
        stored = freed_holders.storing_statement(analysis, holder)
        if stored is None:
            return None
        # an attribute an earlier step stored a tensor in, graph and all (a memory bank, a buffer)
        return finding(analysis, KIND, "state_carried_across_iterations", [holder.name], stored, [target_text],
                       variant="stored_attribute", target=target_text or "the loss",
                       detached_store=_detach_stored(stored, holder.name))
    names = [consumer.parameter] + ([holder.name] if holder.name != consumer.parameter else [])
    return finding(analysis, KIND, "shared_subgraph", names, consumer.stmt, [target_text],
                   first_loss=consumer.loss, second_loss=target_text, first=consumer.stmt.line,
                   first_where=location(consumer.stmt))


def _against_earlier_backward(analysis: Analysis, previous: _Backward, target: ast.expr,
                              stmt: Stmt) -> Finding | None:
    """The same graph backwarded twice, or a part shared with the earlier backward's target."""
    target_text = analysis.target_text
    earlier_text = previous.text
    if earlier_text == target_text and not _redefined_between(analysis, target_text, previous.at, stmt):
        return _second_finding(analysis, previous, target_text)
    if _same_tensor(analysis, previous, target, stmt):
        # `losses[-1]` is the `loss` an earlier step already backwarded.
        return _second_finding(analysis, previous, target_text, alias=earlier_text)
    shared = _shared_part(analysis, previous, target, stmt)
    if shared is not None:
        rerun = _rerun_from_itself(analysis, shared, target, stmt)
        if rerun is not None:
            name, where = rerun
            return finding(analysis, KIND, "state_carried_across_iterations", [name], where, [target_text],
                           variant="rerun", target=target_text or "the loss")
        return _shared_finding(analysis, previous, shared, earlier_text, target_text)
    if earlier_text == target_text:
        return _second_finding(analysis, previous, target_text)
    return None


def _second_finding(analysis: Analysis, previous: _Backward, target_text: str | None,
                    alias: str | None = None) -> Finding:
    """``second_backward``, blaming the earlier backward (in a called method: that line, and the call)."""
    params: dict[str, object] = {"first": previous.stmt.line}
    if alias is not None:
        params.update(variant="alias", alias=alias)
    elif previous.site is not None:
        params.update(variant="in_call", call_line=previous.site.line, call_where=location(previous.site))
    return finding(analysis, KIND, "second_backward", [target_text], previous.stmt, **params)


def _unparse(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except Exception:
        return "?"


# -- backward calls in the code -----------------------------------------------------


@dataclass(frozen=True)
class _Backward:
    """A ``t.backward()`` / ``torch.autograd.grad(t, ...)`` call found in a statement.

    ``site`` is set when the call sits in the body of a function or method that an
    earlier statement of the raising scope called (``trainer.step(x, y)``): it is that
    statement, and ``caller_text`` the target in the caller's terms (``self.loss`` ->
    ``trainer.loss``), or None when the target is a local of the called function.
    """

    stmt: Stmt
    target: ast.expr
    call: ast.Call
    site: Stmt | None = None
    caller_text: str | None = None

    @property
    def is_grad(self) -> bool:
        """``torch.autograd.grad(...)`` (not ``.backward()`` / ``torch.autograd.backward``)."""
        name = dotted_name(self.call.func) or ""
        return name == "grad" or name.endswith("autograd.grad")

    @property
    def at(self) -> Stmt:
        """The statement of the raising scope at which this backward ran."""
        return self.site or self.stmt

    @property
    def text(self) -> str:
        """The target as the raising scope spells it (``?`` for a local of a called function)."""
        if self.site is not None:
            return self.caller_text or "?"
        return _unparse(self.target)


def _keeps_graph(call: ast.Call) -> bool:
    """``retain_graph=True`` / ``create_graph=True`` spelled out: this call freed nothing."""
    for keyword in call.keywords:
        if keyword.arg in ("retain_graph", "create_graph") and isinstance(keyword.value, ast.Constant) \
                and keyword.value.value is True:
            return True
    if isinstance(call.func, ast.Attribute) and call.func.attr == "backward":
        # t.backward(gradient, retain_graph, create_graph)
        return any(isinstance(a, ast.Constant) and a.value is True for a in call.args[1:3])
    return False


def _backward_calls(stmt: Stmt) -> list[_Backward]:
    found: list[_Backward] = []
    value = rhs_of(stmt)
    if value is None:
        return found
    for child in ast.walk(value):
        target = _backward_target(child) if isinstance(child, ast.Call) else None
        if target is not None and isinstance(child, ast.Call):
            found.append(_Backward(stmt, target, child))
    return found


def _previous_backward(analysis: Analysis, stmt: Stmt, callees: bool = True) -> _Backward | None:
    """The last graph-freeing backward call executed before ``stmt`` (earlier in its loop body, or
    earlier cells), with ``callees`` also inside the functions and methods those statements called."""
    for earlier in reversed(analysis.timeline.stmts[: stmt.index]):
        if earlier.scope != stmt.scope:
            continue
        calls = [c for c in _backward_calls(earlier) if not _keeps_graph(c.call)]
        if calls:
            return calls[-1]
        if callees:
            try:
                called = _backward_in_callees(analysis, earlier, {}, earlier, 0)
            except Exception:
                called = None
            if called is not None:
                return called
    return None


# -- functions an earlier statement called ------------------------------------------------

#: how deep calls are followed (a statement -> its callee -> the callee's callees)
_CALL_DEPTH = 2


def _backward_in_callees(analysis: Analysis, stmt: Stmt, mapping: dict[str, str], site: Stmt,
                         depth: int) -> _Backward | None:
    """The last freeing backward that a function or method ``stmt`` calls runs (in its body)."""
    if depth >= _CALL_DEPTH:
        return None
    for definition, inner in reversed(_callees(analysis, stmt, mapping)):
        for body_stmt in reversed(analysis.timeline.body(definition)):
            calls = [c for c in _backward_calls(body_stmt) if not _keeps_graph(c.call)]
            if calls:
                call = calls[-1]
                return _Backward(body_stmt, call.target, call.call, site, _in_caller_terms(call.target, inner))
            found = _backward_in_callees(analysis, body_stmt, inner, site, depth + 1)
            if found is not None:
                return found
    return None


def _callees(analysis: Analysis, stmt: Stmt, mapping: dict[str, str]) -> list[tuple[Stmt, dict[str, str]]]:
    """The user-defined functions and methods ``stmt`` calls, in source order, each with its
    parameters spelled in the raising scope's terms (``self`` -> ``trainer``, ``l`` -> ``loss``).

    ``mapping`` spells ``stmt``'s own names in those terms (``stmt`` being in a called body).
    Only the timeline's ``def`` statements are returned; nothing is called or evaluated.
    """
    value = rhs_of(stmt)
    if value is None:
        return []
    found: list[tuple[Stmt, dict[str, str]]] = []
    calls = sorted((c for c in ast.walk(value) if isinstance(c, ast.Call)), key=lambda c: (c.lineno, c.col_offset))
    for call in calls[:20]:
        try:
            resolved = _callee_of(analysis, call, stmt, mapping)
        except Exception:
            resolved = None
        if resolved is None:
            continue
        definition, receiver = resolved
        parameters = _parameter_names(definition.node)
        inner: dict[str, str] = {}
        arguments = list(call.args)
        if receiver is not None and parameters:
            inner[parameters[0]] = receiver
            parameters = parameters[1:]
        for parameter, argument in zip(parameters, arguments):
            if isinstance(argument, ast.Starred):
                break
            text = _in_caller_terms(argument, mapping)
            if text:
                inner[parameter] = text
        for keyword in call.keywords:
            text = _in_caller_terms(keyword.value, mapping) if keyword.arg else None
            if keyword.arg and text:
                inner[keyword.arg] = text
        found.append((definition, inner))
    return found


def _parameter_names(node: ast.AST) -> list[str]:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    return [a.arg for a in node.args.posonlyargs + node.args.args]


def _callee_of(analysis: Analysis, call: ast.Call, stmt: Stmt,
               mapping: dict[str, str]) -> tuple[Stmt, str | None] | None:
    """The ``def`` a call runs, and the receiver (in the raising scope's terms) bound to its ``self``."""
    timeline = analysis.timeline
    func = call.func
    if isinstance(func, ast.Name):
        obj = _live_in_caller_terms(analysis, func.id, stmt, mapping)
        if type(obj) is types.FunctionType:
            qualname = str(obj.__qualname__).replace("<locals>.", "")
            definition = timeline.function(qualname, code=obj.__code__) if qualname in timeline.function_versions \
                else None
            return (definition, None) if definition is not None else None
        if issubclass(type(obj), type):
            definition = _method_of(analysis, obj, "__init__", stmt)
            return (definition, None) if definition is not None else None  # `self` is the new object
        for qualname in ([f"{stmt.scope}.{func.id}"] if stmt.scope else []) + [func.id]:
            if qualname in timeline.function_versions:
                definition = timeline.function(qualname, before=stmt.index)
                return (definition, None) if definition is not None else None
        return None
    if isinstance(func, ast.Attribute):
        receiver = dotted_name(func.value)
        if not receiver or "()" in receiver:
            return None
        spelled = _in_caller_terms(func.value, mapping)
        obj = _live_in_caller_terms(analysis, receiver, stmt, mapping)
        if obj is live.MISSING:
            if receiver == "self" and stmt.scope and "." in stmt.scope:
                # a method calling another method of its own class
                qualname = f"{stmt.scope.rsplit('.', 1)[0]}.{func.attr}"
                if qualname in timeline.function_versions:
                    definition = timeline.function(qualname, before=stmt.index)
                    return (definition, spelled) if definition is not None else None
            return None
        if issubclass(type(obj), type) or live.is_tensor(obj):
            return None
        definition = _method_of(analysis, type(obj), func.attr, stmt)
        return (definition, spelled) if definition is not None else None
    return None


def _method_of(analysis: Analysis, cls: type, method: str, stmt: Stmt) -> Stmt | None:
    """The timeline's ``def`` of ``cls.method`` (or of a base class's), the version the class runs."""
    timeline = analysis.timeline
    try:
        mro = type.__dict__["__mro__"].__get__(cls)
    except Exception:
        return None
    for klass in mro:
        try:
            qualname = str(type.__dict__["__qualname__"].__get__(klass)).replace("<locals>.", "")
            function = type.__dict__["__dict__"].__get__(klass).get(method)
        except Exception:
            continue
        key = f"{qualname}.{method}"
        if key in timeline.function_versions:
            code = function.__code__ if type(function) is types.FunctionType else None
            return timeline.function(key, before=stmt.index, code=code)
        if function is not None:
            return None  # defined by a class the timeline does not show (a library's)
    return None


def _in_caller_terms(node: ast.expr, mapping: dict[str, str]) -> str | None:
    """A name or attribute chain, its head replaced through ``mapping`` (when there is one)."""
    name = dotted_name(node)
    if not name or "()" in name:
        return None
    if not mapping:
        return name
    head, _, rest = name.partition(".")
    if head not in mapping:
        return None
    return mapping[head] + ("." + rest if rest else "")


def _live_in_caller_terms(analysis: Analysis, name: str, stmt: Stmt, mapping: dict[str, str]) -> Any:
    if not mapping:
        return analysis.provenance.live_value(name, stmt.scope)
    head, _, rest = name.partition(".")
    if head in mapping:
        spelled = mapping[head] + ("." + rest if rest else "")
        return analysis.provenance.live_value(spelled, analysis.scope)
    if analysis.timeline.definitions(head, stmt.scope):
        return live.MISSING  # a local of the called function: its frame is gone
    return analysis.provenance.live_value(name, None)  # a global, read from a called function


def _callee_binds(analysis: Analysis, stmt: Stmt, name: str) -> bool:
    """Does a function ``stmt`` calls bind ``name`` (in the caller's terms: ``self.loss`` -> ``trainer.loss``)?"""
    for definition, inner in _callees(analysis, stmt, {}):
        for body_stmt in analysis.timeline.body(definition):
            for bound in _bound_names(body_stmt):
                head, _, rest = bound.partition(".")
                if head in inner and inner[head] + ("." + rest if rest else "") == name:
                    return True
    return False


def _redefined_between(analysis: Analysis, name: str | None, first: Stmt, second: Stmt) -> bool:
    """``name`` bound (in ``second``'s scope) after ``first`` and before ``second``, also by a
    method an intervening statement called (``trainer.evaluate()`` setting ``self.loss``)."""
    if not name:
        return False
    if any(d.stmt.index > first.index and d.stmt.index < second.index
           for d in analysis.timeline.definitions(name, second.scope)):
        return True
    if "." not in name:
        return False
    between = [s for s in analysis.timeline.stmts[first.index + 1: second.index] if s.scope == second.scope]
    try:
        return any(_callee_binds(analysis, s, name) for s in between[-50:])
    except Exception:
        return False


def _defined_in_loop(analysis: Analysis, name: str | None, stmt: Stmt) -> bool:
    if not name or not stmt.loops:
        return True
    loop = stmt.loops[-1]
    return any(loop in d.stmt.loops for d in analysis.timeline.definitions(name, stmt.scope))


# -- live graphs -----------------------------------------------------------------------


def _has_freed_graph(value: object) -> bool:
    from .. import autograd_graph

    if not live.is_tensor(value):
        return False
    try:
        return autograd_graph.find_problem(live.grad_fn(value), "freed") is not None
    except Exception:
        return False


def _graph_nodes(value: object) -> list[Any] | None:
    """The nodes of ``value``'s graph (kept in a list, so that identities stay valid), or None.

    None when ``value`` is no tensor with a graph, or the graph is too big to walk whole.
    """
    from .. import autograd_graph

    if not live.is_tensor(value):
        return None
    try:
        root = live.grad_fn(value)
        if root is None:
            return None
        nodes = list(autograd_graph.walk(root, _GRAPH_LIMIT))
    except Exception:
        return None
    return None if len(nodes) > _GRAPH_LIMIT else nodes


def _frees_something(node: Any) -> bool:
    """A node that saves tensors for backward (the part a backward frees); not a leaf's AccumulateGrad."""
    from .. import autograd_graph

    return bool(autograd_graph.saved_attributes(node))


def _overlap(first: object, second_nodes: list[Any] | None) -> list[Any] | None:
    """Nodes, with saved tensors, that both graphs go through; None when that cannot be told."""
    first_nodes = _graph_nodes(first)
    if first_nodes is None or second_nodes is None:
        return None
    ids = {id(node) for node in first_nodes}
    return [node for node in second_nodes if id(node) in ids and _frees_something(node)]


def _reaches(value: object, nodes: list[Any]) -> bool | None:
    """Does ``value``'s graph go through one of ``nodes``? None when that cannot be told."""
    graph = _graph_nodes(value)
    if graph is None:
        return None if live.is_tensor(value) and _safe_grad_fn(value) is not None else False
    wanted = {id(node) for node in nodes}
    return any(id(node) in wanted for node in graph)


def _safe_grad_fn(value: object) -> Any:
    try:
        return live.grad_fn(value)
    except Exception:
        return None


def _container_tensors(value: object, limit: int = 4) -> list[Any]:
    """A few tensors held by a plain list / tuple / dict (first and last ones); type checks only."""
    if type(value) is dict:
        items = list(value.values())
    elif type(value) in (list, tuple):
        items = list(value)  # type: ignore[arg-type]
    else:
        return []
    picked = items[:limit] + items[-limit:] if len(items) > 2 * limit else items
    return [item for item in picked if live.is_tensor(item)]


def _holds_graph(value: object) -> bool:
    """A tensor with a graph, or a plain container holding one."""
    if live.is_tensor(value):
        return _safe_grad_fn(value) is not None
    return any(_safe_grad_fn(t) is not None for t in _container_tensors(value))


def _holds_freed_graph(value: object) -> bool:
    if live.is_tensor(value):
        return _has_freed_graph(value)
    return any(_has_freed_graph(t) for t in _container_tensors(value))


# -- state carried across iterations ----------------------------------------------------


@dataclass
class _Carried:
    name: str
    stmt: Stmt
    params: dict[str, object] = field(default_factory=dict)
    also: tuple[str, ...] = ()


def _carried_state(analysis: Analysis, stmt: Stmt, target: ast.expr) -> _Carried | None:
    """A value an earlier step left behind, with its graph, that the loss is built from.

    Looked for, in this order, in the loops around the raising statement (each
    iteration is a step), in the raising cell (re-run cell by cell, each run is
    a step), in earlier loops that ran a backward each step (a running total
    built there, backwarded later), and in methods of the live modules the loss
    came from (``self.hidden = self.rnn(x, self.hidden)``). All but the first
    need live proof: the value's graph holds freed buffers.
    """
    closure = dependency_closure(analysis, target, stmt)
    for loop in reversed(stmt.loops):
        found = _carried_in(analysis, _loop_body(analysis, loop, stmt.scope), closure, stmt, need_freed=False)
        if found is not None:
            return found
    same_cell = [s for s in analysis.timeline.stmts
                 if s.unit is stmt.unit and s.index < stmt.index and s.scope == stmt.scope]
    freeing = [i for i, s in enumerate(same_cell) if any(not _keeps_graph(c.call) for c in _backward_calls(s))]
    if freeing:
        # A backward earlier in this very run freed what this one finds freed: that is
        # the earlier backward's story (told below), not a value left by an earlier run.
        same_cell = same_cell[freeing[-1] + 1:]
    found = _carried_in(analysis, same_cell, closure, stmt, need_freed=True)
    if found is not None:
        return found
    for loop in _earlier_loops_with_backward(analysis, stmt):
        found = _carried_in(analysis, _loop_body(analysis, loop, stmt.scope), closure, stmt, need_freed=True)
        if found is not None:
            return found
    return _carried_in_module(analysis, closure, stmt)


def _loop_body(analysis: Analysis, loop: int, scope: str | None) -> list[Stmt]:
    return [s for s in analysis.timeline.stmts if loop in s.loops and s.scope == scope]


def _earlier_loops_with_backward(analysis: Analysis, stmt: Stmt) -> list[int]:
    """Loops (latest first) that ran before ``stmt``, outside it, and call backward in their body."""
    found: set[int] = set()
    for other in analysis.timeline.stmts[: stmt.index]:
        if other.loops and other.scope == stmt.scope and _backward_calls(other):
            found.update(loop for loop in other.loops if loop not in stmt.loops)
    return sorted(found, reverse=True)


def _bound_names(stmt: Stmt) -> list[str]:
    """Names ``stmt`` binds, in target order (``losses.append(x)`` binds ``losses``)."""
    node = stmt.node
    if isinstance(node, ast.Assign):
        return [n for target in node.targets for n in target_names(target)]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return list(target_names(node.target))
    if _growing_receiver(stmt) is not None:
        return [_growing_receiver(stmt)]  # type: ignore[list-item]
    return []


def _growing_receiver(stmt: Stmt) -> str | None:
    """``losses`` for ``losses.append(x)`` (the container keeps its earlier items)."""
    node = stmt.node
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
            and isinstance(node.value.func, ast.Attribute) \
            and node.value.func.attr in GROWING_METHODS and node.value.args:
        return dotted_name(node.value.func.value)
    return None


def _reads_itself(stmt: Stmt, name: str) -> bool:
    """``x += ...`` and ``xs.append(...)`` read ``x`` / ``xs`` without spelling it on the right."""
    node = stmt.node
    if isinstance(node, ast.AugAssign):
        return dotted_name(node.target) == name
    return _growing_receiver(stmt) == name


def _stored_value(stmt: Stmt, name: str) -> ast.expr | None:
    """The expression a statement stores into ``name`` (``x`` of ``xs.append(x)``)."""
    node = stmt.node
    if _growing_receiver(stmt) == name:
        return node.value.args[-1]  # type: ignore[attr-defined]
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        return node.value
    if isinstance(node, ast.Expr):
        for write in inplace_writes(stmt):
            if write.name == name:
                return _written_value(stmt, write)
    return None


# -- in-place stores into a carried tensor ------------------------------------------------


def _setitem_names(stmt: Stmt) -> list[str]:
    """``memory`` for ``memory[:] = z`` / ``memory[i] += z`` (a write into part of a tensor)."""
    return [w.name for w in _graph_writes(stmt) if w.form == "setitem"]


def _written_names(stmt: Stmt) -> list[str]:
    return [w.name for w in _graph_writes(stmt)]


def _graph_writes(stmt: Stmt) -> list[InplaceWrite]:
    """In-place writes that can put a graph into the written tensor: not under no_grad, not
    through ``.data``, and not ``x += ...`` (already a binding of ``x``)."""
    if stmt.grad_mode in GRAD_OFF:
        return []
    try:
        writes = inplace_writes(stmt)
    except Exception:
        return []
    return [w for w in writes if w.form in ("setitem", "method", "out") and not _through_data(w.target)]


def _through_data(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "data" for n in ast.walk(node))


def _written_value(stmt: Stmt, write: InplaceWrite) -> ast.expr | None:
    """What an in-place write stores (``z`` of ``memory[:] = z`` / ``memory.copy_(z)``); None when
    it stores nothing from elsewhere (``x.relu_()``, ``x.zero_()``, ``x.mul_(0.9)``)."""
    node = stmt.node
    if write.form == "setitem":
        return node.value if isinstance(node, (ast.Assign, ast.AugAssign)) else None
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        if write.form == "out" and any(k.arg == "out" and k.value is write.target for k in call.keywords):
            return call
        if write.form == "method" and isinstance(call.func, ast.Attribute) and call.func.value is write.target:
            values = [a for a in call.args if not isinstance(a, ast.Constant)]
            values += [k.value for k in call.keywords if not isinstance(k.value, ast.Constant)]
            if not values:
                return None
            return values[0] if len(values) == 1 else ast.Tuple(elts=values, ctx=ast.Load())
    return None


def _inplace_stores(body: list[Stmt]) -> dict[str, list[Definition]]:
    """In-place writes of ``body`` that store a value into a tensor, as bindings that keep the
    tensor's earlier content (``memory[:] = z``, ``buf.copy_(z)``, ``torch.add(a, b, out=acc)``)."""
    found: dict[str, list[Definition]] = {}
    for stmt in body:
        for write in _graph_writes(stmt):
            value = _written_value(stmt, write)
            if value is not None:
                found.setdefault(write.name, []).append(Definition(write.name, stmt, value, augmented=True))
    return found


# -- bindings a pass may skip ------------------------------------------------------------


def _maybe_skipped(body: list[Stmt], stmt: Stmt, name: str) -> bool:
    """``stmt`` sits in a branch of an ``if`` (or an ``except`` / ``else`` of a ``try``, a ``case``)
    of ``body``, and the other branches do not bind ``name``: a pass may not run it."""
    for header in body:
        if header.index >= stmt.index:
            break
        node = header.node
        if isinstance(node, ast.If):
            branches = [node.body, node.orelse]
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            branches = [*(h.body for h in node.handlers), node.orelse]  # type: ignore[attr-defined]
        elif type(node).__name__ == "Match":
            branches = [case.body for case in node.cases]  # type: ignore[attr-defined]
        else:
            continue
        for position, branch in enumerate(branches):
            if not any(child is stmt.node for part in branch for child in ast.walk(part)):
                continue
            others = [b for i, b in enumerate(branches) if i != position]
            if isinstance(node, ast.If) and others and all(_binds(b, name) for b in others):
                continue  # `if c: h = a` / `else: h = b`: bound on every path
            return True
    return False


def _binds(branch: list[ast.stmt], name: str) -> bool:
    for part in branch:
        for child in ast.walk(part):
            if isinstance(child, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                if any(name in target_names(t) for t in targets):
                    return True
    return False


def _read_by_element_only(name: str, closure: dict[str, Stmt], raising: Stmt) -> bool:
    """Every read of the container ``name`` on the way to the loss takes one element
    (``losses[-1]``, ``losses[i]``), none the whole (``torch.stack(losses)``, ``sum(losses)``)."""
    statements = {id(s): s for s in [raising, *closure.values()] if _growing_receiver(s) != name}
    element = False
    for stmt in statements.values():
        value = rhs_of(stmt)
        if value is None:
            continue
        parents = _parents(value)
        for node in ast.walk(value):
            if not isinstance(node, (ast.Name, ast.Attribute)) or not isinstance(getattr(node, "ctx", None), ast.Load) \
                    or dotted_name(node) != name:
                continue
            parent = parents.get(id(node))
            if isinstance(parent, ast.Subscript) and parent.value is node and not isinstance(parent.slice, ast.Slice):
                element = True
                continue
            if isinstance(parent, ast.Call) and dotted_name(parent.func) in ("len", "bool", "isinstance"):
                continue
            return False
    return element


def _carried_in(analysis: Analysis, body: list[Stmt], closure: dict[str, Stmt], raising: Stmt,
                need_freed: bool) -> _Carried | None:
    """The first statement of ``body`` that reads a value the previous pass over ``body`` left.

    A read of ``n`` is carried when ``body`` binds ``n`` but not (plainly) before
    that read: the value read is the one an earlier iteration stored. With the
    read's own result bound by the same statement (``h = cell(x, h)``,
    ``total += loss``) that is the classic recurrence; through another name or a
    container (``history.append(h)`` ... ``cell(x, history[-1])``) it is the same
    chain, one step removed.
    """
    if not body:
        return None
    scope = raising.scope
    in_body = {s.index for s in body}
    closure_stmts = {id(s) for s in closure.values()}
    stores = _inplace_stores(body)

    def body_definitions(name: str) -> list[Definition]:
        found = [d for d in analysis.timeline.definitions(name, scope) if d.stmt.index in in_body]
        if name in stores:
            found = sorted(found + stores[name], key=lambda d: d.stmt.index)
        return found

    for stmt in body:
        value = rhs_of(stmt)
        if value is None or isinstance(stmt.node, (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With)):
            continue
        bound = _bound_names(stmt)
        bound += [n for n in _setitem_names(stmt) if n not in bound]
        reads = [n for n in bound if _reads_itself(stmt, n) or n in names_read(value)]
        reads += sorted(n for n in names_read(value) if n not in reads and "." not in n) \
            + sorted(n for n in names_read(value) if n not in reads and "." in n)
        for name in reads:
            definitions = body_definitions(name)
            if not definitions:
                continue
            if any(d.stmt.index < stmt.index and not d.augmented and not _maybe_skipped(body, d.stmt, name)
                   for d in definitions):
                continue  # bound afresh earlier in the same pass: not the previous pass's value
            found = _carried_read(analysis, body, stmt, name, bound, definitions, closure, closure_stmts,
                                  raising, need_freed)
            if found is not None:
                return found
    return None


def _carried_read(analysis: Analysis, body: list[Stmt], stmt: Stmt, name: str, bound: list[str],
                  definitions: list[Definition], closure: dict[str, Stmt], closure_stmts: set[int],
                  raising: Stmt, need_freed: bool) -> _Carried | None:
    scope = raising.scope
    value = rhs_of(stmt)
    if name in bound:
        # The recurrence itself: `h = f(h)`, `total += loss`, `xs.append(x)`.
        if not _reads_itself(stmt, name) and value is not None and _reads_only_detached(value, name):
            return None
        if _growing_receiver(stmt) == name and _read_by_element_only(name, closure, raising):
            # `losses[-1].backward()`: one step's value, not the list of all of them.
            return None
        if name not in closure and name != analysis.target_text and id(stmt) not in closure_stmts:
            return None
        if _detached_in(body, name):
            return None
        live_value = analysis.provenance.live_value(name, scope)
        if not _may_hold_graph(live_value) or (need_freed and not _holds_freed_graph(live_value)):
            return None
        return _Carried(name, stmt, _running_total_params(body, stmt, name))
    # One step removed: the previous pass stored the value elsewhere (`history.append(h)`, `prev = out`).
    if value is None or _reads_only_detached(value, name):
        return None
    stores = [d for d in definitions if d.stmt is not stmt]
    stores = [d for d in stores if not _drops_graph(_stored_value(d.stmt, name))]
    if not stores:
        return None
    carried_value = analysis.provenance.live_value(name, scope)
    blamed = name
    if not live.is_tensor(carried_value):
        # A container (or a name we cannot read): blame the tensor this statement makes
        # and the previous pass stored into it, when there is one.
        stored_reads = set().union(*(names_read(_stored_value(d.stmt, name) or ast.Pass()) for d in stores))
        cycle = [b for b in bound if b in stored_reads]
        if cycle:
            blamed = cycle[0]
    if blamed not in closure and blamed != analysis.target_text and id(stmt) not in closure_stmts:
        return None
    if _detached_in(body, blamed) or _detached_in(body, name):
        return None
    blamed_value = analysis.provenance.live_value(blamed, scope)
    if not _may_hold_graph(blamed_value) or not _may_hold_graph(carried_value):
        return None
    if need_freed and not (_holds_freed_graph(carried_value) or _holds_freed_graph(blamed_value)):
        return None
    store = stores[-1].stmt
    in_place = name not in _bound_names(store) and name in _written_names(store)
    if in_place or _maybe_skipped(body, store, name):
        # Blame the store: an in-place write makes the tensor itself keep (and chain) each
        # step's graph; a store only some steps run keeps one step's tensor for all later ones.
        return _Carried(name, store, {
            "variant": "inplace_store" if in_place else "snapshot",
            "carried": name,
            "read_line": stmt.line,
            "read_where": location(stmt),
            "fixed_line": _detach_stored(store, name),
        })
    params: dict[str, object] = {
        "variant": "carried_read",
        "carried": name,
        "stored_line": store.line,
        "stored_where": location(store),
        "fixed_line": _detach_read_in(stmt, name) or stmt.line,
        "stored_fixed": _detach_stored(store, name),
    }
    return _Carried(blamed, stmt, params, also=(name,) if name != blamed else ())


def _detach_stored(store: Stmt, name: str) -> str:
    """``history.append(h)`` -> ``history.append(h.detach())``; ``prev = out`` -> ``prev = out.detach()``;
    ``memory[:2] = z[:2]`` -> ``memory[:2] = z[:2].detach()``."""
    value = _stored_value(store, name)
    stored = dotted_name(value) if isinstance(value, (ast.Name, ast.Attribute)) else None
    if stored and "()" not in stored and store.end_lineno == store.lineno:
        return replace_first_read(store.line, stored, f"{stored}.detach()")
    if isinstance(value, ast.expr) and getattr(value, "end_col_offset", None) is not None \
            and value.lineno == store.lineno == store.end_lineno == value.end_lineno:
        raw = store.lines[store.lineno - 1] if 0 < store.lineno <= len(store.lines) else ""
        start, end = value.col_offset, value.end_col_offset
        if end is not None and end <= len(raw):
            text = raw[start:end]
            plain = isinstance(value, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))
            detached = f"{text}.detach()" if plain else f"({text}).detach()"
            indent = len(raw) - len(raw.lstrip())
            return (raw[:start] + detached + raw[end:])[indent:].rstrip()
    return store.line


def _may_hold_graph(value: object) -> bool:
    """Not ruled out by the live value: unknown, or a tensor / container with a graph."""
    if value is live.MISSING:
        return True
    if live.is_tensor(value) or type(value) in (list, tuple, dict):
        return _holds_graph(value)
    return False


def _running_total_params(body: list[Stmt], stmt: Stmt, name: str) -> dict[str, object]:
    """``total += loss`` / ``total = total + loss`` / ``losses.append(loss)`` where ``loss.backward()``
    also runs each step: keep a number (or a detached tensor) instead of each step's graph."""
    added = _added_name(stmt, name)
    if added is None:
        return {}
    backwarded = {_unparse(call.target) for s in body for call in _backward_calls(s)}
    if added not in backwarded:
        return {}
    return {"variant": "running_total", "added": added,
            "fixed_line": replace_first_read(stmt.line, added, f"{added}.item()")}


def _backward_text(target: ast.expr | None) -> str:
    """``loss.backward()``; ``(total / 3).backward()`` for an expression that needs brackets."""
    if target is None:
        return "backward()"
    text = _unparse(target)
    plain = isinstance(target, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))
    return f"{text}.backward()" if plain else f"({text}).backward()"


def _added_name(stmt: Stmt, name: str) -> str | None:
    node = stmt.node
    value: ast.expr | None = None
    if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
        value = node.value
    elif _growing_receiver(stmt) == name:
        value = node.value.args[-1]  # type: ignore[attr-defined]
    elif isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp) \
            and isinstance(node.value.op, (ast.Add, ast.Sub)):
        left, right = node.value.left, node.value.right
        if dotted_name(left) == name:
            value = right
        elif dotted_name(right) == name:
            value = left
    if isinstance(value, (ast.Name, ast.Attribute)):
        return dotted_name(value)
    return None


def _parents(root: ast.AST) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(root):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return parents


def _content_reads(value: ast.AST, name: str) -> list[tuple[ast.expr, bool]]:
    """Each read of ``name``'s content in ``value``: (the read, extended through ``[...]`` and
    attributes, whether a ``.detach()``-like call drops its graph). Truth tests
    (``x if history else h0``) and ``len(history)`` read no graph and are left out."""
    parents = _parents(value)
    found: list[tuple[ast.expr, bool]] = []
    for node in ast.walk(value):
        if not isinstance(node, (ast.Name, ast.Attribute)) or not isinstance(getattr(node, "ctx", None), ast.Load) \
                or dotted_name(node) != name:
            continue
        top: ast.expr = node
        dropped = False
        while True:
            parent = parents.get(id(top))
            if isinstance(parent, ast.Subscript) and parent.value is top:
                top = parent
                continue
            if isinstance(parent, ast.Attribute) and parent.value is top:
                grand = parents.get(id(parent))
                if isinstance(grand, ast.Call) and grand.func is parent:
                    dropped = parent.attr in _GRAPH_DROPPING
                    break
                if parent.attr == "data":
                    dropped = True
                    break
                top = parent
                continue
            break
        parent = parents.get(id(top))
        if isinstance(parent, (ast.IfExp, ast.If, ast.While)) and parent.test is top:
            continue
        if isinstance(parent, (ast.BoolOp, ast.UnaryOp)):
            continue
        if isinstance(parent, ast.Compare) and any(isinstance(c, ast.Constant) and c.value is None
                                                   for c in [parent.left, *parent.comparators]):
            continue  # `prev is not None`
        if isinstance(parent, ast.Call) and dotted_name(parent.func) in ("len", "bool", "isinstance"):
            continue
        found.append((top, dropped))
    return found


def _reads_only_detached(value: ast.AST, name: str) -> bool:
    reads = _content_reads(value, name)
    return not reads or all(dropped for _, dropped in reads)


def _detach_read_in(stmt: Stmt, name: str) -> str | None:
    """``stmt``'s line with its first graph-carrying read of ``name`` detached."""
    value = rhs_of(stmt)
    if value is None or stmt.end_lineno != stmt.lineno:
        return None
    reads = [(node, dropped) for node, dropped in _content_reads(value, name) if not dropped]
    if not reads:
        return None
    node = min((n for n, _ in reads), key=lambda n: (n.lineno, n.col_offset))
    raw = stmt.lines[stmt.lineno - 1] if 0 < stmt.lineno <= len(stmt.lines) else ""
    end = node.end_col_offset
    if node.lineno != stmt.lineno or end is None or end > len(raw):
        return None
    indent = len(raw) - len(raw.lstrip())
    return (raw[:end] + ".detach()" + raw[end:])[indent:].rstrip()


def _drops_graph(value: ast.expr | None) -> bool:
    """``x.detach()``, ``x.item()``, ``x.data``, ``float(x)``: nothing of x's graph is stored."""
    if value is None:
        return False
    if isinstance(value, ast.Call):
        if isinstance(value.func, ast.Attribute) and value.func.attr in _GRAPH_DROPPING:
            return True
        if isinstance(value.func, ast.Attribute) and value.func.attr in ("clone", "cpu", "to") \
                and _drops_graph(value.func.value):
            return True
        if dotted_name(value.func) in ("float", "int", "bool"):
            return True
    if isinstance(value, ast.Attribute) and value.attr == "data":
        return True
    return isinstance(value, ast.Constant)


def _carried_in_module(analysis: Analysis, closure: dict[str, Stmt], stmt: Stmt) -> _Carried | None:
    """``self.h = f(self.h)`` in a method of a live module the loss came from."""
    for name in sorted(closure):
        module = analysis.provenance.live_value(name, stmt.scope)
        if not live.is_module(module):
            continue
        prefix = (live.type_qualname(module) or "") + "."
        for candidate in analysis.timeline.stmts:
            if not (candidate.scope or "").startswith(prefix):
                continue
            carried = _self_referential(candidate)
            if not carried or not carried.startswith("self."):
                continue
            attribute = carried.split(".", 1)[1]
            value = analysis.provenance.live_value(f"{name}.{attribute}", stmt.scope)
            if _holds_freed_graph(value):  # a tensor, or a tuple of them (an LSTM's (h, c))
                params = {} if live.is_tensor(value) else {"variant": "tuple_state"}
                return _Carried(f"{name}.{attribute}", candidate, params)
    return None


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
        if name in _inplace_stores(_loop_body(analysis, loop, stmt.scope)):
            continue  # written into in the loop (`memory[:] = z`): carried state too
        value = analysis.provenance.live_value(name, stmt.scope)
        if live.is_tensor(value) and live.grad_fn(value) is not None:
            candidates.append((bound_at.index, name, bound_at))
    if not candidates:
        return None
    _, name, bound_at = max(candidates, key=lambda item: item[0])
    header = bound_at.node
    if isinstance(header, (ast.For, ast.AsyncFor)):
        # `for x, y in DataLoader(X, Y, n):` draws its batches from tensors made
        # before the loop; the one with a graph (`Y = X @ true_W + ...`) is the culprit.
        source = _iterated_tensor_with_graph(analysis, header.iter, bound_at)
        if source is not None:
            return source
    return name, bound_at


def _iterated_tensor_with_graph(analysis: Analysis, iterable: ast.expr, header: Stmt) -> tuple[str, Stmt] | None:
    for name in sorted(names_read(iterable)):
        value = analysis.provenance.live_value(name, header.scope)
        if not (live.is_tensor(value) and live.grad_fn(value) is not None):
            continue
        made = analysis.timeline.definition_before(name, header.scope, header.index)
        if made is not None:
            return name, made.stmt
    return None


def _reads_on_the_way(analysis: Analysis, target: ast.expr, stmt: Stmt) -> tuple[dict[str, Stmt], set[str]]:
    """The target's dependency closure, and every name the target and that closure read."""
    closure = dependency_closure(analysis, target, stmt)
    reads = set(names_read(target))
    for bound_at in closure.values():
        reads |= names_read(rhs_of(bound_at) or ast.Pass())
    return closure, reads


def _graph_made_outside_function(analysis: Analysis, stmt: Stmt, target: ast.expr) -> tuple[str, Stmt] | None:
    """A tensor the raising function reads from outside (an enclosing function's local, a
    global), made once with a graph that an earlier call's backward already freed."""
    scope = stmt.scope
    if scope is None:
        return None
    closure, reads = _reads_on_the_way(analysis, target, stmt)
    site = _outer_call_site(analysis)
    candidates = []
    for name in sorted(reads):
        head = name.split(".", 1)[0]
        if head in closure or analysis.timeline.definitions(head, scope):
            continue  # the function's own (a local or a parameter)
        if name == analysis.target_text:
            continue  # the loss itself made outside: each call backwards that one tensor again
        bound_at = _outer_definition(analysis, name, stmt, site)
        if bound_at is None:
            continue
        value = analysis.provenance.live_value(name, scope)
        if not live.is_tensor(value) or _safe_grad_fn(value) is None or not _has_freed_graph(value):
            continue
        candidates.append((bound_at.index, name, bound_at))
    if not candidates:
        return None
    _, name, bound_at = max(candidates, key=lambda item: item[0])
    if site is not None and bound_at.scope is None:
        earlier = _previous_backward(analysis, site)
        if earlier is not None and earlier.site is None \
                and name in dependency_closure(analysis, earlier.target, earlier.stmt):
            return None  # a backward before the call went through it too: not this function's story
    return name, bound_at


def _rerun_from_itself(analysis: Analysis, shared: _Shared, target: ast.expr, stmt: Stmt
                       ) -> tuple[str, Stmt] | None:
    """The shared part reaches the second loss through a statement that re-binds a name from
    itself (``out, h = gru(x, h)`` run again, in a re-run or copied cell): carried state, not
    two losses sharing a trunk."""
    if shared.mode not in ("statement", "variable"):
        return None
    carried = shared.other if shared.mode == "statement" else shared.name
    if not carried:
        return None
    for name, bound_at in dependency_closure(analysis, target, stmt).items():
        if bound_at.index <= shared.used_at.index or bound_at.scope != stmt.scope:
            continue
        if carried in _bound_names(bound_at) and carried in names_read(rhs_of(bound_at) or ast.Pass()):
            return carried, bound_at
    return None


def _carried_global(analysis: Analysis, stmt: Stmt, target: ast.expr) -> tuple[str, Stmt] | None:
    """A ``global`` the raising function reads and re-binds: each call starts from the value
    the previous call left, graph and all (``global hidden`` ... ``out, hidden = rnn(x, hidden)``)."""
    scope = stmt.scope
    if scope is None:
        return None
    _, reads = _reads_on_the_way(analysis, target, stmt)
    for name in sorted(reads):
        rebinds = [d for d in analysis.timeline.definitions(name, None)
                   if d.module_level and d.stmt.scope == scope and not d.augmented]
        if not rebinds:
            continue
        value = analysis.provenance.live_value(name, None)
        if not _holds_graph(value):
            continue
        reading = [d.stmt for d in rebinds if name in names_read(rhs_of(d.stmt) or ast.Pass())]
        return name, (reading or [d.stmt for d in rebinds])[0]
    return None


def _outer_call_site(analysis: Analysis) -> Stmt | None:
    """The module-level statement the outermost user frame was running (the call into the code)."""
    frames = analysis.user_frames
    if not frames:
        return None
    stmt = analysis.timeline.statement_at(frames[0].filename, frames[0].lineno)
    return stmt if stmt is not None and stmt.scope is None else None


def _outer_definition(analysis: Analysis, name: str, stmt: Stmt, site: Stmt | None) -> Stmt | None:
    """Where a name a function reads but does not bind was bound: the nearest enclosing
    function's body (its version that ran), else module level (before the call site)."""
    timeline = analysis.timeline
    scope = stmt.scope or ""
    while "." in scope:
        scope = scope.rsplit(".", 1)[0]
        if scope not in timeline.function_versions:
            continue  # a class body: its names are not visible in its methods
        definitions = timeline.definitions(name, scope)
        if not definitions:
            continue
        version = timeline.function(scope, before=stmt.index)
        if version is not None:
            body = {s.index for s in timeline.body(version)}
            definitions = [d for d in definitions if d.stmt.index in body or d.stmt is version]
        if not definitions:
            continue
        last = definitions[-1]
        return None if last.parameter else last.stmt  # a parameter: made by the caller, not here
    definitions = timeline.definitions(name, None)
    if site is not None:
        definitions = [d for d in definitions if d.stmt.index < site.index] or definitions
    if not definitions or definitions[-1].value is None:
        return None
    return definitions[-1].stmt


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


# -- two losses sharing a freed part ------------------------------------------------------


@dataclass(frozen=True)
class _Shared:
    name: str
    used_at: Stmt
    mode: str  # "variable" | "first_loss" | "statement" | "graph"
    other: str | None = None
    bound_at: Stmt | None = None
    second: bool = False  # used_at is in the second loss (where the detach belongs)


def _live_target(analysis: Analysis, backward: _Backward, until: Stmt) -> Any:
    """The live tensor the earlier backward ran on, if its name still holds that one."""
    text = backward.text
    if backward.site is not None and backward.caller_text is None:
        return live.MISSING  # a local of a called function: gone with its frame
    if _redefined_between(analysis, text, backward.at, until):
        return live.MISSING
    try:
        if backward.site is not None:
            return analysis.provenance.live_value(text, backward.at.scope)
        return _resolve(analysis, backward.target, backward.stmt.scope)
    except Exception:
        return live.MISSING


def _constant_index(node: ast.expr) -> int | None:
    """``0``, ``-1`` as a subscript index (``-1`` parses as a unary minus)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) is int:
        return -node.operand.value
    return None


def _resolve(analysis: Analysis, node: ast.expr | None, scope: str | None) -> Any:
    """:meth:`Analysis.resolve`, also for a negative index of a list or tuple (``losses[-1]``)."""
    if isinstance(node, ast.Subscript):
        index = _constant_index(node.slice)
        if index is not None and index < 0:
            base = _resolve(analysis, node.value, scope)
            if type(base) in (list, tuple) and -len(base) <= index:  # type: ignore[arg-type]
                return base[index]  # type: ignore[index]
            return live.MISSING
    return analysis.resolve(node, scope)


def _target_value(analysis: Analysis) -> Any:
    try:
        return _resolve(analysis, analysis.target_node, analysis.scope)
    except Exception:
        return live.MISSING


def _same_tensor(analysis: Analysis, previous: _Backward, target: ast.expr, stmt: Stmt) -> bool:
    """Is the failing target the very tensor (or graph) the earlier backward ran on, by another name?

    Live: the same tensor, or one with the same ``grad_fn`` (``l = loss``). From the code: one
    element (``losses[-1]``, ``losses[i]``) of a container every store of which put in the
    backwarded name (``losses.append(loss)``) while that name held a backwarded tensor.
    """
    first = _live_target(analysis, previous, stmt)
    second = _target_value(analysis)
    if live.is_tensor(first) and live.is_tensor(second):
        if first is second:
            return True
        root = _safe_grad_fn(second)
        if root is not None and root is _safe_grad_fn(first):
            return True
    if previous.site is not None or not isinstance(target, ast.Subscript) \
            or isinstance(target.slice, ast.Slice):
        return False
    container = dotted_name(target.value)
    if not container or "()" in container:
        return False
    earlier = previous.text
    definitions = [d for d in analysis.timeline.definitions(container, stmt.scope) if d.stmt.index < stmt.index]
    plain = [d for d in definitions if not d.augmented]
    if plain:
        definitions = [d for d in definitions if d.stmt.index > plain[-1].stmt.index]
    if not definitions:
        return False
    for definition in definitions:
        store = definition.stmt
        if _growing_receiver(store) != container or dotted_name(_stored_value(store, container) or ast.Pass()) \
                != earlier:
            return False
        same_loop = bool(store.loops) and store.loops[-1] in previous.at.loops
        if not same_loop and not (previous.at.index < store.index
                                  and not _redefined_between(analysis, earlier, previous.at, store)):
            return False
    return True


def _shared_part(analysis: Analysis, previous: _Backward, second: ast.expr, second_stmt: Stmt) -> _Shared | None:
    """What the earlier backward's target and this one are both built from.

    From the code: a variable bound by one statement that both dependency
    closures reach (by the same name, or by two names one call bound, as in
    ``out_a, out_b = model(x)``); the most downstream wins. From the live graphs,
    when both targets are still reachable: their common nodes, which rule out
    candidates that do not lead to them and, when the code shows nothing, point
    at the earliest statement of the first loss whose result goes through them.
    """
    first, first_stmt = previous.target, previous.stmt
    first_closure = dependency_closure(analysis, first, first_stmt)
    second_closure = dependency_closure(analysis, second, second_stmt)
    second_by_stmt: dict[int, list[str]] = {}
    for name, bound_at in second_closure.items():
        second_by_stmt.setdefault(id(bound_at), []).append(name)
    second_nodes = _graph_nodes(_target_value(analysis))  # kept alive while node identities are compared
    first_live = _live_target(analysis, previous, second_stmt)
    first_nodes = _graph_nodes(first_live)
    overlap = _overlap(first_live, second_nodes)
    second_ids = {id(node) for node in second_nodes} if second_nodes is not None else None
    first_ids = {id(node) for node in first_nodes} if first_nodes is not None else None
    first_text = _unparse(first)
    candidates = []
    for name, bound_at in first_closure.items():
        same_name = second_closure.get(name) is bound_at
        others = [n for n in second_by_stmt.get(id(bound_at), []) if n != name]
        if not same_name and not (others and _one_value_binds(analysis, bound_at, name, others[0])):
            continue
        value = analysis.provenance.live_value(name, second_stmt.scope)
        if live.is_tensor(value) and _safe_grad_fn(value) is None:
            continue
        if live.is_module(value) or (value is not live.MISSING and not live.is_tensor(value)):
            continue
        if live.is_tensor(value) and _is_latest(analysis, name, bound_at):
            # The live graphs can rule a candidate out: the second loss must go through this very
            # tensor (not, say, a `.detach()` of it), or, for two names of one call, through the
            # part both graphs share.
            if same_name and second_ids is not None and id(_safe_grad_fn(value)) not in second_ids:
                continue
            # nor is it shared when the first loss only read it detached (`D(fake.detach())`)
            if same_name and first_ids is not None and id(_safe_grad_fn(value)) not in first_ids:
                continue
            if not same_name and overlap is not None and _reaches(value, overlap) is False:
                continue
        candidates.append((bound_at.index, same_name, name, bound_at, None if same_name else others[0]))
    if candidates:
        candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
        index, same_name, name, bound_at, other = candidates[0]
        if name == first_text:
            return _Shared(name, first_stmt, "first_loss")
        if not same_name:
            return _Shared(name, bound_at, "statement", other)
        # Blame where the first loss read the shared variable: that use wanted `.detach()`.
        users = [s for s in first_closure.values() if name in names_read(rhs_of(s) or ast.Pass())]
        users = [s for s in users if s.index > index]
        used_at = min(users, key=lambda s: s.index) if users else first_stmt
        value = analysis.provenance.live_value(name, second_stmt.scope)
        if optimizers.trains_what_made(analysis, previous.stmt, value) is True \
                and optimizers.trains_what_made(analysis, second_stmt, value) is False:
            # The first loss's optimizer trains what made the shared tensor (a GAN's G step),
            # the second one's does not (the D step): the second loss is where to detach it.
            second_users = [s for s in second_closure.values() if s.index > index
                            and name in names_read(rhs_of(s) or ast.Pass())]
            if second_users:
                return _Shared(name, min(second_users, key=lambda s: s.index), "variable", bound_at=bound_at,
                               second=True)
        return _Shared(name, used_at, "variable", bound_at=bound_at)
    if overlap:
        # Nothing by name: the shared part was made inside a call (a model's trunk). Blame the
        # earliest statement of the first loss whose result already goes through it.
        reaching = []
        for name, bound_at in first_closure.items():
            value = analysis.provenance.live_value(name, first_stmt.scope)
            if live.is_tensor(value) and _reaches(value, overlap):
                reaching.append((bound_at.index, name, bound_at))
        if reaching:
            _, name, bound_at = min(reaching, key=lambda item: item[0])
            value = analysis.provenance.live_value(name, first_stmt.scope)
            if name == first_text and second_ids is not None and id(_safe_grad_fn(value)) in second_ids:
                return _Shared(name, first_stmt, "first_loss")
            others = second_by_stmt.get(id(bound_at), [])
            return _Shared(name, bound_at, "graph", others[0] if others else None)
    return None


def _is_latest(analysis: Analysis, name: str, stmt: Stmt) -> bool:
    """``stmt`` made the value ``name`` holds now (its last binding)."""
    definitions = analysis.timeline.definitions(name, stmt.scope)
    return bool(definitions) and definitions[-1].stmt is stmt


def _one_value_binds(analysis: Analysis, stmt: Stmt, first: str, second: str) -> bool:
    """``a, b = f(x)``: both names come out of one expression (not ``a, b = f(x), g(y)``)."""
    values = {}
    for name in (first, second):
        definition = next((d for d in analysis.timeline.definitions(name, stmt.scope) if d.stmt is stmt), None)
        if definition is None or definition.value is None:
            return False
        values[name] = definition.value
    return values[first] is values[second]


def _shared_finding(analysis: Analysis, previous: _Backward, shared: _Shared, first_text: str,
                    second_text: str | None) -> Finding:
    params: dict[str, object] = {
        "first_loss": first_text, "second_loss": second_text, "first": previous.stmt.line,
        "first_where": location(previous.stmt),
    }
    where = shared.used_at
    if previous.is_grad:
        # torch.autograd.grad(...) without create_graph / retain_graph freed the graph.
        params.update(variant="grad_call", fixed_line=_with_create_graph(previous) or previous.stmt.line)
        where = previous.stmt
    elif shared.mode == "first_loss":
        params.update(variant="first_loss")
    elif shared.second:
        params.update(variant="detach_in_second")
    elif shared.mode == "variable" and first_text == second_text and shared.bound_at is not None:
        # The same name backwarded twice, re-computed in between from one old tensor (a re-run cell).
        params.update(variant="recomputed", made_line=shared.bound_at.line, made_where=location(shared.bound_at))
    elif shared.mode in ("statement", "graph"):
        params.update(variant="inside_call", other=shared.other or second_text)
    names = [shared.name] + ([shared.other] if shared.other else [])
    return finding(analysis, KIND, "shared_subgraph", names, where, [first_text, second_text], **params)


def _with_create_graph(backward: _Backward) -> str | None:
    """The line of a ``torch.autograd.grad(...)`` call with ``create_graph=True`` added."""
    stmt, call = backward.stmt, backward.call
    if call.lineno != stmt.lineno or call.end_lineno != stmt.lineno or call.end_col_offset is None:
        return None
    raw = stmt.lines[stmt.lineno - 1] if 0 < stmt.lineno <= len(stmt.lines) else ""
    close = call.end_col_offset - 1
    if close >= len(raw) or raw[close] != ")":
        return None
    keywords = [k for k in call.keywords if k.arg in ("retain_graph", "create_graph")]
    if keywords:
        return None
    indent = len(raw) - len(raw.lstrip())
    separator = ", " if (call.args or call.keywords) else ""
    return (raw[:close] + separator + "create_graph=True" + raw[close:])[indent:].rstrip()
