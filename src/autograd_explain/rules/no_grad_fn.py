"""``element 0 of tensors does not require grad and does not have a grad_fn``.

Follows the tensor ``backward()`` was called on back through the user's
statements (see :mod:`..provenance`) to the first variable whose value lost
its graph, and classifies the cut.
"""

from __future__ import annotations

import ast

from .. import live
from ..context import Analysis
from ..diagnosis import Finding
from ..provenance import Value
from ..source import Stmt, dotted_name
from .. import fixes
from .common import finding, names_read

KIND = "no-grad-fn"


def diagnose(analysis: Analysis) -> Finding:
    stmt = analysis.raising_stmt
    target = analysis.target_node
    if stmt is None or target is None:
        return finding(analysis, KIND, "unknown", [analysis.target_text], None)
    value = analysis.provenance.evaluate(target, stmt)
    return finding_for_value(analysis, value, KIND)


def finding_for_value(analysis: Analysis, value: Value, kind: str) -> Finding:
    """The no-grad finding for the abstract value of the differentiated tensor."""
    ambient = _grad_off_at_a_call_site(analysis)
    if ambient is not None and (value.cut is None or value.cut.cause == "unknown"):
        mode, call_site = ambient
        name = _first_binding_in_raising_function(analysis) or analysis.target_text
        return finding(analysis, kind, mode, [name], call_site, op=mode, variant="caller",
                       fixed=call_site.line)
    cut = value.cut
    if cut is not None:
        # A cut inside an expression (``loss_fn(p.argmax(1), y)``) binds no name:
        # the user's variable it was applied to is the one to name.
        upstream = cut.upstream if live.is_tensor(analysis.provenance.live_value(cut.upstream or "", cut.stmt.scope)) \
            or cut.stmt.scope is not None else None
        variable = cut.variable or upstream or analysis.target_text
        if cut.cause == "frozen_parameters":
            return _frozen(analysis, kind, cut.op, cut.stmt)
        # The wording speaks of what lost the graph: the bound name, else the expression.
        lost = cut.variable or _cut_expression(cut.stmt, cut.op, cut.upstream) or analysis.target_text
        return finding(analysis, kind, cut.cause, [variable], cut.stmt, [cut.upstream],
                       op=cut.op, upstream=cut.upstream or "its input", var=lost,
                       fixed=_fixed_code(analysis, cut.cause, lost, cut.stmt, cut.upstream))
    if value.frozen:
        return _frozen(analysis, kind, value.frozen[0], analysis.raising_stmt)
    leaves = _float_leaves(analysis, value.leaves)
    if leaves:
        stmt = _creating_statement(analysis, leaves[0])
        return finding(analysis, kind, "inputs_without_grad", leaves, stmt, leaves[1:],
                       leaves=", ".join(leaves),
                       fixed=fixes.add_requires_grad(stmt.line, leaves[0]) if stmt else f"{leaves[0]}.requires_grad_()")
    target_value = analysis.target_value
    if live.is_tensor(target_value) and live.is_leaf(target_value):
        name = analysis.target_text
        definition = analysis.timeline.definitions(name or "", analysis.scope)
        stmt = definition[-1].stmt if definition else None
        return finding(analysis, kind, "inputs_without_grad", [name], stmt, leaves=name)
    return finding(analysis, kind, "unknown", [analysis.target_text], None)


def _cut_expression(stmt: Stmt, op: str, upstream: str | None) -> str | None:
    """The source of the sub-expression that cut the graph (``p.argmax(1)``), if one is plain to see."""
    if not upstream:
        return None
    attribute = op.lstrip(".").split("(")[0]
    for node in ast.walk(stmt.node):
        if isinstance(node, ast.Attribute) and node.attr == attribute and isinstance(node.value, ast.Name) \
                and node.value.id == upstream:
            return ast.unparse(node) if attribute == "data" else None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == attribute:
                on_upstream = isinstance(func.value, ast.Name) and func.value.id == upstream
                first_arg = bool(node.args) and isinstance(node.args[0], ast.Name) and node.args[0].id == upstream
                if on_upstream or first_arg:
                    return ast.unparse(node)
    return None


def _fixed_code(analysis: Analysis, cause: str, variable: str | None, stmt: Stmt,
                upstream: str | None) -> str:
    """The blamed statement rewritten to keep the graph (plus its consumer when that is where to change)."""
    line = stmt.line
    if cause in ("detach", "data_attribute", "item", "numpy_roundtrip", "tensor_rewrap"):
        return fixes.remove_cut(line, cause)
    if cause == "non_differentiable_op" and variable and upstream:
        consumer = _consumer(analysis, variable, stmt)
        if consumer is not None:
            return f"{line}\n{fixes.replace_name(consumer.line, variable, upstream)}"
    return line


def _consumer(analysis: Analysis, variable: str, stmt: Stmt) -> Stmt | None:
    """The first later statement (up to the raising one) that reads ``variable``."""
    end = analysis.raising_stmt.index if analysis.raising_stmt else len(analysis.timeline.stmts) - 1
    for later in analysis.timeline.stmts[stmt.index + 1: end + 1]:
        if later.scope == stmt.scope and variable in names_read(later.node) \
                and not isinstance(later.node, (ast.For, ast.While, ast.With, ast.If)):
            return later
    return None


def _float_leaves(analysis: Analysis, leaves: tuple[str, ...]) -> list[str]:
    """Floating-point leaves, the ones the code treats as weights first.

    In ``y_hat = X @ W + b`` both ``X`` and ``W`` are leaves without grad, but
    only ``W`` is read through ``.grad``, updated in place or given to an
    optimizer: that is the one that should have had ``requires_grad=True``.
    """
    keep = []
    for name in leaves:
        value = analysis.provenance.live_value(name, None)
        if live.is_tensor(value):
            dtype = live.dtype(value)
            if not (dtype.is_floating_point or dtype.is_complex):
                continue
        keep.append(name)
    weights = _weight_like(analysis, keep)
    return sorted(keep, key=lambda name: name not in weights)


def _grad_off_at_a_call_site(analysis: Analysis) -> tuple[str, Stmt] | None:
    """A caller up the traceback ran this code under ``no_grad``/``inference_mode``.

    ``with torch.no_grad(): run_epoch(...)`` whose inner function calls
    ``loss.backward()``: every tensor made inside had no graph, whatever the
    function's own code says.
    """
    frames = analysis.user_frames
    for caller in frames[:-1]:
        site = analysis.timeline.statement_at(caller.filename, caller.lineno)
        if site is not None and site.grad_mode in ("no_grad", "inference_mode", "grad_disabled"):
            return site.grad_mode, site
    return None


def _first_binding_in_raising_function(analysis: Analysis) -> str | None:
    """The variable the differentiated tensor was computed into, in the raising function."""
    stmt = analysis.raising_stmt
    name = analysis.target_text
    if stmt is None or not name:
        return None
    definition = analysis.timeline.definition_before(name, stmt.scope, stmt.index)
    return definition.name if definition else None


def _creating_statement(analysis: Analysis, name: str) -> Stmt | None:
    """The last plain binding of module-level ``name`` that ran before the error.

    ``W -= lr * W.grad`` later in the loop (it never ran) or augmented updates
    do not make the tensor; ``W = torch.randn(3, 1)`` does.
    """
    definitions = analysis.timeline.definitions(name, None)
    horizon = analysis.raising_stmt.index if analysis.raising_stmt else len(analysis.timeline.stmts)
    ran = [d for d in definitions if d.stmt.index < horizon] or definitions
    plain = [d for d in ran if not d.augmented]
    chosen = (plain or ran)[-1] if ran else None
    return chosen.stmt if chosen else None


def _weight_like(analysis: Analysis, names: list[str]) -> set[str]:
    """Those of ``names`` the code uses as trainable: ``name.grad``, ``name -= ...``, ``optim.X([name])``."""
    wanted = set(names)
    found: set[str] = set()
    if len(wanted) < 2:
        return found
    for stmt in analysis.timeline.stmts:
        node = stmt.node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id in wanted:
            found.add(node.target.id)
        for child in ast.walk(node):
            if isinstance(child, ast.Attribute) and child.attr == "grad" and isinstance(child.value, ast.Name) \
                    and child.value.id in wanted:
                found.add(child.value.id)
            elif isinstance(child, ast.Call) and (dotted_name(child.func) or "").startswith(("torch.optim.", "optim.")):
                for arg in child.args[:1]:
                    for item in ast.walk(arg):
                        if isinstance(item, ast.Name) and item.id in wanted:
                            found.add(item.id)
    return found


def _frozen(analysis: Analysis, kind: str, module_name: str, fallback: Stmt | None) -> Finding:
    """Blame the statement that froze the parameters, when the code shows one."""
    freeze = _freezing_statement(analysis)
    module = analysis.provenance.live_value(module_name, analysis.scope)
    trainable = total = None
    if live.is_module(module):
        params = list(live.named_parameters(module))
        total = len(params)
        trainable = sum(1 for _, p in params if live.requires_grad(p))
    return finding(analysis, kind, "frozen_parameters", [module_name], freeze or fallback,
                   op=module_name, total=total, trainable=trainable,
                   used_at=fallback.line if fallback else None)


def _freezing_statement(analysis: Analysis) -> Stmt | None:
    limit = analysis.raising_stmt.index if analysis.raising_stmt else len(analysis.timeline.stmts)
    found = None
    for stmt in analysis.timeline.stmts[:limit]:
        node = stmt.node
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is False \
                and any(isinstance(t, ast.Attribute) and t.attr == "requires_grad" for t in node.targets):
            found = stmt
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if isinstance(call.func, ast.Attribute) and call.func.attr == "requires_grad_" and call.args \
                    and isinstance(call.args[0], ast.Constant) and call.args[0].value is False:
                found = stmt
    return found
