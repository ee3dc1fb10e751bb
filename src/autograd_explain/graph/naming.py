"""The user's names for tensors, parameters and autograd nodes.

Everything is read with plain dict lookups and static attribute reads (see
:mod:`autograd_explain.live`): no property, ``__getattr__`` or overridable
method of user code runs while naming a graph or resolving ``%gradgraph EXPR``.
"""

from __future__ import annotations

import ast
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Mapping

import torch

from .. import live


@dataclass
class NameIndex:
    """Names found in a namespace, keyed by ``id()`` of live objects.

    ``keep`` holds the named objects so that the ids stay valid while the
    index lives; the index is dropped as soon as a graph is built.
    """

    tensors: dict[int, str] = field(default_factory=dict)
    nodes: dict[int, str] = field(default_factory=dict)
    node_objects: dict[int, Any] = field(default_factory=dict)
    frozen: dict[str, list[tuple[str, torch.Tensor]]] = field(default_factory=dict)
    keep: list[object] = field(default_factory=list)
    _priority: dict[int, tuple[int, int, str]] = field(default_factory=dict)

    def add_tensor(self, name: str, tensor: torch.Tensor, parameter: bool) -> None:
        # Qualified parameter names beat plain names (a loop variable `p` would
        # otherwise name whichever parameter it last pointed at); names starting
        # with `_` (IPython's `_`, `_3`) lose to everything.
        rank = (1 if name.startswith("_") else 0, 0 if parameter else 1, name)
        key = id(tensor)
        old = self._priority.get(key)
        if old is not None and old <= rank:
            return
        self._priority[key] = rank
        self.tensors[key] = name
        self.keep.append(tensor)
        fn = None if parameter else _grad_fn_or_none(tensor)  # parameters are leaves
        if fn is not None:
            self.nodes[id(fn)] = name
            self.node_objects[id(fn)] = fn
            self.keep.append(fn)

    def is_parameter(self, tensor: object) -> bool:
        """True if the tensor's best name is a module parameter's qualified name."""
        rank = self._priority.get(id(tensor))
        return rank is not None and rank[1] == 0

    def tensor_name(self, tensor: object) -> str | None:
        return self.tensors.get(id(tensor))

    def base_name(self, tensor: torch.Tensor) -> tuple[str | None, object]:
        """The name of ``tensor`` or of the tensor it is a view of (``w.t()`` -> ``w``)."""
        name = self.tensors.get(id(tensor))
        if name is not None:
            return name, tensor
        try:
            base = torch._C.TensorBase._base.__get__(tensor)
        except Exception:
            return None, tensor
        if base is None:
            return None, tensor
        return self.tensors.get(id(base)), base


def _grad_fn_or_none(tensor: torch.Tensor) -> Any:
    try:
        return live.grad_fn(tensor)
    except Exception:
        return None


def _plain_items(namespace: object) -> list[tuple[str, Any]]:
    """Items of a plain ``dict`` (or mapping proxy) without calling user methods."""
    if type(namespace) is dict:
        return list(dict.items(namespace))
    if type(namespace) is types.MappingProxyType:
        return list(namespace.items())
    return []


def index_namespace(namespace: Mapping[str, Any] | None) -> NameIndex:
    """Build a :class:`NameIndex` from tensors, modules and flat containers."""
    index = NameIndex()
    for name, value in _plain_items(namespace):
        if type(name) is not str:
            continue
        if live.is_tensor(value):
            index.add_tensor(name, value, parameter=False)
        elif live.is_module(value):
            _index_module(index, name, value)
        elif type(value) in (list, tuple) and len(value) <= 256:
            for i, item in enumerate(value):
                if live.is_tensor(item):
                    index.add_tensor(f"{name}[{i}]", item, parameter=False)
        elif type(value) is dict and len(value) <= 256:
            for key, item in dict.items(value):
                if type(key) in (str, int) and live.is_tensor(item):
                    index.add_tensor(f"{name}[{key!r}]", item, parameter=False)
    return index


def _index_module(index: NameIndex, name: str, module: torch.nn.Module) -> None:
    if name.startswith("_"):
        return
    # Only parameters are named (``data.modules`` comes from their qualified names):
    # no separate walk of the submodules.
    for path, param in live.named_parameters(module, prefix=name):
        index.add_tensor(path, param, parameter=True)
        if not live.requires_grad(param):
            index.frozen.setdefault(module_of(path) or "", []).append((path, param))


def caller_namespace() -> dict[str, Any]:
    """Globals and locals of the first frame outside this package."""
    frame = sys._getframe(1)
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("autograd_explain"):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return {}
    merged: dict[str, Any] = dict(frame.f_globals)
    merged.update(frame.f_locals)
    return merged


def module_of(parameter_name: str) -> str | None:
    """``model.fc1.weight`` -> ``model.fc1``; a bare name has no module."""
    head, dot, _ = parameter_name.rpartition(".")
    return head if dot else None


def block_of(module: str) -> str:
    """The repeated block a module belongs to: ``enc.layers.5.linear1`` -> ``enc.layers.5``.

    Modules without an index (``model.fc1``) are their own block.
    """
    parts = module.split(".")
    for k, part in enumerate(parts):
        if part.isdigit():
            return ".".join(parts[: k + 1])
    return module


class ExpressionError(ValueError):
    """EXPR is not a name, attribute or constant subscript we can resolve."""


_MISSING = live.MISSING


def resolve_expression(expr: str, namespace: Mapping[str, Any]) -> Any:
    """Find the object ``expr`` names without evaluating anything.

    Accepts ``name``, ``a.b.c`` (static attribute lookup; ``nn.Module``
    parameters and submodules through their dictionaries) and constant
    subscripts ``a[0]``, ``a['k']``, ``a[-1]`` on lists, tuples, dicts and
    plain tensors.

    Raises:
        ExpressionError: with a one-line reason.
    """
    try:
        tree = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        raise ExpressionError(f"{expr!r} is not a name, attribute or constant subscript") from None
    steps: list[ast.expr] = []
    node: ast.expr = tree
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        steps.append(node)
        node = node.value
    if not isinstance(node, ast.Name):
        raise ExpressionError(f"{expr!r}: only names, attributes and constant subscripts are allowed (nothing is evaluated)")
    value = live.lookup((namespace,), node.id) if type(namespace) is dict else _MISSING
    if value is _MISSING:
        raise ExpressionError(f"name {node.id!r} is not defined")
    path = node.id
    for step in reversed(steps):
        value, path = _apply_step(value, step, path)
    return value


def _apply_step(value: Any, step: ast.expr, path: str) -> tuple[Any, str]:
    if isinstance(step, ast.Attribute):
        found = live.static_attribute(value, step.attr)
        if found is _MISSING:
            raise ExpressionError(f"{path} ({type(value).__name__}) has no plain attribute {step.attr!r}")
        return found, f"{path}.{step.attr}"
    assert isinstance(step, ast.Subscript)
    key = _constant(step.slice)
    label = f"{path}[{key!r}]"
    if type(value) in (list, tuple) and type(key) is int:
        try:
            return value[key], label
        except IndexError:
            raise ExpressionError(f"{label}: index out of range (len {len(value)})") from None
    if type(value) is dict:
        if key in value:
            return dict.__getitem__(value, key), label
        raise ExpressionError(f"{label}: no such key")
    if live.is_module(value):
        return _module_item(value, key, label), label
    if type(value) in (torch.Tensor, torch.nn.Parameter) and type(key) is int:
        try:
            with torch._C.DisableTorchFunctionSubclass():
                return torch.Tensor.__getitem__(value, key), label
        except IndexError as exc:
            raise ExpressionError(f"{label}: {exc}") from None
    raise ExpressionError(f"{label}: can only subscript lists, tuples, dicts and tensors with a constant")


def _module_item(module: Any, key: Any, label: str) -> Any:
    """``seq[0]`` / ``layers[-1]`` / ``blocks['enc']`` read from the module's ``_modules``."""
    children = live.instance_dict(module).get("_modules")
    if type(children) is not dict:
        raise ExpressionError(f"{label}: {type(module).__name__} has no submodules")
    if type(key) is str:
        if key in children:
            return children[key]
        raise ExpressionError(f"{label}: no submodule {key!r}")
    items = list(children.values())
    try:
        return items[key]
    except IndexError:
        raise ExpressionError(f"{label}: index out of range ({len(items)} submodules)") from None


def _constant(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, str):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int):
        return -node.operand.value
    raise ExpressionError("subscripts must be constant integers or strings")
