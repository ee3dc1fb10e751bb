"""What an optimizer trains, read from live objects: which parameters a loss is meant to update.

Used to tell an intentional graph cut (a target network under ``no_grad``, a
GAN's generator output seen by the discriminator's loss) from the one that
broke training: the optimizer stepped right after a ``backward()`` owns the
parameters that loss must reach.
"""

from __future__ import annotations

import ast
from typing import Any

from .. import autograd_graph, live
from ..context import Analysis
from ..source import Stmt, dotted_name

#: bounded walk of a live graph when looking for parameters
_GRAPH_LIMIT = 20_000
#: how many statements after a backward() may hold its ``opt.step()``
_STEP_WINDOW = 12


def is_optimizer(obj: Any) -> bool:
    import torch

    return issubclass(type(obj), torch.optim.Optimizer)


def optimizer_parameters(optimizer: Any) -> list[Any]:
    """The tensors of ``optimizer.param_groups``, read from its ``__dict__``."""
    groups = live.instance_dict(optimizer).get("param_groups")
    params: list[Any] = []
    if type(groups) is list:
        for group in groups:
            if type(group) is dict and type(group.get("params")) is list:
                params.extend(p for p in group["params"] if live.is_tensor(p))
    return params


def stepped_after(analysis: Analysis, stmt: Stmt) -> Any:
    """The live optimizer of the first ``X.step()`` among the few statements after ``stmt`` (same scope)."""
    following = [s for s in analysis.timeline.stmts[stmt.index + 1: stmt.index + _STEP_WINDOW]
                 if s.scope == stmt.scope]
    for later in following:
        for call in (c for c in ast.walk(later.node) if isinstance(c, ast.Call)):
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr == "step" and not call.args:
                owner = analysis.provenance.live_value(dotted_name(func.value) or "", stmt.scope)
                if "param_groups" in live.instance_dict(owner):
                    return owner
    return None


def training_optimizer(analysis: Analysis, stmt: Stmt) -> Any:
    """The optimizer stepped right after ``stmt``; else the notebook's only optimizer, if it has one."""
    found = stepped_after(analysis, stmt)
    if found is not None:
        return found
    namespace = analysis.namespace
    if type(namespace) is not dict:
        return None
    candidates = [value for key, value in list(namespace.items())
                  if type(key) is str and not key.startswith("_") and is_optimizer(value)]
    unique = {id(value): value for value in candidates}
    return next(iter(unique.values())) if len(unique) == 1 else None


def owns_any(optimizer: Any, parameters: list[Any]) -> bool | None:
    """Does ``optimizer`` train one of ``parameters``? None when it holds none at all."""
    owned = {id(p) for p in optimizer_parameters(optimizer)}
    if not owned:
        return None
    return any(id(p) in owned for p in parameters)


def graph_parameters(value: Any) -> list[Any]:
    """The leaves that require grad behind ``value``'s graph (its parameters), bounded."""
    root = live.grad_fn(value) if live.is_tensor(value) else None
    if root is None:
        return [value] if live.is_tensor(value) and live.requires_grad(value) else []
    found = []
    for node in autograd_graph.walk(root, _GRAPH_LIMIT):
        leaf = autograd_graph.accumulated_variable(node)
        if leaf is not None:
            found.append(leaf)
    return found


def trains_what_made(analysis: Analysis, backward_stmt: Stmt, value: Any) -> bool | None:
    """Does the optimizer stepped right after ``backward_stmt`` own a parameter ``value`` was made from?

    None when that cannot be told (no ``opt.step()`` soon after, no live optimizer, no graph).
    """
    optimizer = stepped_after(analysis, backward_stmt)
    if optimizer is None:
        return None
    parameters = graph_parameters(value)
    if not parameters:
        return None
    return owns_any(optimizer, parameters)
