"""The fix as code: rewrite the blamed statement (and its consumer) with :mod:`ast`.

Language-neutral: the catalogues place these snippets (``{fixed}``) under
their own comments. Every function returns the input line unchanged when it
cannot rewrite it safely.
"""

from __future__ import annotations

import ast
import re
from typing import Callable

from .source import dotted_name

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
        call = node.value
        name = dotted_name(call.func) or ""
        if name.startswith(("torch.", "np.", "numpy.")) and name.rsplit(".", 1)[-1] in _TAKES_REQUIRES_GRAD:
            call.keywords.append(ast.keyword("requires_grad", ast.Constant(True)))
            return ast.unparse(node)
        # `torch.linspace(0, 1, 50).unsqueeze(1)`: only a factory takes the keyword
        node.value = ast.Call(ast.Attribute(call, "requires_grad_", ast.Load()), [], [])
        return ast.unparse(node)
    return f"{variable}.requires_grad_()"


_TAKES_REQUIRES_GRAD = frozenset({
    "tensor", "randn", "rand", "zeros", "ones", "empty", "full", "eye", "arange", "linspace", "logspace",
    "randn_like", "rand_like", "zeros_like", "ones_like", "empty_like", "full_like", "normal", "as_strided",
})


FIXERS: dict[str, Callable[[str, str], str]] = {
    "inputs_without_grad": lambda line, variable: add_requires_grad(line, variable),
}


def out_of_place(line: str, variable: str, cause: str) -> str:
    """Rewrite an in-place statement as an out-of-place one (best effort)."""
    try:
        node = ast.parse(line.strip()).body[0]
    except (SyntaxError, IndexError):
        return line
    if isinstance(node, ast.AugAssign):
        op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.Pow: "**"}.get(type(node.op))
        target = ast.unparse(node.target)
        if op and isinstance(node.target, (ast.Name, ast.Attribute)):
            return f"{target} = {target} {op} {ast.unparse(node.value)}"
        if op and isinstance(node.target, ast.Subscript):
            base = ast.unparse(node.target.value)
            return f"{base} = {base}.clone()\n{target} {op}= {ast.unparse(node.value)}"
    if cause == "setitem" and variable:
        return f"{variable} = {variable}.clone()  # modify a copy, keep the saved original\n{line.strip()}"
    if cause == "inplace_module":
        return re.sub(r",?\s*inplace\s*=\s*True", "", line.strip())
    if cause == "out_argument":
        match = re.search(r",\s*out\s*=\s*([\w.\[\]]+)", line)
        if match:
            return f"{match.group(1)} = " + (line[: match.start()] + line[match.end():]).strip()
    if cause == "inplace_method":
        factory = _factory_for_fill(node)
        if factory is not None:
            return factory
        return re.sub(r"\b([\w.\[\]]+)\.(\w+)_\(", lambda m: f"{m.group(1)} = {m.group(1)}.{m.group(2)}(", line.strip(), count=1) \
            if isinstance(node, ast.Expr) else re.sub(r"\.(\w+)_\(", r".\1(", line.strip())
    return line.strip()


#: in-place fills with no out-of-place method of the same name: `w.zero_()` has no `w.zero()`
_FILL_FACTORIES = {
    "zero_": "torch.zeros_like({t})",
    "fill_": "torch.full_like({t}, {args})",
    "normal_": "torch.empty_like({t}).normal_({args})",
    "uniform_": "torch.empty_like({t}).uniform_({args})",
    "bernoulli_": "torch.empty_like({t}).bernoulli_({args})",
    "random_": "torch.empty_like({t}).random_({args})",
    "copy_": "{args}.clone()",
}


def _factory_for_fill(node: ast.stmt) -> str | None:
    """``w.zero_()`` -> ``w = torch.zeros_like(w)``; ``w.normal_(0, 0.01)`` -> a fresh tensor filled alike."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr in _FILL_FACTORIES):
        return None
    call = node.value
    target = ast.unparse(call.func.value)
    args = ", ".join([ast.unparse(a) for a in call.args] + [f"{k.arg}={ast.unparse(k.value)}" for k in call.keywords])
    return f"{target} = " + _FILL_FACTORIES[call.func.attr].format(t=target, args=args)


def with_detach(line: str, variable: str) -> str:
    """``out = D(fake)`` -> ``out = D(fake.detach())`` for the first read of ``variable``."""
    if not variable or not line:
        return line
    return replace_first_read(line, variable, f"{variable}.detach()")


def replace_first_read(line: str, name: str, replacement: str) -> str:
    """``line`` with its first read of ``name`` (a variable or dotted attribute) replaced by text."""
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return line.strip()
    stripped = line.strip()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(getattr(node, "ctx", None), ast.Load) \
                and dotted_name(node) == name:
            end = node.end_col_offset or node.col_offset
            return stripped[: node.col_offset] + replacement + stripped[end:]
    return stripped


# -- non-scalar outputs ---------------------------------------------------------

_ATOMS = (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Constant, ast.List, ast.Tuple, ast.Dict)


def as_operand(text: str) -> str:
    """``text`` ready to take a method call: ``loss`` stays, ``a + b`` becomes ``(a + b)``."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text
    return text if isinstance(node, _ATOMS) else f"({text.strip()})"


def reduced(text: str, method: str = "mean") -> str:
    """``text.mean()`` with the parentheses the precedence needs (``(a + b).mean()``)."""
    return f"{as_operand(text)}.{method}()"


def reduce_where_made(statement: str, variable: str) -> str:
    """The statement that made ``variable``, rewritten to make a scalar.

    ``x = crit(p, t, reduction='none')`` loses the keyword (the default reduces
    to the mean); any other ``x = expr`` becomes ``x = (expr).mean()``. Else
    ``x = x.mean()``, to go right after it.
    """
    fallback = f"{variable} = {reduced(variable)}"
    try:
        return _reduce_assignment(statement, variable) or fallback
    except (ValueError, RecursionError, MemoryError, AttributeError, TypeError):
        return fallback


def _reduce_assignment(statement: str, variable: str) -> str | None:
    node = _parse(statement)
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) != 1 or ast.unparse(targets[0]) != variable:
            return None
        dropped = False
        for call in (c for c in ast.walk(node.value) if isinstance(c, ast.Call)):
            kept = [k for k in call.keywords if not (k.arg == "reduction" and isinstance(k.value, ast.Constant)
                                                     and k.value.value == "none")]
            if len(kept) != len(call.keywords):
                call.keywords = kept
                dropped = True
        if not dropped:
            node.value = ast.Call(ast.Attribute(node.value, "mean", ast.Load()), [], [])
        return ast.unparse(ast.fix_missing_locations(node))
    return None
