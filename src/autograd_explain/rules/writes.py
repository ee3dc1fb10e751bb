"""Reading one statement for the rules of issue 5: in-place writes, flag
changes and the arguments of ``torch.autograd.grad`` / ``backward``.

Only the AST is read here; live values are looked up through the Analysis
(statically, never running user code).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Iterator

import torch

from .. import live
from ..context import Analysis
from ..source import Stmt, dotted_name

_NOT_INPLACE = frozenset({"requires_grad_", "retain_grad_", "zero_grad_", "share_memory_", "register_hook_"})
_NAMESPACES = ("torch.", "nn.", "F.", "init.", "np.", "numpy.")


@dataclass(frozen=True)
class InplaceWrite:
    """An in-place write spelled in one statement.

    ``target`` is the expression written (``w``, ``model.fc.weight``, ``x[0]``),
    ``name`` its base variable (``x`` for ``x[0]``), ``form`` one of
    ``augmented``, ``setitem``, ``method``, ``inplace_argument``, ``out``.
    """

    name: str
    target: ast.expr
    form: str
    op: str


def base_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute) and node.attr == "data":
        node = node.value
    name = dotted_name(node)
    if name is None:
        name = _chain_text(node)
    return name if name and "()" not in name else None


def _chain_text(node: ast.expr) -> str | None:
    """``model.layer[i].weight``: an attribute chain through subscripts by names or ints, as written.

    Only chains that end in an attribute and start at a name qualify (no calls).
    """
    if not isinstance(node, ast.Attribute):
        return None
    current: ast.expr = node
    has_subscript = False
    while isinstance(current, (ast.Attribute, ast.Subscript)):
        if isinstance(current, ast.Subscript):
            index = current.slice
            if not (isinstance(index, ast.Name) or isinstance(index, ast.Constant) and type(index.value) is int):
                return None
            has_subscript = True
        current = current.value
    if not isinstance(current, ast.Name) or not has_subscript:
        return None
    return text(node) or None


def text(node: ast.AST | None) -> str:
    if node is None:
        return ""
    try:
        return ast.unparse(node)
    except Exception:
        return ""


def inplace_writes(stmt: Stmt | None) -> list[InplaceWrite]:
    """Every in-place write the statement spells, in source order."""
    if stmt is None:
        return []
    node = stmt.node
    found: list[InplaceWrite] = []
    if isinstance(node, ast.AugAssign):
        name = base_name(node.target)
        if name:
            form = "setitem" if isinstance(node.target, ast.Subscript) else "augmented"
            found.append(InplaceWrite(name, node.target, form, type(node.op).__name__.lower()))
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Subscript):
                name = base_name(target)
                if name:
                    found.append(InplaceWrite(name, target, "setitem", "setitem"))
    if isinstance(node, (ast.Assign, ast.Expr, ast.AugAssign, ast.Return, ast.AnnAssign, ast.For)):
        scan = node.iter if isinstance(node, ast.For) else node
        calls = sorted((c for c in ast.walk(scan) if isinstance(c, ast.Call)),
                       key=lambda c: (c.lineno, c.col_offset))
        for call in calls:
            found.extend(_call_writes(call))
    return found


def _call_writes(call: ast.Call) -> Iterator[InplaceWrite]:
    func = call.func
    for keyword in call.keywords:
        if keyword.arg == "out":
            name = base_name(keyword.value)
            if name:
                yield InplaceWrite(name, keyword.value, "out", "out=")
        if keyword.arg == "inplace" and isinstance(keyword.value, ast.Constant) and keyword.value.value is True \
                and call.args:
            name = base_name(call.args[0])
            if name:
                yield InplaceWrite(name, call.args[0], "inplace_argument", (dotted_name(func) or "?") + "(inplace=True)")
    if isinstance(func, ast.Attribute) and func.attr.endswith("_") and not func.attr.startswith("_") \
            and func.attr not in _NOT_INPLACE:
        owner = dotted_name(func.value) or ""
        namespace = owner.startswith(_NAMESPACES) or owner in ("torch", "nn", "F", "init")
        written = call.args[0] if namespace and call.args else (None if namespace else func.value)
        if written is not None:
            name = base_name(written)
            if name:
                yield InplaceWrite(name, written, "method", "." + func.attr + "()")


def live_of(analysis: Analysis, name: str | None, scope: str | None) -> Any:
    """The live value of a (dotted) name, seen from ``scope`` (globals as a fallback).

    ``model.layer[i].weight`` is followed statically: ``i`` is read live (an int),
    attributes through :func:`live.static_attribute`, indexes into lists, tuples,
    dicts and module containers through their stored items (no user code runs).
    """
    if not name:
        return live.MISSING
    if "[" in name:
        return _live_chain(analysis, name, scope)
    return analysis.provenance.live_value(name, scope)


def _live_chain(analysis: Analysis, name: str, scope: str | None) -> Any:
    try:
        node = ast.parse(name, mode="eval").body
    except SyntaxError:
        return live.MISSING
    return _follow(analysis, node, scope, 0)


def _follow(analysis: Analysis, node: ast.expr, scope: str | None, depth: int) -> Any:
    if depth > 32:
        return live.MISSING
    if isinstance(node, ast.Name):
        return analysis.provenance.live_value(node.id, scope)
    if isinstance(node, ast.Attribute):
        owner = _follow(analysis, node.value, scope, depth + 1)
        return live.MISSING if owner is live.MISSING else live.static_attribute(owner, node.attr)
    if isinstance(node, ast.Subscript):
        owner = _follow(analysis, node.value, scope, depth + 1)
        if owner is live.MISSING:
            return live.MISSING
        index_node = node.slice
        if isinstance(index_node, ast.Constant):
            index = index_node.value
        elif isinstance(index_node, ast.Name):
            index = analysis.provenance.live_value(index_node.id, scope)
        else:
            return live.MISSING
        return _item(owner, index)
    return live.MISSING


def _item(owner: Any, index: Any) -> Any:
    """``owner[index]`` for plain containers and torch's module containers, read from storage."""
    if type(owner) in (list, tuple) and type(index) is int:
        return owner[index] if -len(owner) <= index < len(owner) else live.MISSING
    if type(owner) is dict and type(index) in (int, str):
        return owner.get(index, live.MISSING)
    containers = (torch.nn.ModuleList, torch.nn.Sequential, torch.nn.ModuleDict)
    if live.is_module(owner) and issubclass(type(owner), containers):
        import inspect

        kind = next(c for c in containers if issubclass(type(owner), c))
        try:
            if inspect.getattr_static(type(owner), "__getitem__") is not kind.__dict__.get("__getitem__"):
                return live.MISSING  # a user's own __getitem__: not followed
        except Exception:
            return live.MISSING
        modules = live.instance_dict(owner).get("_modules")
        if type(modules) is not dict:
            return live.MISSING
        if kind is torch.nn.ModuleDict:
            return modules.get(index, live.MISSING) if type(index) is str else live.MISSING
        if type(index) is not int:
            return live.MISSING
        items = list(modules.values())
        return items[index] if -len(items) <= index < len(items) else live.MISSING
    return live.MISSING


def live_expr(analysis: Analysis, node: ast.expr | None, scope: str | None) -> Any:
    """The live value of a name, attribute or constant subscript of a list/tuple/dict."""
    return analysis.resolve(node, scope)


def tensor_base(t: Any) -> Any:
    """``t._base`` read through the C getter (``None`` when ``t`` is not a view)."""
    try:
        return live._plain(torch._C.TensorBase._base.__get__, t)
    except Exception:
        return None


def names_in(node: ast.AST | None) -> list[str]:
    """Names and dotted attributes an expression reads, in source order."""
    if node is None:
        return []
    found: list[str] = []
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and isinstance(child.ctx, ast.Load):
            name = dotted_name(child)
            if name and "()" not in name:
                found.append(name)
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            found.append(child.id)
    # At one position `self.grad_x` and `self` both start: the longer name first, and
    # never the set's (hash-seed dependent) order.
    ordered = sorted(set(found), key=lambda n: (_position(node, n), -len(n), n))
    return ordered


def _position(root: ast.AST, name: str) -> tuple[int, int]:
    for child in ast.walk(root):
        if isinstance(child, (ast.Name, ast.Attribute)) and dotted_name(child) == name:
            return (getattr(child, "lineno", 0), getattr(child, "col_offset", 0))
    return (1 << 30, 0)


def assigned_name(stmt: Stmt | None) -> str | None:
    if stmt is None:
        return None
    node = stmt.node
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        name = dotted_name(node.targets[0])
        if name and "()" not in name:
            return name
        if isinstance(node.targets[0], (ast.Tuple, ast.List)) and node.targets[0].elts:
            return dotted_name(node.targets[0].elts[0])
    if isinstance(node, ast.AnnAssign):
        return dotted_name(node.target)
    return None


def definition_stmt(analysis: Analysis, name: str | None, before: Stmt | None) -> Stmt | None:
    """The statement that last bound ``name`` before ``before`` (its scope, then module level)."""
    if not name or before is None:
        return None
    found = analysis.timeline.definition_before(name, before.scope, before.index)
    if found is None and before.scope is not None:
        definitions = [d for d in analysis.timeline.definitions(name, None) if d.stmt.index < before.index]
        if not definitions:
            definitions = analysis.timeline.definitions(name, None)
        found = definitions[-1] if definitions else None
    if found is None or found.parameter:
        return None
    return found.stmt


def calls_named(node: ast.AST, *suffixes: str) -> Iterator[ast.Call]:
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            name = dotted_name(child.func) or ""
            if any(name == s or name.endswith("." + s) for s in suffixes):
                yield child


def grad_call(stmt: Stmt | None) -> ast.Call | None:
    """``torch.autograd.grad(...)`` in the statement, if any."""
    if stmt is None:
        return None
    for call in calls_named(stmt.node, "autograd.grad"):
        return call
    for call in ast.walk(stmt.node):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "grad":
            return call
    return None


def argument(call: ast.Call, position: int, *keywords: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    if len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return None


def elements(analysis: Analysis, node: ast.expr | None, stmt: Stmt, depth: int = 0) -> list[ast.expr]:
    """The element expressions of a list/tuple literal (following one name binding)."""
    if node is None:
        return []
    if isinstance(node, (ast.List, ast.Tuple)):
        return list(node.elts)
    if isinstance(node, ast.Name) and depth < 2:
        definition = analysis.timeline.definition_before(node.id, stmt.scope, stmt.index)
        if definition is not None and isinstance(definition.value, (ast.List, ast.Tuple)):
            return elements(analysis, definition.value, definition.stmt, depth + 1)
    return [node]


_FORM_CAUSE = {"augmented": "augmented_assignment", "setitem": "setitem", "method": "inplace_method",
               "inplace_argument": "inplace_module", "out": "out_argument"}


def rewrite(stmt: Stmt, write: InplaceWrite) -> str:
    """The statement written out of place (``v *= s`` -> ``v = v * s``)."""
    from ..fixes import out_of_place

    try:
        return out_of_place(stmt.line, write.name, _FORM_CAUSE.get(write.form, "unknown"))
    except Exception:
        return stmt.line
