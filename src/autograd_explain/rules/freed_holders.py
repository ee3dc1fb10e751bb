"""Which of the user's variables holds the part of a graph an earlier backward freed.

Used by the backward-twice rule when the code shows no earlier backward in the
raising scope: the earlier one ran in another function (a GAN's
``train_discriminator``), or in an earlier call of this one (REINFORCE's
``finish_episode`` over a list of log-probs never cleared). The live objects
tell: among the tensors the user's variables hold (the namespace, the
traceback's locals, lists and attributes of live objects), those whose graph
is part of the failing target's graph and has freed buffers.

A failed ``backward()`` frees every node it ran before it hit the freed one,
so a holder computed *in this run* of the raising code (a local the raising
function bound, a variable the raising cell bound) proves nothing: only
holders that come from before (parameters, earlier cells, attributes, lists)
are kept. Of those, the most downstream one is where the old graph enters.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Iterator

from .. import autograd_graph, live
from ..context import Analysis
from ..source import GROWING_METHODS, Stmt, dotted_name, local_names

#: bounded walks: the target's graph, and each holder's graph
_GRAPH_LIMIT = 20_000
_HOLDER_WALK = 5_000
#: how many elements of one list/dict are looked at
_ELEMENTS = 512
_IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})


@dataclass(frozen=True)
class Holder:
    """A variable (``fake_data``), attribute (``policy.saved_log_probs``) holding an old graph."""

    name: str
    scope: str | None  # the function whose local it is; None for the notebook's namespace
    container: bool  # a list / tuple / dict of tensors, not one tensor


def freed_holder(analysis: Analysis, target: Any) -> Holder | None:
    """The user's variable through which ``target``'s graph reaches buffers an earlier backward freed."""
    root = live.grad_fn(target) if live.is_tensor(target) else None
    if root is None:
        return None
    nodes = list(autograd_graph.walk(root, _GRAPH_LIMIT))
    in_graph = {id(node) for node in nodes}
    fresh = _bound_in_this_run(analysis)
    found: list[tuple[Holder, Any]] = []
    seen: set[int] = set()
    for holder, tensor in _candidates(analysis, fresh):
        grad_fn = live.grad_fn(tensor)
        if grad_fn is None or grad_fn is root or tensor is target or id(grad_fn) not in in_graph:
            continue
        if id(grad_fn) in seen and not holder.container:
            continue
        if autograd_graph.find_problem(grad_fn, "freed", limit=64) is None:
            continue
        seen.add(id(grad_fn))
        found.append((holder, grad_fn))
    return _most_downstream(found)


def _most_downstream(found: list[tuple[Holder, Any]]) -> Holder | None:
    """The holder whose node no other holder's graph reaches (the first found, of equals)."""
    if len(found) <= 1:
        return found[0][0] if found else None
    reached = [{id(node) for node in autograd_graph.walk(grad_fn, _HOLDER_WALK)} - {id(grad_fn)}
               for _, grad_fn in found]
    for holder, grad_fn in found:
        if not any(id(grad_fn) in others for others in reached):
            return holder
    return found[0][0]


def _candidates(analysis: Analysis, fresh: set[tuple[str | None, str]]) -> Iterator[tuple[Holder, Any]]:
    """(holder, tensor) for every tensor the user's variables hold, innermost frame first."""
    # the notebook's names first: of two names for one tensor, `trainer.Z` beats `self.Z`
    sources: list[tuple[str | None, Any]] = [(None, analysis.namespace)]
    for frame in reversed(analysis.user_frames):
        if frame.function != "<module>":
            sources.append((frame.qualname, frame.locals))
    for scope, variables in sources:
        if type(variables) is not dict:
            continue
        for key, value in list(variables.items()):
            if type(key) is not str or key.startswith("_") or key in _IPYTHON_NAMES or (scope, key) in fresh:
                continue
            yield from _held(key, scope, value)


def _held(name: str, scope: str | None, value: Any) -> Iterator[tuple[Holder, Any]]:
    if live.is_tensor(value):
        yield Holder(name, scope, False), value
        return
    elements = _elements(value)
    if elements is not None:
        for item in elements:
            if live.is_tensor(item):
                yield Holder(name, scope, True), item
        return
    if live.is_module(value):
        for path, module in _limited(live.named_modules(value, name), 256):
            yield from _attributes(path, scope, module)
            buffers = live.instance_dict(module).get("_buffers")
            if type(buffers) is dict:
                for key, item in list(buffers.items()):
                    if type(key) is str and live.is_tensor(item):
                        yield Holder(f"{path}.{key}", scope, False), item
    elif _plain_instance(value):
        yield from _attributes(name, scope, value)


def _attributes(path: str, scope: str | None, obj: Any) -> Iterator[tuple[Holder, Any]]:
    """Tensors (not parameters) and lists of tensors in an object's ``__dict__``."""
    for attribute, item in list(live.instance_dict(obj).items()):
        if type(attribute) is not str or attribute.startswith("_"):
            continue
        if live.is_tensor(item) and live.type_name(item) != "Parameter":
            yield Holder(f"{path}.{attribute}", scope, False), item
        else:
            for element in _elements(item) or ():
                if live.is_tensor(element):
                    yield Holder(f"{path}.{attribute}", scope, True), element


def _limited(items: Iterator[Any], limit: int) -> Iterator[Any]:
    for count, item in enumerate(items):
        if count >= limit:
            return
        yield item


def _elements(value: Any) -> list[Any] | None:
    if type(value) in (list, tuple):
        return list(value[:_ELEMENTS])
    if type(value) is dict:
        return list(value.values())[:_ELEMENTS]
    return None


def _plain_instance(value: Any) -> bool:
    """An instance of a class the notebook defined (its ``__dict__`` is read statically)."""
    return live.type_module(value) == "__main__" and not issubclass(type(value), type)


def _bound_in_this_run(analysis: Analysis) -> set[tuple[str | None, str]]:
    """(scope, name) of values the failing run computed itself: locals the raising function's
    statements bound, and names the raising cell's statements before it bound."""
    raising = analysis.raising_stmt
    fresh: set[tuple[str | None, str]] = set()
    if raising is None:
        return fresh
    for stmt in analysis.timeline.stmts[: raising.index]:
        if stmt.unit is not raising.unit or stmt.scope != raising.scope:
            continue
        scope = _frame_scope(analysis, stmt.scope)
        for name in _bound_names(stmt):
            fresh.add((scope, name))
    return fresh


def _frame_scope(analysis: Analysis, scope: str | None) -> str | None:
    if scope is None:
        return None
    for frame in analysis.user_frames:
        if frame.qualname == scope or frame.qualname.endswith("." + scope):
            return frame.qualname
    return scope


def _bound_names(stmt: Stmt) -> list[str]:
    node = stmt.node
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    return [n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)]


# -- where the holder got its old graph ---------------------------------------------------
def storing_statement(analysis: Analysis, holder: Holder) -> Stmt | None:
    """The last statement that ran before the error and stores into the attribute ``holder``
    (``trainer.Z[idx] = ...``, ``self.running_mean = ...`` in its class's methods)."""
    if "." not in holder.name:
        return None
    attribute = holder.name.rsplit(".", 1)[1]
    spelled = {holder.name, f"self.{attribute}"}
    found = None
    for stmt in analysis.timeline.stmts:
        if stmt.scope is None and stmt.index > analysis.horizon:
            break
        node = stmt.node
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            for part in ast.walk(target):
                written = part.value if isinstance(part, ast.Subscript) else part
                if isinstance(written, ast.Attribute) and dotted_name(written) in spelled:
                    found = stmt
    return found


def growth_statement(analysis: Analysis, holder: Holder) -> Stmt | None:
    """The last statement that ran before the error and grows the container ``holder``
    (``policy.saved_log_probs.append(...)``, or ``self.saved_log_probs.append`` in its class)."""
    spelled = {holder.name}
    owner, _, attribute = holder.name.partition(".")
    if attribute:
        spelled.add(f"self.{attribute}")
    horizon = analysis.horizon
    found = None
    for stmt in analysis.timeline.stmts:
        if stmt.scope is None and stmt.index > horizon:
            break
        for call in (c for c in ast.walk(stmt.node) if isinstance(c, ast.Call)):
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in GROWING_METHODS \
                    and dotted_name(func.value) in spelled:
                found = stmt
        if isinstance(stmt.node, ast.AugAssign) and dotted_name(stmt.node.target) in spelled:
            found = stmt
    return found


@dataclass(frozen=True)
class Consumer:
    stmt: Stmt  # the statement of the earlier function that read the holder
    parameter: str  # the name it was read by there
    loss: str  # what that function backwarded
    call: Stmt  # the top-level statement that called it


def earlier_consumer(analysis: Analysis, holder: Holder) -> Consumer | None:
    """Where an earlier backward's loss read ``holder``: the first statement, in the body of a
    function that calls ``backward()`` and was called (before the error) with ``holder`` as an
    argument, that reads the parameter it was passed as."""
    name = holder.name
    horizon = analysis.horizon
    raising_scope = analysis.raising_stmt.scope if analysis.raising_stmt is not None else None
    for stmt in analysis.timeline.stmts:
        if stmt.scope is not None or stmt.index >= horizon:
            continue
        for call in (c for c in ast.walk(stmt.node) if isinstance(c, ast.Call)):
            callee = dotted_name(call.func)
            if not callee or "()" in callee or callee == raising_scope:
                continue
            definition = analysis.timeline.function(callee, before=stmt.index)
            if definition is None or definition.inner_scope == raising_scope:
                continue
            parameter = _parameter_for(definition.node, call, name)
            if parameter is None and "." not in name and isinstance(definition.node, (ast.FunctionDef,
                                                                                     ast.AsyncFunctionDef)) \
                    and name not in local_names(definition.node):
                parameter = name  # the helper reads the notebook's variable as a global
            if parameter is None:
                continue
            body = analysis.timeline.body(definition)
            loss = next((text for text in map(_backward_target_text, body) if text), None)
            if loss is None:
                continue
            for body_stmt in body:
                if parameter in {n.id for n in ast.walk(body_stmt.node) if isinstance(n, ast.Name)} \
                        and not isinstance(body_stmt.node, (ast.For, ast.While, ast.If, ast.With)):
                    return Consumer(body_stmt, parameter, loss, stmt)
    return None


def _parameter_for(function: ast.AST, call: ast.Call, name: str) -> str | None:
    """The parameter of ``function`` that ``call`` passes the variable ``name`` to."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    parameters = [a.arg for a in function.args.posonlyargs + function.args.args]
    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Name) and argument.id == name and position < len(parameters):
            return parameters[position]
    for keyword in call.keywords:
        if keyword.arg and isinstance(keyword.value, ast.Name) and keyword.value.id == name:
            return keyword.arg
    return None


def _backward_target_text(stmt: Stmt) -> str | None:
    """``d_loss`` for a statement ``d_loss.backward()`` (that frees the graph), else None."""
    for call in (c for c in ast.walk(stmt.node) if isinstance(c, ast.Call)):
        func = call.func
        keeps = any(k.arg in ("retain_graph", "create_graph") for k in call.keywords)
        if isinstance(func, ast.Attribute) and func.attr == "backward" and not keeps:
            return ast.unparse(func.value)
        if (dotted_name(func) or "").endswith(("autograd.backward", "autograd.grad")) and call.args and not keeps:
            return ast.unparse(call.args[0])
    return None
