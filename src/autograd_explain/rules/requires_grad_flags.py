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
import sys
from dataclasses import dataclass

import torch

from .. import live
from ..context import Analysis
from ..diagnosis import Finding
from ..source import Stmt, dotted_name
from .common import finding, location, rhs_of
from .writes import assigned_name, definition_stmt, live_expr, live_of, names_in, text

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
        part = _part_of_leaf(analysis, site, stmt)
        if part is not None:
            return part
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


#: methods that return a view of the whole receiver, and ones that select a part of it
_VIEW_METHODS = frozenset({"view", "view_as", "reshape", "reshape_as", "flatten", "unflatten", "transpose", "t",
                           "permute", "squeeze", "unsqueeze", "expand", "expand_as", "movedim", "moveaxis",
                           "swapaxes", "swapdims", "contiguous"})
_PART_METHODS = frozenset({"narrow", "select", "unfold", "diagonal", "as_strided", "index_select", "masked_select",
                           "take", "gather", "split", "chunk", "unbind", "tensor_split"})
_VIEW_ATTRIBUTES = frozenset({"T", "mT", "H", "mH", "real", "imag"})


def _peel_view(node: ast.expr) -> tuple[ast.expr, bool]:
    """The tensor an expression takes a part or view of (``model.emb.weight`` for
    ``model.emb.weight[:100]``) and whether a part of it is selected."""
    indexed = False
    for _ in range(50):
        if isinstance(node, ast.Subscript):
            indexed = True
            node = node.value
        elif isinstance(node, ast.Attribute) and node.attr in _VIEW_ATTRIBUTES:
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _VIEW_METHODS | _PART_METHODS:
            indexed = indexed or node.func.attr in _PART_METHODS
            node = node.func.value
        else:
            break
    return node, indexed


def _part_of_leaf(analysis: Analysis, site: FlagSite, stmt: Stmt | None) -> Finding | None:
    """``w[:100].requires_grad = False`` with ``w`` a leaf that requires grad (a parameter):
    requires_grad belongs to the whole tensor; the part is computed from it."""
    if stmt is None or site.target is None:
        return None
    base, indexed = _peel_view(site.target)
    if base is site.target:
        return None
    name = dotted_name(base)
    if not name or "()" in name:
        return None
    value = live_of(analysis, name, stmt.scope)
    if not (live.is_tensor(value) and live.is_leaf(value) and live.requires_grad(value)):
        return None
    target_text = text(site.target)
    variant = ("part_of_leaf" if indexed else "view_of_leaf") if site.value is False else "part_of_leaf_true"
    return finding(analysis, "requires-grad-nonleaf", "nonleaf_flag", [name], stmt, variant=variant,
                   part=target_text, base=name, flag=str(site.value) if site.value is not None else "...",
                   grad_fn="?", mask_target=_rebased(site.target, base, ast.Name("mask", ast.Load())),
                   grad_target=_rebased(site.target, base, ast.Attribute(base, "grad", ast.Load())),
                   shape=live.shape_text(live.shape(value)))


def _rebased(node: ast.expr, base: ast.expr, replacement: ast.expr) -> str:
    """``node`` spelled with ``base`` replaced (``mask[:100]`` for ``model.emb.weight[:100]``)."""
    spelled, base_spelled = text(node), text(base)

    class Swap(ast.NodeTransformer):
        def visit(self, child: ast.AST) -> ast.AST:
            if isinstance(child, ast.expr) and text(child) == base_spelled:
                return replacement
            return super().visit(child)

    try:
        copy = ast.parse(spelled, mode="eval").body
        return text(Swap().visit(copy))
    except (SyntaxError, RecursionError, ValueError):
        return spelled


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
    # The dtype could not be read, but the message says it is not floating point: an integer
    # tensor unless something in the statement makes a bool one.
    for site in flag_sites(stmt):
        if site.value is False or stmt is None:
            continue
        name = dotted_name(site.target) if site.target is not None else None
        if name is None or "()" in name:
            name = assigned_name(stmt) or (text(site.target) if site.target is not None else None) or "tensor"
        made = definition_stmt(analysis, name, stmt) if site.target is not None else None
        evidence = [n for n in (site.target, site.call) if n is not None]
        made_value = rhs_of(made) if made is not None and made is not stmt else None
        if made_value is not None:
            evidence.append(made_value)
        is_bool = any(_bool_evidence(node) for node in evidence) or any(
            _is_bool_tensor(live_of(analysis, read, stmt.scope)) for node in evidence for read in names_in(node))
        return finding(analysis, kind, "bool_tensor" if is_bool else "integer_tensor", [name], stmt,
                       dtype="bool" if is_bool else "integer", variant=None if is_bool else "inferred",
                       made_line=made.line if made and made is not stmt else None,
                       made_where=location(made) if made and made is not stmt else None,
                       fixed_line=_float_line(stmt, site, name))
    return finding(analysis, kind, "unknown", [assigned_name(stmt)], stmt, dtype="?")


def _is_bool_tensor(value: object) -> bool:
    return live.is_tensor(value) and live.dtype(value) is torch.bool  # type: ignore[arg-type]


def _bool_evidence(node: ast.AST) -> bool:
    """A comparison, a logical op, ``dtype=torch.bool``, ``.bool()``, ``BoolTensor`` or True/False literals."""
    for child in ast.walk(node):
        if isinstance(child, ast.Compare) or isinstance(child, ast.UnaryOp) and isinstance(child.op, ast.Not):
            return True
        if isinstance(child, (ast.Attribute, ast.Name)):
            spelled = (dotted_name(child) or "").rsplit(".", 1)[-1]
            if spelled in ("bool", "BoolTensor", "isnan", "isinf", "isfinite", "logical_and", "logical_or",
                           "logical_not", "logical_xor", "eq", "ne", "gt", "lt", "ge", "le"):
                return True
    return _literal_dtype(node) == "bool" if isinstance(node, ast.expr) else False


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


_CASTS = {"long": "int64", "int": "int32", "bool": "bool", "short": "int16", "byte": "uint8", "char": "int8",
          "float": "float32", "double": "float64", "half": "float16", "bfloat16": "bfloat16", "cfloat": "complex64"}
_DATA_FUNCTIONS = ("tensor", "as_tensor", "asarray", "from_numpy", "Parameter")
_LIKE_FUNCTIONS = ("zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "clone",
                   "abs", "neg", "flatten", "reshape", "squeeze", "unsqueeze", "cat", "stack")


def _dtype_of_call(analysis: Analysis, call: ast.Call, scope: str | None) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == "dtype":
            spelled = (dotted_name(keyword.value) or "").rsplit(".", 1)[-1]
            return _normal_dtype(spelled)
    func = dotted_name(call.func) or ""
    short = func.rsplit(".", 1)[-1]
    if isinstance(call.func, ast.Attribute) and short in _CASTS:
        return _normal_dtype(short)
    if short in _DATA_FUNCTIONS and call.args:
        data = call.args[0]
        found = _dtype_of_data(analysis, data, scope)
        if found is not None or short == "Parameter":
            return found
        return _literal_dtype(data)
    if short == "Tensor":
        return "float32"
    if short in ("arange", "range"):
        bounds = list(call.args) + [k.value for k in call.keywords if k.arg in ("start", "end", "step")]
        kinds = [_number_kind(analysis, bound, scope) for bound in bounds]
        if any(k in ("float", "complex") for k in kinds):
            return "float32"
        if kinds and all(k in ("int", "bool") for k in kinds):
            return "int64"
        return None
    if short in _INT_FUNCTIONS:
        return "bool" if short == "BoolTensor" else "int64"
    if short == "full" and len(call.args) > 1:
        kind = _number_kind(analysis, call.args[1], scope)
        return {"bool": "bool", "int": "int64", "float": "float32"}.get(kind or "")
    if short in _FLOAT_FUNCTIONS or short in ("zeros", "ones"):
        return "float32"
    if isinstance(call.func, ast.Attribute):
        owner = dotted_name(call.func.value) or ""
        if owner in ("torch", "np", "numpy") or owner.startswith(("torch.", "np.", "numpy.")):
            if short in _LIKE_FUNCTIONS and call.args:  # torch.zeros_like(t), torch.cat([a, b])
                first = call.args[0]
                if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
                    first = first.elts[0]
                return _dtype_of_data(analysis, first, scope)
            return None
        if short in ("to", "type"):
            for arg in call.args:
                spelled = (dotted_name(arg) or "").rsplit(".", 1)[-1]
                if spelled.startswith(("float", "double", "half", "bfloat", "complex", "cfloat", "int", "uint",
                                       "long", "bool", "short", "byte", "char")):
                    return _normal_dtype(spelled)
        # a method of a tensor (`labels.view(-1)`): most keep the receiver's dtype
        return _dtype_of_data(analysis, call.func.value, scope)
    return None


def _dtype_of_data(analysis: Analysis, node: ast.expr, scope: str | None) -> str | None:
    """The dtype of a live tensor, NumPy array or list of numbers (or of a call that makes one)."""
    if isinstance(node, ast.Call):
        return _dtype_of_call(analysis, node, scope)
    value = live_expr(analysis, node, scope)
    if value is live.MISSING:
        return None
    if live.is_tensor(value):
        return live.dtype_name(live.dtype(value))
    kind = _array_kind(value)
    if kind is not None:
        return kind
    if type(value) in (list, tuple):
        kinds = _element_kinds(value)
        if kinds:
            if kinds <= {"bool"}:
                return "bool"
            if kinds <= {"int", "bool"}:
                return "int64"
            return "float32"
    return None


def _array_kind(value: object) -> str | None:
    """``int64``/``bool``/``float64``... for a NumPy array or scalar (read without importing NumPy)."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return None
    try:
        if type(value) is numpy.ndarray or issubclass(type(value), numpy.generic):
            dtype = numpy.ndarray.dtype.__get__(value) if type(value) is numpy.ndarray else \
                numpy.dtype(type(value))
            return {"b": "bool", "i": "int64", "u": "uint8", "f": "float64", "c": "complex128"}.get(dtype.kind)
    except Exception:
        return None
    return None


def _element_kinds(value: object, limit: int = 2000) -> set[str]:
    """Kinds of the numbers in nested lists/tuples (plain Python numbers only)."""
    kinds: set[str] = set()
    stack = [value]
    seen = 0
    while stack and seen < limit:
        item = stack.pop()
        seen += 1
        kind = type(item)
        if kind in (list, tuple):
            stack.extend(item)  # type: ignore[arg-type]
        elif kind is bool:
            kinds.add("bool")
        elif kind is int:
            kinds.add("int")
        elif kind in (float, complex):
            kinds.add("float")
        else:
            array = _array_kind(item)
            if array is None and live.is_tensor(item):
                array = live.dtype_name(live.dtype(item))
            if array is None:
                return set()
            kinds.add("bool" if array == "bool" else ("int" if array.startswith(("int", "uint")) else "float"))
    return kinds


def _number_kind(analysis: Analysis, node: ast.expr, scope: str | None, depth: int = 0) -> str | None:
    """``int``, ``float``, ``bool`` or ``complex`` for a number expression, from literals and live values."""
    if depth > 20:
        return None
    if isinstance(node, ast.Constant):
        return {bool: "bool", int: "int", float: "float", complex: "complex"}.get(type(node.value))
    if isinstance(node, ast.UnaryOp):
        inner = _number_kind(analysis, node.operand, scope, depth + 1)
        return "bool" if isinstance(node.op, ast.Not) else ("int" if inner == "bool" else inner)
    if isinstance(node, ast.BinOp):
        left = _number_kind(analysis, node.left, scope, depth + 1)
        right = _number_kind(analysis, node.right, scope, depth + 1)
        if isinstance(node.op, ast.Div):
            return "float"
        if "complex" in (left, right):
            return "complex"
        if "float" in (left, right):
            return "float"
        if left in ("int", "bool") and right in ("int", "bool") and not isinstance(node.op, ast.Pow):
            return "int"
        return None
    if isinstance(node, ast.Call):
        called = (dotted_name(node.func) or "").rsplit(".", 1)[-1]
        if isinstance(node.func, ast.Name) and called in ("len", "int", "round"):
            return "int"
        if isinstance(node.func, ast.Name) and called == "float":
            return "float"
        if isinstance(node.func, ast.Attribute) and called in ("size", "numel", "dim", "nelement"):
            return "int"
        return None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
        return "int"
    if isinstance(node, ast.Attribute) and node.attr in ("ndim",):
        return "int"
    value = live_expr(analysis, node, scope)
    kind = type(value)
    if kind in (bool, int, float, complex):
        return {bool: "bool", int: "int", float: "float", complex: "complex"}[kind]
    array = _array_kind(value)
    if array is None and live.is_tensor(value):
        array = live.dtype_name(live.dtype(value))
    if array is not None:
        return "bool" if array == "bool" else ("int" if array.startswith(("int", "uint")) else
                                               ("complex" if array.startswith("complex") else "float"))
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
