"""``Can't call numpy() on Tensor that requires grad``.

Raised by ``t.numpy()`` and by anything that converts a tensor to an array
(``np.array(t)``, ``plt.plot(t)``...). The raising statement is the line to
change: name the tensor that still requires grad and show the line with
``.detach()`` added.
"""

from __future__ import annotations

import ast

from .. import fixes, live
from ..context import Analysis
from ..diagnosis import Finding
from ..source import Stmt, dotted_name
from .common import finding
from .writes import live_expr, live_of, names_in, text

KIND = "numpy-requires-grad"


def diagnose(analysis: Analysis) -> Finding:
    stmt = analysis.raising_stmt
    if stmt is None:
        return finding(analysis, KIND, "unknown", [], None)
    scope = stmt.scope
    line = stmt.line
    # t.numpy() spelled in the line: of several, the one whose tensor requires grad
    # (`plt.plot(xs.numpy(), pred.numpy())`), else the first that may
    receivers: list[tuple[int, ast.expr, str]] = []
    for call in sorted((c for c in ast.walk(stmt.node) if isinstance(c, ast.Call)),
                       key=lambda c: (c.lineno, c.col_offset)):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "numpy":
            receiver = func.value
            name = _culprit_in(analysis, receiver, scope)
            if name is not None:
                rank = {True: 0, None: 1, False: 2}[_receiver_requires_grad(analysis, receiver, scope)]
                receivers.append((rank, receiver, name))
    best = min(receivers, key=lambda item: item[0]) if receivers else None
    if best is not None and best[0] < 2:
        return _numpy_call_finding(analysis, stmt, best[1], best[2])
    # a tensor passed to NumPy / matplotlib / anything that calls __array__
    detached = _only_read_detached(stmt.node)
    for name in names_in(stmt.node):
        if name in detached:
            continue  # `d2l.plot(x.detach(), y)`: x is not the one
        value = live_of(analysis, name, scope)
        if live.is_tensor(value) and live.requires_grad(value):
            fixed = fixes.replace_first_read(line, name, f"{name}.detach().cpu().numpy()")
            return finding(analysis, KIND, "needs_detach", [name], stmt, expr=name, fixed_line=fixed,
                           convert="__array__")
    if best is not None:
        return _numpy_call_finding(analysis, stmt, best[1], best[2])
    # np.sum(losses) / np.sum([crit(o, t) for o in outs]): a list of tensors that require grad
    for call, argument, name in _numpy_reductions_of_tensor_lists(analysis, stmt):
        reduction = (dotted_name(call.func) or "").rsplit(".", 1)[-1]
        rest = ", ".join(ast.unparse(a) for a in call.args[1:])
        fixed = line.replace(ast.unparse(call), f"torch.stack({ast.unparse(argument)}).{reduction}({rest})") \
            if ast.unparse(call) in line else line
        return finding(analysis, KIND, "needs_detach", [name], stmt, expr=name, fixed_line=fixed,
                       convert="__array__")
    return finding(analysis, KIND, "unknown", [], stmt, fixed_line=line)


def _only_read_detached(node: ast.AST) -> set[str]:
    """Names every read of which in ``node`` is ``name.detach()`` (or ``.data``)."""
    plain: set[str] = set()
    detached: set[str] = set()
    parents = {id(child): parent for parent in ast.walk(node) for child in ast.iter_child_nodes(parent)}
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            parent = parents.get(id(child))
            if isinstance(parent, ast.Attribute) and parent.attr in ("detach", "data"):
                detached.add(child.id)
            else:
                plain.add(child.id)
    return detached - plain


_NUMPY_REDUCTIONS = frozenset({"sum", "mean", "prod", "max", "min"})


def _numpy_reductions_of_tensor_lists(analysis: Analysis, stmt: Stmt) -> list[tuple[ast.Call, ast.expr, str]]:
    """``np.sum(X, ...)`` calls whose ``X`` is a list of grad tensors (a live list or a comprehension)."""
    found = []
    for call in (c for c in ast.walk(stmt.node) if isinstance(c, ast.Call)):
        called = dotted_name(call.func) or ""
        if not called.startswith(("np.", "numpy.")) or called.rsplit(".", 1)[-1] not in _NUMPY_REDUCTIONS \
                or not call.args:
            continue
        argument = call.args[0]
        for name in names_in(argument):
            value = live_of(analysis, name, stmt.scope)
            if type(value) in (list, tuple) and any(live.is_tensor(v) and live.requires_grad(v) for v in value[:64]):
                found.append((call, argument, name))
                break
            if isinstance(argument, (ast.ListComp, ast.GeneratorExp)) and live.is_tensor(value) \
                    and live.requires_grad(value):
                found.append((call, argument, name))
                break
    return found


def _numpy_call_finding(analysis: Analysis, stmt: Stmt, receiver: ast.expr, name: str) -> Finding:
    receiver_text = text(receiver)
    fixed = _detach_numpy(stmt.line, receiver_text)
    return finding(analysis, KIND, "needs_detach", [name], stmt, expr=receiver_text,
                   fixed_line=fixed, convert=".numpy()")


def _culprit_in(analysis: Analysis, receiver: ast.expr, scope: str | None) -> str | None:
    name = dotted_name(receiver)
    if name and "()" not in name:
        return name
    if _plain_path(receiver):
        return ast.unparse(receiver)  # `net[0].weight`, `params['w']`: the tensor as written
    # (x * 2).numpy(), model(x).numpy(): the variable inside that requires grad
    for candidate in names_in(receiver):
        value = live_of(analysis, candidate, scope)
        if live.is_tensor(value) and live.requires_grad(value) or live.is_module(value):
            return candidate
    found = names_in(receiver)
    return found[0] if found else None


def _plain_path(node: ast.expr) -> bool:
    """A name followed by attributes and constant subscripts only (``net[0].weight``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Constant):
            return False
        node = node.value
    return isinstance(node, ast.Name)


def _receiver_requires_grad(analysis: Analysis, receiver: ast.expr, scope: str | None) -> bool | None:
    """Whether the tensor ``receiver`` evaluates to requires grad, as far as live values tell."""
    value = live_expr(analysis, receiver, scope)
    if live.is_tensor(value):
        return live.requires_grad(value)
    states: list[bool | None] = []
    for candidate in names_in(receiver):
        value = live_of(analysis, candidate, scope)
        if live.is_tensor(value):
            states.append(live.requires_grad(value))
        elif live.is_module(value):
            states.append(live.module_requires_grad(value))
        elif value is live.MISSING:
            states.append(None)
    if any(state is True for state in states):
        return True
    if states and all(state is False for state in states):
        return False
    return None


def _detach_numpy(line: str, receiver_text: str) -> str:
    """``line`` with ``R.numpy()`` rewritten as ``R.detach().cpu().numpy()``."""
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return line
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "numpy" and text(node.value) == receiver_text:
            receiver = node.value
            if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute) \
                    and receiver.func.attr == "cpu" and not receiver.args:
                # t.cpu().numpy() -> t.detach().cpu().numpy()
                inner = receiver.func.value
                receiver.func.value = ast.Call(ast.Attribute(inner, "detach", ast.Load()), [], [])
                return ast.unparse(tree)
            detach = ast.Call(ast.Attribute(receiver, "detach", ast.Load()), [], [])
            node.value = ast.Call(ast.Attribute(detach, "cpu", ast.Load()), [], [])
            return ast.unparse(tree)
    return line
