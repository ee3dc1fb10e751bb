"""Errors raised when ``requires_grad`` is set.

* ``you can only change requires_grad flags of leaf variables``
  (``requires-grad-nonleaf``): ``y.requires_grad = ...`` / ``y.requires_grad_()``
  on the result of an operation.
* ``Only Tensors of floating point and complex dtype can require gradients``
  (``dtype-no-grad``): ``torch.tensor([1, 2], requires_grad=True)``,
  ``labels.requires_grad_()``, ``nn.Parameter(torch.tensor([1, 2]))``.

The flag is set by the raising statement, which is the line to change; where
the tensor was made is named in the explanation.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .. import live
from ..context import Analysis
from ..diagnosis import Finding
from ..source import Stmt, dotted_name
from .common import finding, location
from .writes import assigned_name, definition_stmt, live_expr, text

_INT_FUNCTIONS = ("randint", "randint_like", "randperm", "arange", "range", "LongTensor", "IntTensor",
                  "ByteTensor", "BoolTensor", "ShortTensor", "CharTensor", "bincount", "argmax", "argmin")
_FLOAT_FUNCTIONS = ("randn", "rand", "randn_like", "rand_like", "FloatTensor", "DoubleTensor", "linspace",
                    "logspace", "empty", "normal", "eye")


@dataclass(frozen=True)
class FlagSite:
    """Where a statement sets ``requires_grad``: on ``target`` (an expression) or in a constructor call."""

    target: ast.expr | None
    call: ast.Call | None
    value: bool | None


def flag_sites(stmt: Stmt | None) -> list[FlagSite]:
    if stmt is None:
        return []
    node = stmt.node
    sites: list[FlagSite] = []
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "requires_grad":
                constant = node.value.value if isinstance(node.value, ast.Constant) else None
                sites.append(FlagSite(target.value, None, constant if isinstance(constant, bool) else None))
    for child in ast.walk(node):
        if not isinstance(child, ast.Call):
            continue
        func = child.func
        if isinstance(func, ast.Attribute) and func.attr == "requires_grad_":
            arg = child.args[0] if child.args else next((k.value for k in child.keywords
                                                        if k.arg == "requires_grad"), None)
            value = arg.value if isinstance(arg, ast.Constant) else (True if arg is None else None)
            sites.append(FlagSite(func.value, child, value if isinstance(value, bool) else None))
        elif any(k.arg == "requires_grad" for k in child.keywords):
            keyword = next(k for k in child.keywords if k.arg == "requires_grad")
            value = keyword.value.value if isinstance(keyword.value, ast.Constant) else None
            sites.append(FlagSite(None, child, value if isinstance(value, bool) else None))
        elif (dotted_name(func) or "").rsplit(".", 1)[-1] == "Parameter":
            sites.append(FlagSite(child.args[0] if child.args else None, child, True))
    return sites


# -- requires-grad-nonleaf ---------------------------------------------------------
def diagnose_nonleaf(analysis: Analysis) -> Finding:
    kind = "requires-grad-nonleaf"
    stmt = analysis.raising_stmt
    for site in flag_sites(stmt):
        if site.target is None:
            continue
        value = live_expr(analysis, site.target, stmt.scope if stmt else None)
        if live.is_tensor(value) and not live.is_leaf(value) or value is live.MISSING:
            name = dotted_name(site.target) or text(site.target)
            made = definition_stmt(analysis, name, stmt)
            grad_fn = live.node_name(live.grad_fn(value)) if live.is_tensor(value) else None
            fixed = f"{name} = {name}.detach().requires_grad_()" if site.value is True \
                else f"{name} = {name}.detach()"
            return finding(analysis, kind, "nonleaf_flag", [name], stmt, fixed_line=fixed,
                           flag=str(site.value) if site.value is not None else "...",
                           grad_fn=grad_fn or "?", made_line=made.line if made else None,
                           made_where=location(made) if made else None)
    return finding(analysis, kind, "unknown", [], stmt)


# -- dtype-no-grad -------------------------------------------------------------------
def diagnose_dtype(analysis: Analysis) -> Finding:
    kind = "dtype-no-grad"
    stmt = analysis.raising_stmt
    scope = stmt.scope if stmt else None
    for site in flag_sites(stmt):
        if site.value is False:
            continue
        dtype, name = None, None
        if site.target is not None:
            value = live_expr(analysis, site.target, scope)
            if live.is_tensor(value):
                dtype = live.dtype_name(live.dtype(value))
            elif site.target is not None:
                dtype = _dtype_of_expression(analysis, site.target, scope)
            name = dotted_name(site.target)
            if name is None or "()" in name:
                name = assigned_name(stmt) or text(site.target)
        if site.call is not None and dtype is None:
            dtype = _dtype_of_call(analysis, site.call, scope)
            name = name or assigned_name(stmt)
        if dtype is None or dtype.startswith(("float", "complex", "bfloat")):
            continue
        name = name or assigned_name(stmt) or "tensor"
        made = definition_stmt(analysis, name, stmt) if site.target is not None else None
        cause = "bool_tensor" if dtype == "bool" else "integer_tensor"
        return finding(analysis, kind, cause, [name], stmt, dtype=dtype,
                       made_line=made.line if made and made is not stmt else None,
                       made_where=location(made) if made and made is not stmt else None,
                       fixed_line=_float_line(stmt, site, name) if stmt is not None else None)
    return finding(analysis, kind, "unknown", [assigned_name(stmt)], stmt, dtype="?")


def _float_line(stmt: Stmt, site: FlagSite, name: str) -> str:
    """The statement with the tensor made floating point first."""
    line = stmt.line
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return f"{name} = {name}.float()\n{line}"
    call = site.call
    spelled = text(call) if call is not None else None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and spelled and text(node) == spelled):
            continue
        short = (dotted_name(node.func) or "").rsplit(".", 1)[-1]
        if short == "Parameter" and node.args:
            node.args[0] = ast.Call(ast.Attribute(node.args[0], "float", ast.Load()), [], [])
            return ast.unparse(tree)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "requires_grad_":
            node.func.value = ast.Call(ast.Attribute(node.func.value, "float", ast.Load()), [], [])
            if dotted_name(site.target) == name:
                return f"{name} = {ast.unparse(tree)}"
            return ast.unparse(tree)
        float32 = ast.Attribute(ast.Name("torch", ast.Load()), "float32", ast.Load())
        for keyword in node.keywords:
            if keyword.arg == "dtype":
                keyword.value = float32
                return ast.unparse(tree)
        node.keywords.insert(0, ast.keyword("dtype", float32))
        return ast.unparse(tree)
    return f"{name} = {name}.float()\n{line}"


def _dtype_of_expression(analysis: Analysis, node: ast.expr, scope: str | None) -> str | None:
    if isinstance(node, ast.Call):
        return _dtype_of_call(analysis, node, scope)
    return None


def _dtype_of_call(analysis: Analysis, call: ast.Call, scope: str | None) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == "dtype":
            spelled = (dotted_name(keyword.value) or "").rsplit(".", 1)[-1]
            return _normal_dtype(spelled)
    func = dotted_name(call.func) or ""
    short = func.rsplit(".", 1)[-1]
    if isinstance(call.func, ast.Attribute) and short in ("long", "int", "bool", "short", "byte", "char"):
        return _normal_dtype(short)
    if isinstance(call.func, ast.Attribute) and short in ("float", "double", "half"):
        return "float32"
    if short in ("tensor", "as_tensor", "Tensor", "Parameter") and call.args:
        data = call.args[0]
        if short == "Parameter":
            value = live_expr(analysis, data, scope)
            if live.is_tensor(value):
                return live.dtype_name(live.dtype(value))
            if isinstance(data, ast.Call):
                return _dtype_of_call(analysis, data, scope)
            return None
        if short == "Tensor":
            return "float32"
        return _literal_dtype(data)
    if short in ("arange", "range"):
        numbers = [a for a in call.args if isinstance(a, ast.Constant)]
        if numbers and all(type(a.value) is int for a in numbers):
            return "int64"
        return None
    if short in _INT_FUNCTIONS:
        return "bool" if short == "BoolTensor" else "int64"
    if short in ("zeros", "ones", "full", "empty") and short == "full" and len(call.args) > 1:
        return _literal_dtype(call.args[1])
    return None


def _literal_dtype(node: ast.expr) -> str | None:
    constants = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant)]
    if not constants:
        return None
    if all(type(c) is bool for c in constants):
        return "bool"
    if all(type(c) in (int, bool) for c in constants):
        return "int64"
    return "float32"


def _normal_dtype(spelled: str) -> str | None:
    table = {"long": "int64", "int": "int32", "bool": "bool", "short": "int16", "byte": "uint8",
             "char": "int8", "float": "float32", "double": "float64", "half": "float16"}
    if spelled in table:
        return table[spelled]
    return spelled or None
