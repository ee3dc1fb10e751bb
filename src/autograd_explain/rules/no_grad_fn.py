"""``element 0 of tensors does not require grad and does not have a grad_fn``.

Follows the tensor ``backward()`` was called on back through the user's
statements (see :mod:`..provenance`) to the first variable whose value lost
its graph, and classifies the cut.
"""

from __future__ import annotations

import ast
from typing import Any
from dataclasses import replace

from .. import live
from ..context import Analysis
from ..diagnosis import Finding
from ..provenance import Cut, Value
from ..source import Stmt, dotted_name
from .. import fixes
from . import optimizers
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
    cut = _cut_on_the_trained_path(analysis, value)
    if cut is None and value.conversion is not None and value.kind == "tensor" and not value.grad:
        # a Python number (`.item()`, `.tolist()`) that arithmetic with a tensor, or
        # torch.stack/tensor, turned back into one: the conversion is where the graph ended
        conversion = value.conversion
        cause = {"tolist": "item", "numpy": "numpy_roundtrip"}.get(conversion.cause, conversion.cause)
        if cause not in ("item", "numpy_roundtrip"):
            cause = "numpy_roundtrip" if conversion.cause.startswith(("np.", "numpy.")) else None
        if cause is not None:
            cut = replace(conversion, cause=cause)
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


def _cut_on_the_trained_path(analysis: Analysis, value: Value) -> Cut | None:
    """Of several cuts on the way to the loss, the one on what the optimizer trains.

    ``td = r + gamma * next_v - v`` with ``next_v`` from a target network under
    ``no_grad`` (meant to have no graph) and ``v = values.detach().numpy()``:
    the optimizer stepped after ``backward()`` owns the critic that made
    ``values``, so that cut is the one that broke training.
    """
    cuts = [c for c in (value.cut, *value.other_cuts) if c is not None]
    if len(cuts) < 2 or analysis.raising_stmt is None:
        return cuts[0] if cuts else None
    optimizer = optimizers.training_optimizer(analysis, analysis.raising_stmt)
    if optimizer is None:
        return cuts[0]
    verdicts = [optimizers.owns_any(optimizer, _parameters_behind(analysis, cut)) for cut in cuts]
    if verdicts[0] is True:
        return cuts[0]
    trained = [cut for cut, verdict in zip(cuts, verdicts) if verdict is True]
    return trained[0] if trained else cuts[0]


def _parameters_behind(analysis: Analysis, cut: Cut) -> list[Any]:
    """Parameters of what the cut was applied to: the upstream variable's graph, and the live
    modules the cutting statement calls."""
    found: list[Any] = []
    scope = cut.stmt.scope
    if cut.upstream:
        upstream = analysis.provenance.live_value(cut.upstream, scope)
        if upstream is live.MISSING and scope is not None:
            upstream = analysis.provenance.live_value(cut.upstream, None)
        found.extend(optimizers.graph_parameters(upstream))
    for call in (c for c in ast.walk(cut.stmt.node) if isinstance(c, ast.Call)):
        name = dotted_name(call.func)
        if name and "()" not in name:
            module = analysis.provenance.live_value(name, scope)
            if live.is_module(module):
                found.extend(p for _, p in live.named_parameters(module))
    return found


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
    only ``W`` should have had ``requires_grad=True``: see :func:`_weight_rank`.
    """
    keep = []
    for name in leaves:
        value = analysis.provenance.live_value(name, None)
        if live.is_tensor(value):
            dtype = live.dtype(value)
            if not (dtype.is_floating_point or dtype.is_complex):
                continue
        keep.append(name)
    if len(keep) < 2:
        return keep
    rank = _weight_rank(analysis, set(keep))
    return sorted(keep, key=lambda name: rank.get(name, _NEUTRAL))


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


_TRAINED, _WEIGHT_POSITION, _NEUTRAL, _DATA = range(4)
_MATMUL_CALLS = {"matmul", "mm", "bmm", "mv", "torch.matmul", "torch.mm", "torch.bmm", "torch.mv"}
_LINEAR_CALLS = {"F.linear", "torch.nn.functional.linear", "nn.functional.linear", "F.conv1d", "F.conv2d",
                 "F.conv3d", "torch.nn.functional.conv2d", "torch.conv2d", "torch.addmm"}


def _weight_rank(analysis: Analysis, wanted: set[str]) -> dict[str, int]:
    """How weight-like each module-level name is, from how the code uses it (lower: more).

    * trained: read through ``.grad``, updated in place (``w -= ...``), given to
      an optimizer or to a user function that does one of those to its parameter
      (d2l's ``sgd([w, b], lr, batch_size)``);
    * in a weight's position: the right operand of a matmul (``X @ W``), the
      weight/bias of ``F.linear``/``conv``;
    * data: a loop variable drawn from an iterable (``for X, y in data_iter(...)``).
    """
    rank: dict[str, int] = {}

    def mark(name: str, tier: int) -> None:
        if name in wanted:
            rank[name] = min(rank.get(name, _NEUTRAL), tier)

    trainers = _trained_parameters(analysis)
    for stmt in analysis.timeline.stmts:
        node = stmt.node
        if stmt.scope is not None or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            mark(node.target.id, _TRAINED)
        if isinstance(node, (ast.For, ast.AsyncFor)):
            for target in ast.walk(node.target):
                if isinstance(target, ast.Name) and target.id in wanted and target.id not in rank:
                    rank[target.id] = _DATA
        for child in _walk_statement(node):
            if isinstance(child, ast.Attribute) and child.attr == "grad" and isinstance(child.value, ast.Name):
                mark(child.value.id, _TRAINED)
            elif isinstance(child, ast.BinOp) and isinstance(child.op, ast.MatMult) \
                    and isinstance(child.right, ast.Name):
                mark(child.right.id, _WEIGHT_POSITION)
            elif isinstance(child, ast.Call):
                _rank_call(child, trainers, mark)
    return rank


def _walk_statement(node: ast.AST):
    """The nodes of one statement, without the bodies of compound statements (they are statements too)."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        roots: list[ast.AST] = [node.target, node.iter]
    elif isinstance(node, (ast.While, ast.If)):
        roots = [node.test]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        roots = [item.context_expr for item in node.items]
    elif isinstance(node, ast.Try):
        roots = []
    else:
        roots = [node]
    for root in roots:
        yield from ast.walk(root)


def _rank_call(call: ast.Call, trainers: dict[str, set[int]], mark) -> None:
    callee = dotted_name(call.func) or ""
    names_in = lambda arg: [n.id for n in ast.walk(arg) if isinstance(n, ast.Name)]  # noqa: E731
    if callee.startswith(("torch.optim.", "optim.")) or callee in trainers:
        positions = {0} if callee not in trainers else trainers[callee]
        for position, arg in enumerate(call.args):
            if position in positions:
                for name in names_in(arg):
                    mark(name, _TRAINED)
    elif callee in _MATMUL_CALLS and len(call.args) >= 2 and isinstance(call.args[1], ast.Name):
        mark(call.args[1].id, _WEIGHT_POSITION)
    elif callee in _LINEAR_CALLS:
        for arg in call.args[1:3]:
            if isinstance(arg, ast.Name):
                mark(arg.id, _WEIGHT_POSITION)
    elif isinstance(call.func, ast.Attribute) and call.func.attr in ("matmul", "mm") and call.args \
            and isinstance(call.args[0], ast.Name):
        mark(call.args[0].id, _WEIGHT_POSITION)


def _trained_parameters(analysis: Analysis) -> dict[str, set[int]]:
    """User functions (module level) and the positions of the parameters their body trains.

    A parameter is trained when the body reads its ``.grad``, updates it in
    place, or iterates over it and does that to the loop variable.
    """
    found: dict[str, set[int]] = {}
    for stmt in analysis.timeline.stmts:
        node = stmt.node
        if stmt.scope is not None or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = [a.arg for a in node.args.posonlyargs + node.args.args]
        trained = _trained_names(node)
        for child in ast.walk(node):
            if isinstance(child, (ast.For, ast.AsyncFor)) and isinstance(child.iter, ast.Name) \
                    and isinstance(child.target, ast.Name) and child.target.id in trained:
                trained.add(child.iter.id)
        positions = {i for i, p in enumerate(params) if p in trained}
        if positions:
            found[node.name] = positions
        else:
            found.pop(node.name, None)
    return found


def _trained_names(function: ast.AST) -> set[str]:
    names: set[str] = set()
    for child in ast.walk(function):
        if isinstance(child, ast.Attribute) and child.attr == "grad" and isinstance(child.value, ast.Name):
            names.add(child.value.id)
        elif isinstance(child, ast.AugAssign) and isinstance(child.target, ast.Name):
            names.add(child.target.id)
        elif isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) \
                and child.func.attr in ("sub_", "add_") and isinstance(child.func.value, ast.Name):
            names.add(child.func.value.id)
    return names


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
