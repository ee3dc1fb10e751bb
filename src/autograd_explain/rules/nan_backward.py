"""``Function 'XBackward0' returned nan values in its Nth output`` (anomaly mode).

1. Find node ``XBackward0`` in the graph behind the differentiated tensor, and
   the nodes whose gradient flowed into it (its consumers in the forward pass).
2. The forward line: anomaly mode stores the forward stack in
   ``node.metadata["traceback_"]``; without it (anomaly mode turned on for the
   backward only), the statement of the timeline that spells the op.
3. What made the nan: ``sqrt``/``log``/division next to the node (confirmed
   with the live inputs where they are readable: zeros, non-positive values),
   else a nan already present in an input.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from typing import Any, Iterator

import torch

from .. import autograd_graph, live
from ..context import Analysis, is_user_file
from ..diagnosis import Finding
from ..source import Stmt, dotted_name
from .common import dependency_closure, finding, location
from .origins import differentiated_tensors
from .writes import assigned_name, live_of, names_in, text

KIND = "nan-in-backward"
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_OP_CALLS = {
    "sqrt": ("sqrt", "rsqrt"),
    "log": ("log", "log2", "log10", "log1p", "xlogy"),
    "div": ("div", "divide", "true_divide", "reciprocal"),
}


def diagnose(analysis: Analysis) -> Finding:
    fields = analysis.parsed.fields
    node_label = fields.get("node", "?")
    op = autograd_graph.op_name(node_label)
    params: dict[str, object] = dict(node=node_label, op=op, output_index=fields.get("index", "0"))
    culprit, parents = _find_node(analysis, node_label)
    # the op whose gradient is infinite or undefined at the bad value: the node itself, or the
    # nearest node whose gradient flowed into it (e.g. the sqrt whose gradient met a zero)
    cause_op, cause_node = None, culprit
    for node in ([culprit] if culprit is not None else []) + parents:
        kind = _singular(node)
        if kind is not None:
            cause_op, cause_node = kind, node
            break
    if culprit is None:
        cause_op = _singular_op(op)
    stmt = _forward_stmt(analysis, cause_node) or _forward_stmt(analysis, culprit) \
        or _stmt_spelling(analysis, cause_op or op)
    if stmt is None:
        return finding(analysis, KIND, "unknown", [analysis.target_text], None, **params)
    if culprit is None and cause_op is None:
        # no graph to read: a power spelled with a root-like exponent, or a singular op applied
        # to what the statement computed (`power = x ** 2` then `torch.log(power)`)
        cause_op = _pow_kind(stmt.node)
        if cause_op is None:
            consumer = _singular_consumer(analysis, stmt)
            if consumer is not None:
                stmt, cause_op = consumer
    params["forward_line"] = stmt.line
    params["forward_where"] = location(stmt)
    argument = _argument_of(stmt, cause_op) if cause_op else None
    arg_names = _operand_names(analysis, argument, stmt)
    nan_name = _nan_input(analysis, stmt, culprit)
    if cause_op is not None:
        confirmed = _confirm(analysis, cause_op, arg_names, stmt)
        if confirmed is False and nan_name:
            return _nan_input_finding(analysis, stmt, nan_name, params)
        cause = {"sqrt": "sqrt_at_zero", "log": "log_of_nonpositive", "div": "division_by_zero"}[cause_op]
        params["argument"] = text(argument) if argument is not None else "?"
        variables = arg_names or [assigned_name(stmt) or analysis.target_text]
        return finding(analysis, KIND, cause, variables, stmt, **params)
    if nan_name:
        return _nan_input_finding(analysis, stmt, nan_name, params)
    return finding(analysis, KIND, "unknown", [assigned_name(stmt) or analysis.target_text], stmt, **params)


def _nan_input_finding(analysis: Analysis, stmt: Stmt, name: str, params: dict[str, object]) -> Finding:
    return finding(analysis, KIND, "nan_input", [name], stmt, **params)


# -- the graph -------------------------------------------------------------------
def _find_node(analysis: Analysis, label: str) -> tuple[Any, list[Any]]:
    """The node named ``label`` behind the differentiated tensor, and the nodes that fed it gradient
    (nearest first).

    ``loss.sum().backward()`` differentiates an expression with no live value: the tensor torch's
    own ``backward``/``grad`` frame holds is the root, then the tensors the expression (or the
    raising statement) reads.
    """
    roots = differentiated_tensors(analysis) + [analysis.target_value]
    stmt = analysis.raising_stmt
    for node in (analysis.target_node, stmt.node if stmt is not None else None):
        for name in names_in(node):
            roots.append(live_of(analysis, name, stmt.scope if stmt is not None else None))
    seen: set[int] = set()
    for root in roots:
        if not live.is_tensor(root) or id(root) in seen:
            continue
        seen.add(id(root))
        found = _find_below(live.grad_fn(root), label)
        if found[0] is not None:
            return found
    return None, []


#: backward nodes that only move, sum or reshape a gradient: an infinite gradient passes them unchanged
_PASS_THROUGH = frozenset({"sum", "mean", "expand", "view", "unsafeview", "reshape", "reshapealias", "unsqueeze",
                           "squeeze", "permute", "transpose", "t", "select", "slice", "index", "clone", "alias",
                           "tobackward", "copy", "cat", "stack", "split", "splitwithsizes", "unbind", "neg",
                           "squeeze1", "squeeze2", "unsqueeze0", "asstrided", "diagonal", "narrow", "flip"})


def _find_below(root: Any, label: str) -> tuple[Any, list[Any]]:
    if root is None:
        return None, []
    parents: dict[int, list[Any]] = {}
    seen = {id(root)}
    queue: deque[Any] = deque([root])
    candidates: list[Any] = []
    visits = 0
    while queue and visits < 5000:
        node = queue.popleft()
        visits += 1
        if live.node_name(node) == label:
            candidates.append(node)
        for child in autograd_graph.next_nodes(node):
            parents.setdefault(id(child), []).append(node)
            if id(child) not in seen:
                seen.add(id(child))
                queue.append(child)
    if not candidates:
        return None, []
    found = _last_run(candidates) or candidates[0]
    return found, _feeders(found, parents)


def _last_run(candidates: list[Any]) -> Any:
    """Of several nodes with the message's name, the one that returned nan.

    The engine runs a graph's nodes in decreasing sequence number, and frees a node's saved
    tensors once it has run (unless ``retain_graph``): the failing node is the latest-created
    one that has run, i.e. the lowest sequence number among freed nodes.
    """
    if len(candidates) < 2:
        return None
    run = [node for node in candidates if _has_run(node)]
    if not run:
        return None
    return min(run, key=_sequence_number)


def _has_run(node: Any) -> bool:
    if not _builtin_node(node):
        return False
    found = autograd_graph.probe(node)
    return found is not None and found.problem == "freed"


def _sequence_number(node: Any) -> int:
    try:
        return int(node._sequence_nr())
    except Exception:
        return 1 << 62


def _builtin_node(node: Any) -> bool:
    """A node class made by torch's C++ code (never a user's custom Function)."""
    try:
        return type.__dict__["__module__"].__get__(type(node)) == "builtins"  # type: ignore[index]
    except Exception:
        return False


def _feeders(found: Any, parents: dict[int, list[Any]], depth: int = 2, limit: int = 200) -> list[Any]:
    """Nodes whose gradient flowed into ``found``, nearest first, up to ``depth`` steps that
    compute something (gradient reshapes and sums do not count)."""
    order: list[Any] = []
    seen = {id(found)}
    frontier: deque[tuple[Any, int]] = deque([(found, 0)])
    while frontier and len(order) < limit:
        node, distance = frontier.popleft()
        for parent in parents.get(id(node), []):
            if id(parent) in seen:
                continue
            seen.add(id(parent))
            order.append(parent)
            step = 0 if autograd_graph.op_name(live.node_name(parent)) in _PASS_THROUGH else 1
            if distance + step < depth:
                frontier.append((parent, distance + step))
    return order


def _singular(node: Any) -> str | None:
    """``sqrt``/``log``/``div`` when the node's gradient is infinite or undefined at some input."""
    name = autograd_graph.op_name(live.node_name(node))
    kind = _singular_op(name)
    if kind is not None or name != "pow" or live.node_name(node) != "PowBackward0" or not _builtin_node(node):
        return kind
    try:
        exponent = node._saved_exponent
    except Exception:
        return None
    return _exponent_kind(exponent)


def _singular_op(name: str) -> str | None:
    for kind, names in _OP_CALLS.items():
        if name in names:
            return kind
    return None


def _exponent_kind(exponent: object) -> str | None:
    """``x ** p``: a root (0 < p < 1) has an infinite gradient at 0, a negative power a division."""
    if type(exponent) not in (int, float):
        return None
    if 0 < exponent < 1:  # type: ignore[operator]
        return "sqrt"
    if exponent < 0:  # type: ignore[operator]
        return "div"
    return None


def _forward_stmt(analysis: Analysis, node: Any) -> Stmt | None:
    if node is None:
        return None
    try:
        stack = node.metadata.get("traceback_")
    except Exception:
        return None
    if not stack:
        return None
    entries = stack if isinstance(stack, list) else [str(stack)]
    for entry in reversed(entries):
        match = _FRAME.search(str(entry))
        if match and is_user_file(match.group("file")):
            stmt = analysis.timeline.statement_at(match.group("file"), int(match.group("line")))
            if stmt is not None:
                return stmt
    return None


# -- the source ------------------------------------------------------------------
def _stmt_spelling(analysis: Analysis, op: str | None) -> Stmt | None:
    """The latest statement (on the target's provenance first) that spells ``op``."""
    if not op:
        return None
    raising = analysis.raising_stmt
    limit = raising.index if raising is not None else len(analysis.timeline.stmts)
    preferred: list[Stmt] = []
    if raising is not None and analysis.target_node is not None:
        closure = dependency_closure(analysis, analysis.target_node, raising)
        preferred = sorted(closure.values(), key=lambda s: -s.index)
    others = list(reversed(analysis.timeline.stmts[:limit]))
    compound = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.AsyncFor, ast.While,
                ast.With, ast.AsyncWith, ast.If, ast.Try)
    for stmt in preferred + others:
        if isinstance(stmt.node, compound):
            continue
        if _spells(stmt.node, op):
            return stmt
    return None


def _spells(node: ast.AST, op: str) -> bool:
    names = _OP_CALLS.get(op, (op,))
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            called = (dotted_name(child.func) or "").rsplit(".", 1)[-1]
            if called.rstrip("_") in names:
                return True
        if op in ("sqrt", "div") and _pow_parts(child) is not None \
                and _exponent_kind(_constant_number(_pow_parts(child)[1])) == op:  # type: ignore[index]
            return True
        if op == "div" and isinstance(child, ast.BinOp) and isinstance(child.op, ast.Div):
            return True
        if op == "pow" and _pow_parts(child) is not None:
            return True
        if op in ("mul", "add", "sub") and isinstance(child, ast.BinOp) and \
                isinstance(child.op, {"mul": ast.Mult, "add": ast.Add, "sub": ast.Sub}[op]):
            return True
    return False


def _pow_parts(node: ast.AST) -> tuple[ast.expr, ast.expr] | None:
    """(base, exponent) of ``b ** e``, ``b.pow(e)``, ``torch.pow(b, e)``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return node.left, node.right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("pow", "pow_"):
        exponent = node.args[-1] if node.args else next((k.value for k in node.keywords if k.arg == "exponent"),
                                                        None)
        if _is_namespace(node.func):
            base = node.args[0] if len(node.args) == 2 else next(
                (k.value for k in node.keywords if k.arg in ("input", "self")), None)
        else:
            base = node.func.value
            if len(node.args) > 1:
                return None
        if base is not None and exponent is not None:
            return base, exponent
    return None


def _constant_number(node: ast.AST | None, depth: int = 0) -> float | None:
    """The value of a constant number expression (``0.5``, ``-1``, ``1 / 3``), else None."""
    if node is None or depth > 10:
        return None
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _constant_number(node.operand, depth + 1)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        left, right = _constant_number(node.left, depth + 1), _constant_number(node.right, depth + 1)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div):
            return left / right if right else None
        return left + right if isinstance(node.op, ast.Add) else (
            left - right if isinstance(node.op, ast.Sub) else left * right)
    return None


def _pow_kind(node: ast.AST) -> str | None:
    """``sqrt``/``div`` for a statement that spells a root-like or negative constant power."""
    for child in ast.walk(node):
        parts = _pow_parts(child)
        if parts is not None:
            kind = _exponent_kind(_constant_number(parts[1]))
            if kind is not None:
                return kind
    return None


def _singular_consumer(analysis: Analysis, stmt: Stmt) -> tuple[Stmt, str] | None:
    """A later statement of the same function that applies sqrt/log/division to what ``stmt`` bound."""
    bound = assigned_name(stmt)
    if not bound:
        return None
    limit = analysis.raising_stmt.index if analysis.raising_stmt is not None else len(analysis.timeline.stmts)
    for later in analysis.timeline.stmts[stmt.index + 1: max(limit, stmt.index + 1) + 200]:
        if later.scope != stmt.scope:
            continue
        if isinstance(later.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if bound in _targets(later) and later.index != stmt.index:
            break  # re-bound: later reads are of another value
        for kind in ("log", "sqrt", "div"):
            argument = _argument_of(later, kind)
            if argument is not None and bound in names_in(argument):
                return later, kind
    return None


def _targets(stmt: Stmt) -> set[str]:
    node = stmt.node
    if isinstance(node, ast.Assign):
        return {n for t in node.targets for n in names_in(t)} | {dotted_name(t) or "" for t in node.targets}
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return {dotted_name(node.target) or ""}
    return set()


def _argument_of(stmt: Stmt, op: str) -> ast.expr | None:
    """The operand that went bad: the argument of sqrt/log, the divisor, the base of ``** 0.5``."""
    for child in ast.walk(stmt.node):
        if op in _OP_CALLS and isinstance(child, ast.Call):
            called = (dotted_name(child.func) or "").rsplit(".", 1)[-1].rstrip("_")
            if called in _OP_CALLS[op]:
                if op == "div":
                    if len(child.args) >= 2:
                        return child.args[1]
                    if isinstance(child.func, ast.Attribute) and child.args:
                        return child.args[0]
                    if called == "reciprocal":
                        return child.args[0] if child.args else (
                            child.func.value if isinstance(child.func, ast.Attribute) else None)
                    continue
                if child.args and not isinstance(child.func, ast.Attribute) or \
                        (isinstance(child.func, ast.Attribute) and _is_namespace(child.func) and child.args):
                    return child.args[0]
                if isinstance(child.func, ast.Attribute):
                    return child.func.value
        if op == "div" and isinstance(child, ast.BinOp) and isinstance(child.op, ast.Div):
            return child.right
        parts = _pow_parts(child)
        if parts is not None:
            kind = _exponent_kind(_constant_number(parts[1]))
            if kind == op or (op == "pow" and kind == "sqrt"):
                return parts[0]
    return None


def _is_namespace(func: ast.Attribute) -> bool:
    owner = dotted_name(func.value) or ""
    return owner in ("torch", "np", "numpy", "math", "F") or owner.startswith(("torch.", "nn."))


# -- live values -------------------------------------------------------------------
def _plain_tensor(value: Any) -> bool:
    return type(value) in (torch.Tensor, torch.nn.Parameter) and (
        live.dtype(value).is_floating_point or live.dtype(value).is_complex)


def _check(value: Any, test: str) -> bool | None:
    if not _plain_tensor(value):
        return None
    try:
        with torch._C.DisableTorchFunctionSubclass(), torch.no_grad():
            data = value.detach()
            if test == "nan":
                return bool(torch.isnan(data).any())
            if test == "zero":
                return bool((data == 0).any())
            if test == "nonpositive":
                return bool((data <= 0).any())
    except Exception:
        return None
    return None


def _confirm(analysis: Analysis, op: str, names: list[str], stmt: Stmt) -> bool | None:
    """True if a live operand shows the bad value, False if all readable operands are fine."""
    if not names:
        return None
    test = {"sqrt": "zero", "log": "nonpositive", "div": "zero"}[op]
    results = [_check(_scoped_live(analysis, name, stmt), test) for name in names]
    if any(r is True for r in results):
        return True
    if results and all(r is False for r in results):
        return False
    return None


def _nan_input(analysis: Analysis, stmt: Stmt, culprit: Any) -> str | None:
    for name in names_in(stmt.node):
        if _check(_scoped_live(analysis, name, stmt), "nan"):
            return name
    for leaf in _leaves(culprit):
        if _check(leaf, "nan"):
            for name in names_in(stmt.node):
                if _scoped_live(analysis, name, stmt) is leaf:
                    return name
            return None
    # the forward line is inside a model or helper whose frame is gone: the data the
    # differentiated tensor was computed from, as the calling code names it
    raising = analysis.raising_stmt
    if raising is not None and analysis.target_node is not None:
        closure = dependency_closure(analysis, analysis.target_node, raising)
        for name, bound in sorted(closure.items(), key=lambda item: item[1].index):
            if _check(_scoped_live(analysis, name, bound), "nan"):
                return name
    return None


_NAMESPACES = ("torch", "F", "np", "numpy", "math", "nn")


def _scoped_live(analysis: Analysis, name: str, stmt: Stmt) -> Any:
    """The live value of ``name`` as ``stmt`` sees it; MISSING when its function's frame is gone
    (a global of the same name is not the local the forward line read)."""
    if stmt.scope is not None and not analysis.namespaces_for(stmt.scope):
        return live.MISSING
    return live_of(analysis, name, stmt.scope)


def _operand_names(analysis: Analysis, argument: ast.expr | None, stmt: Stmt) -> list[str]:
    """Variables read by the bad operand: live tensors, or plain names of a finished function's locals."""
    if argument is None:
        return []
    called = {dotted_name(c.func) for c in ast.walk(argument) if isinstance(c, ast.Call)}
    names = []
    for name in names_in(argument):
        if name.split(".")[0] in _NAMESPACES or name in called:
            continue
        value = _scoped_live(analysis, name, stmt)
        if live.is_tensor(value) or (value is live.MISSING and stmt.scope is not None):
            names.append(name)
    return names


def _leaves(node: Any, limit: int = 200) -> Iterator[Any]:
    if node is None:
        return
    for count, current in enumerate(autograd_graph.walk(node, limit)):
        variable = autograd_graph.accumulated_variable(current)
        if variable is not None:
            yield variable
        if count > limit:
            return
