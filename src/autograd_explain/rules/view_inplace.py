"""In-place writes to views autograd cannot track.

* ``Output 0 of Split is a view and is being modified inplace. This view is
  the output of a function that returns multiple views`` (``split``, ``chunk``,
  ``unbind``, iterating over a tensor): ``multi_output_view``;
* ``A view was created in no_grad mode and is being modified inplace with grad
  mode enabled``: ``view_from_no_grad``;
* ``... This view was created inside a custom Function``: ``custom_function_view``.

The write is the raising statement; the view's creation is found in the
timeline and named in the explanation.
"""

from __future__ import annotations

import ast
import re

from .. import live
from ..context import Analysis
from ..diagnosis import Finding
from ..source import Stmt, dotted_name
from .common import finding, location
from .writes import definition_stmt, inplace_writes, live_of, names_in, rewrite, tensor_base, text

KIND = "view-inplace"
_OUTPUT_OF = re.compile(r"Output (?P<index>\d+) of (?P<node>\w+) is a view")
_MULTI_VIEW_OPS = ("split", "chunk", "unbind", "split_with_sizes", "tensor_split", "hsplit", "vsplit",
                   "dsplit", "unsafe_split", "unsafe_chunk")


def diagnose(analysis: Analysis) -> Finding:
    message = analysis.parsed.message
    stmt = analysis.raising_stmt
    match = _OUTPUT_OF.search(message)
    node = match.group("node") if match else None
    if stmt is not None and "its base or another view of its base has been modified" in message:
        found = _base_write(analysis, stmt, node)
        if found is not None:
            return found
    writes = inplace_writes(stmt)
    if stmt is not None and not writes:
        through_module = _inplace_call(analysis, stmt)
        if through_module is not None:
            return _module_write_finding(analysis, stmt, node, message, *through_module)
    if stmt is None or not writes:
        return finding(analysis, KIND, _cause(message), [], None, node=node or "?")
    write = writes[0]
    for candidate in writes:
        value = live_of(analysis, candidate.name, stmt.scope)
        if live.is_tensor(value) and tensor_base(value) is not None:
            write = candidate
            break
    name = write.name
    made = definition_stmt(analysis, name, stmt)
    cause = _cause(message)
    base = _base_name(analysis, made, name, stmt)
    params = dict(node=node or "?", write=write.op, written=text(write.target), rewrite=rewrite(stmt, write),
                  made_line=made.line if made else None, made_where=location(made) if made else None,
                  base=base or "its base", op=_view_op(made, node))
    base_variable = base if base and (dotted_name(ast.parse(base, mode="eval").body) or "") == base else None
    return finding(analysis, KIND, cause, [name, base_variable], stmt, **params)


def _inplace_call(analysis: Analysis, stmt: Stmt) -> tuple[str, str] | None:
    """``x1 = self.act(x1)`` with ``self.act = nn.ReLU(inplace=True)``, or ``F.relu(x1, inplace=True)``:
    (the variable written, the callee as spelled)."""
    for call in (c for c in ast.walk(stmt.node) if isinstance(c, ast.Call)):
        if not call.args:
            continue
        argument = dotted_name(call.args[0])
        callee = dotted_name(call.func) or ""
        if not argument or "()" in argument or not callee:
            continue
        inplace_keyword = any(k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
                              for k in call.keywords)
        module = live_of(analysis, callee, stmt.scope)
        if inplace_keyword or (live.is_module(module) and live.instance_dict(module).get("inplace") is True):
            return argument, callee
    return None


def _module_write_finding(analysis: Analysis, stmt: Stmt, node: str | None, message: str, name: str,
                          callee: str) -> Finding:
    made = definition_stmt(analysis, name, stmt)
    base = _base_name(analysis, made, name, stmt)
    params = dict(node=node or "?", write=f"{callee}(...) (inplace=True)", written=name,
                  rewrite=f"{name} = {callee}({name}.clone())",
                  made_line=made.line if made else None, made_where=location(made) if made else None,
                  base=base or "its base", op=_view_op(made, node))
    base_variable = base if base and (dotted_name(ast.parse(base, mode="eval").body) or "") == base else None
    return finding(analysis, KIND, _cause(message), [name, base_variable], stmt, **params)


def _base_write(analysis: Analysis, stmt: Stmt, node: str | None) -> Finding | None:
    """A view of a multi-output function is *used* here after an earlier in-place write to its
    base (or to a sibling view): blame that write."""
    for view_name in names_in(stmt.node):
        view = live_of(analysis, view_name, stmt.scope)
        base = tensor_base(view) if live.is_tensor(view) else None
        if base is None:
            continue
        for earlier in reversed(analysis.timeline.stmts[: stmt.index]):
            if earlier.scope not in (stmt.scope, None):
                continue
            for write in inplace_writes(earlier):
                written = live_of(analysis, write.name, earlier.scope)
                if written is view or not live.is_tensor(written):
                    continue
                if written is base or tensor_base(written) is base:
                    made = definition_stmt(analysis, view_name, stmt)
                    base_text = _base_name(analysis, made, view_name, stmt) or write.name
                    params = dict(node=node or "?", write=write.op, written=text(write.target),
                                  rewrite=rewrite(earlier, write), made_line=made.line if made else None,
                                  made_where=location(made) if made else None, base=base_text,
                                  op=_view_op(made, node), view=view_name)
                    return finding(analysis, KIND, "multi_output_view", [write.name, view_name], earlier, **params)
    return None


def _cause(message: str) -> str:
    if "returns multiple views" in message or "multiple views" in message:
        return "multi_output_view"
    if "created in no_grad mode" in message or "no_grad mode" in message:
        return "view_from_no_grad"
    if "custom Function" in message:
        return "custom_function_view"
    return "unknown"


def _base_name(analysis: Analysis, made: Stmt | None, name: str, stmt: Stmt) -> str | None:
    """The tensor the view was taken from, as the code names it."""
    if made is None:
        return None
    node = made.node
    if isinstance(node, ast.For):
        return dotted_name(node.iter) if isinstance(node.iter, (ast.Name, ast.Attribute)) else None
    value = getattr(node, "value", None)
    if value is None:
        return None
    view = live_of(analysis, name, stmt.scope)
    base = tensor_base(view) if live.is_tensor(view) else None
    names = [n for n in names_in(value) if n != name and live.is_tensor(live_of(analysis, n, made.scope))]
    if base is not None:
        for candidate in names:
            if live_of(analysis, candidate, made.scope) is base:
                return candidate
    # the expression the view was taken from: the receiver of split/chunk/..., or what is subscripted
    for child in ast.walk(value):
        if isinstance(child, ast.Call):
            called = (dotted_name(child.func) or "").rsplit(".", 1)[-1]
            if called in _MULTI_VIEW_OPS or (isinstance(child.func, ast.Attribute) and child.func.attr == "apply"):
                if isinstance(child.func, ast.Attribute) and not (dotted_name(child.func.value) or "") \
                        in ("torch", "Tensor", "torch.Tensor") and child.func.attr != "apply":
                    return text(child.func.value)
                return text(child.args[0]) if child.args else None
        if isinstance(child, ast.Subscript):
            return text(child.value)
    return names[0] if names else None


def _view_op(made: Stmt | None, node: str | None) -> str:
    if made is not None:
        if isinstance(made.node, ast.For):
            return "iteration (unbind)"
        value = getattr(made.node, "value", None)
        if value is not None:
            for child in ast.walk(value):
                if isinstance(child, ast.Call):
                    called = (dotted_name(child.func) or "").rsplit(".", 1)[-1]
                    if called in _MULTI_VIEW_OPS:
                        return called
                    if isinstance(child.func, ast.Attribute) and child.func.attr == "apply":
                        return dotted_name(child.func) or "apply"
    return (node or "?").lower()
