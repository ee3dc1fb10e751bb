"""``a leaf Variable that requires grad is being used in an in-place operation``
(and ``a view of a leaf Variable ...``).

The error is raised by the write itself, so the raising statement is the one
to blame: find the in-place write it spells, confirm with live state that it
writes a leaf that requires grad (or a view of one), and tell a manual
parameter update (``w -= lr * w.grad``) from other writes.
"""

from __future__ import annotations

import ast

from .. import live
from ..context import Analysis
from ..diagnosis import Finding
from .common import finding, location
from .writes import InplaceWrite, definition_stmt, inplace_writes, live_of, rewrite, tensor_base, text

KIND = "leaf-inplace"


def diagnose(analysis: Analysis) -> Finding:
    stmt = analysis.raising_stmt
    writes = inplace_writes(stmt)
    if stmt is None or not writes:
        return finding(analysis, KIND, "unknown", [], None)
    view_message = "view of a leaf" in analysis.parsed.message
    write, value = _pick(analysis, writes, stmt.scope)
    name = write.name
    made = definition_stmt(analysis, name, stmt)
    params = dict(write=write.op, written=text(write.target), rewrite=_rewrite(stmt, write, value),
                  made_line=made.line if made else None, made_where=location(made) if made else None)
    # a view taken before its base required grad is itself a leaf (`red = img[0]`, then
    # `img.requires_grad_()`): torch's message and `_base` say what it is
    if live.is_tensor(value) and (view_message or not live.is_leaf(value)):
        base = tensor_base(value)
        if base is not None and live.is_leaf(base) and live.requires_grad(base):
            base_name = _name_of(analysis, base, made, stmt.scope)
            return finding(analysis, KIND, "view_of_leaf_write", [name, base_name], stmt,
                           leaf=base_name or "its base", **params)
    if view_message and live.is_tensor(value) and not live.is_leaf(value):
        return finding(analysis, KIND, "view_of_leaf_write", [name], stmt, leaf="its base", **params)
    if view_message and write.form == "setitem" and live.is_tensor(value) and live.is_leaf(value):
        # `E[:, 0::2] = ...`: torch names the slice written, a view of the leaf E
        return finding(analysis, KIND, "view_of_leaf_write", [name], stmt, leaf=name, **params)
    if _is_parameter_update(analysis, write, stmt, value):
        return finding(analysis, KIND, "parameter_update", [name], stmt, guarded=_guarded(analysis, stmt),
                       **params)
    if live.is_tensor(value) and live.is_leaf(value) and live.requires_grad(value) or value is live.MISSING:
        return finding(analysis, KIND, "leaf_write", [name], stmt, **params)
    return finding(analysis, KIND, "unknown", [name], stmt, **params)


def _rewrite(stmt, write: InplaceWrite, value: object) -> str:
    """Out of place; a module's parameter attribute cannot hold a computed tensor, so use a local."""
    spelled = rewrite(stmt, write)
    if "." in write.name and live.is_tensor(value) and live.type_name(value) == "Parameter" \
            and spelled.startswith(write.name + " = "):
        return write.name.rsplit(".", 1)[-1] + spelled[len(write.name):]
    return spelled


def _pick(analysis: Analysis, writes: list[InplaceWrite], scope: str | None) -> tuple[InplaceWrite, object]:
    """The write whose variable is (a view of) a leaf that requires grad."""
    fallback = None
    for write in writes:
        value = live_of(analysis, write.name, scope)
        if not live.is_tensor(value):
            if fallback is None:
                fallback = (write, value)
            continue
        if live.requires_grad(value) and live.is_leaf(value):
            return write, value
        base = tensor_base(value)
        if base is not None and live.requires_grad(base) and live.is_leaf(base):
            return write, value
    return fallback or (writes[0], live_of(analysis, writes[0].name, scope))


def _guarded(analysis: Analysis, stmt) -> str:
    """The update wrapped in ``torch.no_grad()``: the whole ``for p in ...parameters()`` loop when
    the update is its body, else the line."""
    import textwrap

    for loop_index in reversed(stmt.loops):
        loop = analysis.timeline.stmts[loop_index]
        node = loop.node
        if isinstance(node, ast.For) and loop.scope == stmt.scope and loop.unit is stmt.unit \
                and any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                        and c.func.attr in ("parameters", "named_parameters") for c in ast.walk(node.iter)):
            lines = loop.lines[loop.lineno - 1: loop.end_lineno]
            if 0 < len(lines) <= 12:
                body = textwrap.dedent("\n".join(lines))
                return "with torch.no_grad():\n" + textwrap.indent(body, "    ")
    return "with torch.no_grad():\n    " + stmt.line


def _is_parameter_update(analysis: Analysis, write: InplaceWrite, stmt, value: object) -> bool:
    node = stmt.node
    reads_grad = any(isinstance(n, ast.Attribute) and n.attr == "grad" for n in ast.walk(node))
    if reads_grad:
        return True
    if live.is_tensor(value) and live.type_name(value) == "Parameter" and write.form in ("augmented", "method") \
            and write.op in ("sub", "add", "sub_", ".sub_()", ".add_()", ".mul_()", "mult"):
        return True
    # for p in model.parameters(): p -= lr * ...
    for loop_index in stmt.loops:
        loop = analysis.timeline.stmts[loop_index].node
        if isinstance(loop, ast.For) and any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                                             and c.func.attr in ("parameters", "named_parameters")
                                             for c in ast.walk(loop.iter)):
            return True
    return False


def _name_of(analysis: Analysis, base: object, made, scope: str | None) -> str | None:
    """The variable the view was taken from: a name read where the view was made that is ``base``."""
    if made is None:
        return None
    node = made.node
    value = getattr(node, "value", None)
    if value is None:
        return None
    for child in ast.walk(value):
        if isinstance(child, (ast.Name, ast.Attribute)):
            from ..source import dotted_name

            name = dotted_name(child)
            if name and "()" not in name and live_of(analysis, name, scope) is base:
                return name
    return None
