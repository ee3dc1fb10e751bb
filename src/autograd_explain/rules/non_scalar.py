"""``grad can be implicitly created only for scalar outputs``.

Names the tensor and its shape, and tells an output left unreduced from a loss
built with ``reduction="none"`` and from a complex output.
"""

from __future__ import annotations

import ast

from .. import live
from ..context import Analysis
from ..diagnosis import Finding
from ..source import Stmt, dotted_name
from .common import dependency_closure, finding, rhs_of

KIND = "non-scalar-backward"


def diagnose(analysis: Analysis) -> Finding:
    stmt = analysis.raising_stmt
    target_text = analysis.target_text
    value = analysis.target_value
    params: dict[str, object] = {}
    if live.is_tensor(value):
        dims = live.shape(value)
        params["shape"] = live.shape_text(dims)
        numel = 1
        for d in dims:
            numel *= d
        params["numel"] = numel
        params["dtype"] = live.dtype_name(live.dtype(value))
        if live.dtype(value).is_complex:
            return finding(analysis, KIND, "complex_output", [target_text], _made_at(analysis), **params)
    elif "real scalar" in analysis.parsed.message:
        return finding(analysis, KIND, "complex_output", [target_text], _made_at(analysis), **params)
    if stmt is not None and analysis.target_node is not None:
        reduction = _reduction_none(analysis, analysis.target_node, stmt)
        if reduction is not None:
            _, built_at = reduction
            # The line to change is where the differentiated tensor was made (it may be
            # derived from the per-sample loss, as in `hard = per_sample.topk(4).values`).
            made_at = _made_at(analysis) or reduction[0]
            return finding(analysis, KIND, "reduction_none", [target_text], made_at,
                           built=built_at.line, built_where=built_at.lineno, **params)
    if live.is_tensor(value) or stmt is not None:
        inputs = _grad_call_inputs(analysis)
        if inputs is not None:
            params.update(variant="autograd_grad", inputs=inputs)
        return finding(analysis, KIND, "unreduced_output", [target_text], _made_at(analysis), **params)
    return finding(analysis, KIND, "unknown", [target_text], None, **params)


def _grad_call_inputs(analysis: Analysis) -> str | None:
    """For ``torch.autograd.grad(u, x, ...)`` raising: the source of its inputs (``x``)."""
    stmt = analysis.raising_stmt
    if stmt is None:
        return None
    for call in (c for c in ast.walk(stmt.node) if isinstance(c, ast.Call)):
        name = dotted_name(call.func) or ""
        if not name.endswith("autograd.grad") or not call.args:
            continue
        if ast.unparse(call.args[0]) != analysis.target_text:
            continue
        second = call.args[1] if len(call.args) > 1 else next(
            (k.value for k in call.keywords if k.arg == "inputs"), None)
        return ast.unparse(second) if second is not None else "inputs"
    return None


def _made_at(analysis: Analysis) -> Stmt | None:
    """The statement that bound the differentiated tensor (or the raising one)."""
    stmt = analysis.raising_stmt
    name = analysis.target_text
    if stmt is None or not name:
        return stmt
    definition = analysis.timeline.definition_before(name, stmt.scope, stmt.index)
    return definition.stmt if definition else stmt


def _reduction_none(analysis: Analysis, target: ast.expr, stmt: Stmt) -> tuple[Stmt, Stmt] | None:
    """Where a ``reduction='none'`` loss fed the target: (the loss call, the line that set it)."""
    closure = dependency_closure(analysis, target, stmt)
    chain = [(name, bound) for name, bound in closure.items()]
    chain.sort(key=lambda item: -item[1].index)
    for name, bound in chain:
        value = rhs_of(bound)
        if value is None:
            continue
        for call in (c for c in ast.walk(value) if isinstance(c, ast.Call)):
            if _has_reduction_none(call.keywords):
                return bound, bound
            callee = dotted_name(call.func)
            if not callee or "()" in callee:
                continue
            module = analysis.provenance.live_value(callee, bound.scope)
            if live.is_module(module) and live.instance_dict(module).get("reduction") == "none":
                built = analysis.timeline.definition_before(callee, bound.scope, bound.index)
                return bound, built.stmt if built else bound
    return None


def _has_reduction_none(keywords: list[ast.keyword]) -> bool:
    return any(k.arg == "reduction" and isinstance(k.value, ast.Constant) and k.value.value == "none"
               for k in keywords)
