"""Where a value came from, across calls: shared by the rules of the non-core kinds.

* :func:`function_called`: the ``def`` a call runs, also for methods
  (``teacher.predict`` -> ``Teacher.predict``, through the live object's
  class and its bases) and for modules called as functions (``forward``).
* :func:`caller_argument`: for a parameter of the function a statement is in,
  the argument expression its caller passed and the caller's statement.
* :func:`differentiated_tensors`: the tensors ``backward()`` /
  ``torch.autograd.grad`` was running on, read from torch's own frames of the
  traceback (``loss.sum().backward()`` differentiates a value no variable holds).

Everything is read statically (class dictionaries, frame locals, the timeline);
no user code runs, and no live value is kept beyond the caller's use.
"""

from __future__ import annotations

import ast
import os
import types
from typing import Any, Iterator

import torch

from .. import live
from ..context import Analysis
from ..source import Stmt, dotted_name, function_parameters

_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep


# -- the function a call runs ---------------------------------------------------------
def _type_attribute(klass: type, attribute: str) -> Any:
    try:
        return type.__dict__[attribute].__get__(klass)  # type: ignore[index]
    except Exception:
        return None


def _mro(klass: type) -> tuple[type, ...]:
    found = _type_attribute(klass, "__mro__")
    return found if type(found) is tuple else ()


def _qualname(obj: Any) -> str | None:
    if issubclass(type(obj), type):
        found = _type_attribute(obj, "__qualname__")
    elif type(obj) is types.FunctionType:
        try:
            found = types.FunctionType.__dict__["__qualname__"].__get__(obj)  # type: ignore[index]
        except Exception:
            return None
    else:
        return None
    return found.replace("<locals>.", "") if type(found) is str else None


def _unwrapped(function: types.FunctionType) -> types.FunctionType:
    """The function under ``functools.wraps`` decorators (``__wrapped__`` read from its own dict)."""
    for _ in range(20):
        try:
            inner = types.FunctionType.__dict__["__dict__"].__get__(function).get("__wrapped__")  # type: ignore[index]
        except Exception:
            break
        if type(inner) is not types.FunctionType:
            break
        function = inner
    return function


def _code_file(function: types.FunctionType) -> str | None:
    try:
        return types.FunctionType.__dict__["__code__"].__get__(function).co_filename  # type: ignore[index]
    except Exception:
        return None


def _defined(analysis: Analysis, qualname: str, owner: Any) -> Stmt | None:
    timeline = analysis.timeline
    found = timeline.function(qualname)
    if found is None and owner is not None:
        load = getattr(analysis.provenance, "_load_source_of", None)
        try:
            if load is not None and load(owner):
                found = timeline.function(qualname)
        except Exception:
            return None
    return found


def method_of(analysis: Analysis, obj: Any, method: str) -> Stmt | None:
    """The ``def`` of ``method`` for a live object (or class), looked up along its class's bases."""
    klass = obj if issubclass(type(obj), type) else type(obj)
    for base in _mro(klass):
        qualname = _qualname(base)
        if not qualname or base is object:
            continue
        found = _defined(analysis, f"{qualname}.{method}", base)
        if found is not None:
            return found
    return None


def function_called(analysis: Analysis, called: str | None, scope: str | None) -> Stmt | None:
    """The ``def`` statement a call spelled ``called`` runs, or None."""
    if not called or "()" in called:
        return None
    found = analysis.timeline.function(called)
    if found is not None:
        return found
    try:
        value = analysis.provenance.live_value(called, scope)
        if type(value) is types.FunctionType:  # imported from a user file, or bound under another name
            original = _unwrapped(value)
            qualname = _qualname(original)
            if qualname:
                found = _defined(analysis, qualname, original)
                # the same qualname in another file (a library's `relu` vs the user's) is not it
                if found is not None and found.filename == _code_file(original):
                    return found
            return None
        if live.is_module(value):  # model(x) runs model.forward
            return method_of(analysis, value, "forward")
        owner, _, method = called.rpartition(".")
        if owner:
            obj = analysis.provenance.live_value(owner, scope)
            if obj is not live.MISSING and not issubclass(type(obj), types.ModuleType):
                return method_of(analysis, obj, method)
    except Exception:
        return None
    return None


# -- a parameter's argument at the call site ----------------------------------------------
def caller_argument(analysis: Analysis, name: str, stmt: Stmt) -> tuple[ast.expr, Stmt] | None:
    """``name`` is a parameter of the function ``stmt`` is in: the expression the caller passed
    for it, and the caller's statement (the call in the next user frame out of the traceback)."""
    scope = stmt.scope
    if scope is None:
        return None
    definition = analysis.timeline.function(scope)
    if definition is None or name not in function_parameters(definition):
        return None
    for call, caller in _call_sites(analysis, scope):
        found = _bound_argument(analysis, definition, call, caller, name)
        if found is not None:
            return found, caller
    return None


def _call_sites(analysis: Analysis, scope: str) -> Iterator[tuple[ast.Call, Stmt]]:
    """Calls, in the statement of the frame that called ``scope``'s frame, that may run it."""
    frames = analysis.user_frames
    function = scope.rsplit(".", 1)[-1]
    for position in range(len(frames) - 1, 0, -1):
        frame = frames[position]
        if not (frame.qualname == scope or frame.qualname.endswith("." + scope) or frame.function == scope):
            continue
        outer = frames[position - 1]
        caller = analysis.timeline.statement_at(outer.filename, outer.lineno)
        if caller is None:
            continue
        for call in (c for c in ast.walk(caller.node) if isinstance(c, ast.Call)):
            spelled = dotted_name(call.func) or ""
            if spelled.rsplit(".", 1)[-1] == function or \
                    function_called(analysis, spelled, caller.scope) is analysis.timeline.function(scope):
                yield call, caller
        return


def _bound_argument(analysis: Analysis, definition: Stmt, call: ast.Call, caller: Stmt,
                    name: str) -> ast.expr | None:
    function = definition.node
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    positional = [a.arg for a in function.args.posonlyargs + function.args.args]
    if isinstance(call.func, ast.Attribute) and positional and positional[0] in ("self", "cls"):
        owner = analysis.provenance.live_value(dotted_name(call.func.value) or "", caller.scope) \
            if dotted_name(call.func.value) else live.MISSING
        if not issubclass(type(owner), types.ModuleType):
            positional = positional[1:]  # obj.method(a): self is the object
    elif live.is_module(analysis.provenance.live_value(dotted_name(call.func) or "", caller.scope)) \
            and positional and positional[0] == "self":
        positional = positional[1:]  # model(x) -> forward(self, x)
    if name not in positional:
        return None
    index = positional.index(name)
    if any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return None
    return call.args[index] if index < len(call.args) else None


def same_object_elsewhere(analysis: Analysis, value: Any, scope: str | None) -> tuple[str, str | None] | None:
    """A name an outer user frame (or the namespace) binds to the very object ``value``."""
    if value is live.MISSING or value is None:
        return None
    for frame in reversed(analysis.user_frames[:-1] if scope is not None else []):
        if frame.qualname == scope:
            continue
        for key, item in list(frame.locals.items()):
            if item is value and type(key) is str:
                return key, frame.qualname if frame.function != "<module>" else None
    namespace = analysis.namespace
    if type(namespace) is not dict:  # another mapping's items() would run its code
        return None
    for key, item in list(namespace.items()):
        if item is value and type(key) is str and not key.startswith("_"):
            return key, None
    return None


# -- what backward() was differentiating ------------------------------------------------
def differentiated_tensors(analysis: Analysis, from_outermost: bool = False) -> list[Any]:
    """The tensors torch's ``backward``/``grad`` frames (after the last user frame) differentiate.

    ``from_outermost``: search every torch frame of the traceback instead, for
    errors raised in user code the engine called back (a custom
    ``Function.backward``, a hook), where torch's frames come before the last user frame.
    """
    frames = analysis.user_frames[:1] if from_outermost else [analysis.user_frame]
    frame = frames[0] if frames else None
    tb = frame.tb.tb_next if frame is not None and frame.tb is not None else None
    found: list[Any] = []
    seen = 0
    while tb is not None and seen < (200 if from_outermost else 20):
        seen += 1
        code = tb.tb_frame.f_code
        if not os.path.abspath(code.co_filename).startswith(_TORCH_DIR):
            if from_outermost:
                tb = tb.tb_next
                continue
            break
        if code.co_name in ("backward", "grad", "_engine_run_backward"):
            try:
                local = tb.tb_frame.f_locals
                for key in ("self", "tensors", "outputs", "t_outputs"):
                    item = local.get(key) if type(local) is dict else None
                    items = list(item) if type(item) in (list, tuple) else [item]
                    found.extend(t for t in items if live.is_tensor(t) and all(t is not f for f in found))
            except Exception:
                pass
            if found:
                break
        tb = tb.tb_next
    return found
