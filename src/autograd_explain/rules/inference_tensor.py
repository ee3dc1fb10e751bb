"""Errors about inference tensors (made under ``torch.inference_mode()``).

``Inference tensors cannot be saved for backward``, ``Inplace update to
inference tensor outside InferenceMode is not allowed``, ``Setting
requires_grad=True on inference tensor outside InferenceMode``. The culprit is
the inference tensor the raising statement reads (in any user frame, innermost
last); the line to blame is where it was made: a statement inside an
``inference_mode`` block, or a call to a function decorated with it.
"""

from __future__ import annotations

import ast

from .. import live
from ..context import Analysis
from ..diagnosis import Finding
from ..source import Stmt, dotted_name, grad_mode_of_call
from .common import finding, location, rhs_of
from .origins import function_called
from .writes import live_of, names_in

KIND = "inference-tensor"


def diagnose(analysis: Analysis) -> Finding:
    action = _action(analysis.parsed.message)
    candidates: list[tuple[str, Stmt]] = []
    for frame in analysis.user_frames:
        stmt = analysis.timeline.statement_at(frame.filename, frame.lineno)
        if stmt is None:
            continue
        for name in _written_names(stmt) + names_in(stmt.node):
            value = live_of(analysis, name, stmt.scope)
            if live.is_tensor(value) and live.is_inference(value) and (name, stmt) not in candidates:
                candidates.append((name, stmt))
        for name in _module_inference_parameters(analysis, stmt):
            candidates.append((name, stmt))
    for name, used in candidates:
        made, op, origin = _made_in_inference(analysis, name, used)
        if made is not None:
            culprit = origin or name
            is_module = live.is_module(live_of(analysis, culprit, made.scope))
            return finding(analysis, KIND, "inference_mode_tensor", [culprit, name], made, action=action,
                           op=op, used_line=used.line, used_where=location(used),
                           variant="module" if is_module else None)
    if candidates:
        name, used = candidates[0]
        is_module = live.is_module(live_of(analysis, name, used.scope))
        return finding(analysis, KIND, "inference_mode_tensor", [name], used, action=action,
                       op="torch.inference_mode()", used_line=used.line, used_where=location(used),
                       variant="module" if is_module else None)
    return finding(analysis, KIND, "unknown", [], None, action=action)


def _written_names(stmt: Stmt) -> list[str]:
    """The target of ``test_loss /= n`` (an in-place update to an inference tensor), if a plain name."""
    node = stmt.node
    if isinstance(node, ast.AugAssign):
        name = dotted_name(node.target)
        return [name] if name and "()" not in name else []
    return []


def _action(message: str) -> str:
    if "saved for backward" in message:
        return "saved"
    if "Inplace update" in message or "inplace" in message.lower():
        return "inplace"
    if "requires_grad" in message:
        return "requires_grad"
    return "other"


def _made_in_inference(analysis: Analysis, name: str, used: Stmt,
                       depth: int = 0) -> tuple[Stmt | None, str, str | None]:
    """The statement that made ``name`` an inference tensor (following names back a few steps),
    the grad mode that did it, and the variable it bound."""
    if depth > 6:
        return None, "", None
    definition = analysis.timeline.definition_before(name, used.scope, used.index)
    if definition is None and used.scope is not None:
        found = [d for d in analysis.timeline.definitions(name, None) if d.stmt.index < used.index]
        definition = found[-1] if found else None
    if definition is None:
        return None, "", None
    stmt = definition.stmt
    if stmt.grad_mode == "inference_mode":
        return stmt, "torch.inference_mode()", name
    value = rhs_of(stmt) if definition.value is None else definition.value
    if value is None:
        return None, "", None
    for call in (c for c in ast.walk(value) if isinstance(c, ast.Call)):
        called = dotted_name(call.func) or ""
        function = function_called(analysis, called, stmt.scope)
        if function is None:
            continue
        decorated = function.inner_mode == "inference_mode" or any(
            grad_mode_of_call(d) == "inference_mode" for d in function.node.decorator_list)  # type: ignore[attr-defined]
        if decorated:
            return stmt, f"@torch.inference_mode() on {called}", name
    for other in names_in(value):
        if other == name:
            continue
        live_other = live_of(analysis, other, stmt.scope)
        if live.is_tensor(live_other) and live.is_inference(live_other):
            found, op, origin = _made_in_inference(analysis, other, stmt, depth + 1)
            if found is not None:
                return found, op, origin
    return None, "", None


def _module_inference_parameters(analysis: Analysis, stmt: Stmt) -> list[str]:
    """``model`` when a module called in the statement holds inference-tensor parameters or buffers."""
    names = []
    for name in names_in(stmt.node):
        module = live_of(analysis, name, stmt.scope)
        if live.is_module(module) and any(live.is_inference(t) for t in _module_tensors(module)):
            names.append(name)
    return names


def _module_tensors(module: object) -> list[object]:
    """Parameters and buffers of a module and its submodules (read from their dictionaries)."""
    tensors: list[object] = [p for _, p in live.named_parameters(module)]  # type: ignore[arg-type]
    for _, sub in live.named_modules(module):  # type: ignore[arg-type]
        buffers = live.instance_dict(sub).get("_buffers")
        if type(buffers) is dict:
            tensors.extend(b for b in buffers.values() if live.is_tensor(b))
    return tensors
