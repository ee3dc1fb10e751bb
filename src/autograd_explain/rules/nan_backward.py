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
    nearby = [op] + [autograd_graph.op_name(live.node_name(p)) for p in parents]
    cause_op = next((o for o in ("sqrt", "log", "div") if o in nearby), None)
    if cause_op is None and op == "pow":
        cause_op = "pow"
    # the node the cause points at (e.g. the sqrt whose gradient met a zero)
    cause_node = culprit
    if cause_op in ("sqrt", "log", "div") and op != cause_op:
        cause_node = next((p for p in parents if autograd_graph.op_name(live.node_name(p)) == cause_op), culprit)
    stmt = _forward_stmt(analysis, cause_node) or _forward_stmt(analysis, culprit) \
        or _stmt_spelling(analysis, cause_op or op)
    if stmt is None:
        return finding(analysis, KIND, "unknown", [analysis.target_text], None, **params)
    params["forward_line"] = stmt.line
    params["forward_where"] = location(stmt)
    argument = _argument_of(stmt, cause_op) if cause_op else None
    arg_names = _operand_names(analysis, argument, stmt)
    nan_name = _nan_input(analysis, stmt, culprit)
    if cause_op == "pow" and argument is not None:
        cause_op = "sqrt"
    if cause_op == "pow":
        cause_op = None
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
    """The node named ``label`` behind the differentiated tensor, and the nodes that fed it gradient.

    ``loss.sum().backward()`` differentiates an expression with no live value: the tensors the
    expression (or the raising statement) reads are tried as roots instead.
    """
    roots = [analysis.target_value]
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


def _find_below(root: Any, label: str) -> tuple[Any, list[Any]]:
    if root is None:
        return None, []
    parents: dict[int, list[Any]] = {}
    seen = {id(root)}
    queue: deque[Any] = deque([root])
    found = None
    visits = 0
    while queue and visits < 5000:
        node = queue.popleft()
        visits += 1
        if found is None and live.node_name(node) == label:
            found = node
        for child in autograd_graph.next_nodes(node):
            parents.setdefault(id(child), []).append(node)
            if id(child) not in seen:
                seen.add(id(child))
                queue.append(child)
    if found is None:
        return None, []
    direct = parents.get(id(found), [])
    second = [g for p in direct for g in parents.get(id(p), [])]
    return found, direct + second


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
        if op == "div" and isinstance(child, ast.BinOp) and isinstance(child.op, ast.Div):
            return True
        if op == "pow" and isinstance(child, ast.BinOp) and isinstance(child.op, ast.Pow):
            return True
        if op in ("mul", "add", "sub") and isinstance(child, ast.BinOp) and \
                isinstance(child.op, {"mul": ast.Mult, "add": ast.Add, "sub": ast.Sub}[op]):
            return True
    return False


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
                    continue
                if child.args and not isinstance(child.func, ast.Attribute) or \
                        (isinstance(child.func, ast.Attribute) and _is_namespace(child.func) and child.args):
                    return child.args[0]
                if isinstance(child.func, ast.Attribute):
                    return child.func.value
        if op == "div" and isinstance(child, ast.BinOp) and isinstance(child.op, ast.Div):
            return child.right
        if op == "pow" and isinstance(child, ast.BinOp) and isinstance(child.op, ast.Pow) \
                and isinstance(child.right, ast.Constant) and child.right.value in (0.5, .5):
            return child.left
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
