"""The fix as code: rewrite the blamed statement (and its consumer) with :mod:`ast`.

Language-neutral: the catalogues place these snippets (``{fixed}``) under
their own comments. Every function returns the input line unchanged when it
cannot rewrite it safely.
"""

from __future__ import annotations

import ast
from typing import Callable

_CUTTING_METHODS = {
    "detach": ("detach", "detach_"),
    "data_attribute": (),
    "item": ("item", "tolist"),
    "numpy_roundtrip": ("numpy", "detach", "cpu"),
}
_REWRAP = {"tensor", "Tensor", "FloatTensor", "as_tensor", "from_numpy", "asarray", "DoubleTensor"}


def _parse(line: str) -> ast.stmt | None:
    try:
        body = ast.parse(line.strip()).body
    except SyntaxError:
        return None
    return body[0] if len(body) == 1 else None


class _StripCalls(ast.NodeTransformer):
    """Remove ``.m()`` method calls (and ``.data``) from an expression."""

    def __init__(self, methods: tuple[str, ...], data: bool) -> None:
        self.methods = methods
        self.data = data
        self.changed = False

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in self.methods and not node.args:
            self.changed = True
            return node.func.value
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if self.data and node.attr == "data" and isinstance(node.ctx, ast.Load):
            self.changed = True
            return node.value
        return node


class _Rewrap(ast.NodeTransformer):
    """``torch.tensor([a, b])`` -> ``torch.stack([a, b])``; ``torch.tensor(t)`` -> ``t``."""

    def __init__(self) -> None:
        self.changed = False

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else (func.id if isinstance(func, ast.Name) else "")
        if name in _REWRAP and node.args:
            self.changed = True
            data = node.args[0]
            if isinstance(data, (ast.List, ast.Tuple)):
                return ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "stack", ast.Load()), [data], [])
            return data
        return node


def _transform(line: str, transformer: ast.NodeTransformer) -> str:
    node = _parse(line)
    if node is None:
        return line.strip()
    new = transformer.visit(node)
    if not getattr(transformer, "changed", False):
        return line.strip()
    return ast.unparse(ast.fix_missing_locations(new))


def remove_cut(line: str, cause: str) -> str:
    """The blamed line without the operation that cut the graph."""
    if cause == "tensor_rewrap":
        return _transform(line, _Rewrap())
    methods = _CUTTING_METHODS.get(cause)
    if methods is None:
        return line.strip()
    return _transform(line, _StripCalls(methods, data=cause == "data_attribute"))


def replace_name(line: str, old: str, new: str) -> str:
    """``line`` with every read of variable ``old`` replaced by the expression ``new``."""
    node = _parse(line)
    if node is None or not old or not new:
        return line.strip()

    class Swap(ast.NodeTransformer):
        changed = False

        def visit_Name(self, name: ast.Name) -> ast.AST:
            if name.id == old and isinstance(name.ctx, ast.Load):
                self.changed = True
                return ast.parse(new, mode="eval").body
            return name

    try:
        return _transform(line, Swap())
    except SyntaxError:
        return line.strip()


def add_requires_grad(line: str, variable: str) -> str:
    """``x = torch.ones(3)`` -> ``x = torch.ones(3, requires_grad=True)``."""
    node = _parse(line)
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
            and not any(k.arg == "requires_grad" for k in node.value.keywords):
        node.value.keywords.append(ast.keyword("requires_grad", ast.Constant(True)))
        return ast.unparse(node)
    return f"{variable}.requires_grad_()"


FIXERS: dict[str, Callable[[str, str], str]] = {
    "inputs_without_grad": lambda line, variable: add_requires_grad(line, variable),
}
