"""Read live objects without running user code.

Everything here reads state the way a debugger would: ``type()`` instead of
``isinstance`` (which may call a ``__class__`` property), static attribute
lookup instead of ``getattr`` (no properties, no ``__getattr__``), and tensor
attributes with ``__torch_function__`` overrides disabled. Results are plain
Python data so that no tensor outlives an analysis.
"""

from __future__ import annotations

import inspect
import types
from typing import Any, Iterator, Mapping

import torch

MISSING: Any = object()

_DTYPE_NAMES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32",
    torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool",
    torch.complex64: "complex64", torch.complex128: "complex128",
}


def is_tensor(obj: object) -> bool:
    return issubclass(type(obj), torch.Tensor)


def is_module(obj: object) -> bool:
    return issubclass(type(obj), torch.nn.Module)


def dtype_name(dtype: torch.dtype) -> str:
    return _DTYPE_NAMES.get(dtype, str(dtype).replace("torch.", ""))


def _plain(fn: Any, *args: Any) -> Any:
    """Call a torch C accessor with ``__torch_function__`` (subclasses and modes) disabled."""
    with torch._C.DisableTorchFunction():
        return fn(*args)


def requires_grad(t: torch.Tensor) -> bool:
    return bool(_plain(torch._C.TensorBase.requires_grad.__get__, t))


def grad_fn(t: torch.Tensor) -> Any:
    return _plain(torch._C.TensorBase.grad_fn.__get__, t)


def version(t: torch.Tensor) -> int:
    return int(_plain(torch._C.TensorBase._version.__get__, t))


def is_leaf(t: torch.Tensor) -> bool:
    return bool(_plain(torch._C.TensorBase.is_leaf.__get__, t))


def shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(s) for s in _plain(torch._C.TensorBase.shape.__get__, t))


def dtype(t: torch.Tensor) -> torch.dtype:
    return _plain(torch._C.TensorBase.dtype.__get__, t)


def is_inference(t: torch.Tensor) -> bool:
    try:
        return bool(_plain(torch._C.TensorBase.is_inference, t))
    except Exception:
        return False


def node_name(node: Any) -> str | None:
    """The name of an autograd node (``ExpBackward0``), or ``None``."""
    if node is None:
        return None
    try:
        return str(type(node).name(node))
    except Exception:
        return type(node).__name__


def shape_text(dims: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(d) for d in dims) + "]"


def tensor_facts(t: torch.Tensor) -> dict[str, object]:
    """The facts the panel shows for one tensor, as plain data."""
    facts: dict[str, object] = {"type": type_name(t)}
    readers = {
        "requires_grad": requires_grad,
        "grad_fn": lambda x: node_name(grad_fn(x)),
        "is_leaf": is_leaf,
        "_version": version,
        "shape": lambda x: shape_text(shape(x)),
        "dtype": lambda x: dtype_name(dtype(x)),
        "device": lambda x: str(_plain(torch._C.TensorBase.device.__get__, x)),
        "is_inference": is_inference,
    }
    for key, read in readers.items():
        try:
            facts[key] = read(t)
        except Exception:
            continue
    return facts


def value_facts(obj: object) -> dict[str, object]:
    """Facts for a non-tensor value (a Python number, an array, a module)."""
    if is_tensor(obj):
        return tensor_facts(obj)  # type: ignore[arg-type]
    facts: dict[str, object] = {"type": type_name(obj)}
    if type(obj) in (int, float, bool, complex):
        facts["value"] = repr(obj)
    if is_module(obj):
        params = list(named_parameters(obj))
        facts["parameters"] = len(params)
        facts["trainable"] = sum(1 for _, p in params if requires_grad(p))
    return facts


def _type_slot(cls: type, slot: str, default: Any) -> Any:
    """A class's ``__name__``/``__qualname__``/``__module__``/``__mro__`` read through ``type``'s
    own descriptors: a metaclass ``__getattribute__`` never runs."""
    try:
        if slot == "__module__":
            found = type.__dict__["__dict__"].__get__(cls).get("__module__", default)  # type: ignore[index]
        else:
            found = type.__dict__[slot].__get__(cls)  # type: ignore[index]
    except Exception:
        return default
    return found


def type_name(obj: object) -> str:
    found = _type_slot(type(obj), "__name__", "?")
    return found if type(found) is str else "?"


def type_qualname(obj: object) -> str | None:
    found = _type_slot(type(obj), "__qualname__", None)
    return found if type(found) is str else None


def type_module(obj: object) -> str:
    return class_module(type(obj))


def class_module(cls: type) -> str:
    """The module a class was defined in (``__main__`` for a notebook's classes)."""
    found = _type_slot(cls, "__module__", "")
    return found if type(found) is str else ""


def instance_dict(obj: object) -> Mapping[str, Any]:
    """``obj.__dict__`` read through the type's own slot (never a user property)."""
    try:
        for klass in _type_slot(type(obj), "__mro__", ()):
            slot = type.__dict__["__dict__"].__get__(klass).get("__dict__")  # type: ignore[index]
            if slot is None:
                continue
            if type(slot) in (types.GetSetDescriptorType, types.MemberDescriptorType):
                found = slot.__get__(obj, type(obj))
                return found if type(found) is dict else {}
            return {}
    except Exception:
        return {}
    return {}


def static_attribute(obj: object, name: str) -> Any:
    """``obj.name`` without running a property, ``__getattr__`` or descriptor.

    For an ``nn.Module`` this also finds parameters, buffers and submodules,
    which live in the module's own dictionaries.
    """
    if is_module(obj):
        own = instance_dict(obj)
        for slot in ("_parameters", "_buffers", "_modules"):
            table = own.get(slot)
            if type(table) is dict and name in table:
                return table[name]
    if issubclass(type(obj), types.ModuleType):  # not isinstance: it may call a __class__ property
        module_dict = instance_dict(obj)
        return module_dict.get(name, MISSING)
    try:
        found = inspect.getattr_static(obj, name)
    except (AttributeError, Exception):
        return MISSING
    if issubclass(type(found), (property, types.MemberDescriptorType, types.GetSetDescriptorType,
                                staticmethod, classmethod)):
        return MISSING
    return found


def named_parameters(module: torch.nn.Module, prefix: str = "") -> Iterator[tuple[str, torch.Tensor]]:
    """Parameters of ``module`` read from its dictionaries (no overridable methods), each once."""
    seen: set[int] = set()
    for path, current in named_modules(module, prefix):
        params = instance_dict(current).get("_parameters")
        if type(params) is not dict:
            continue
        for name, param in params.items():
            if param is not None and is_tensor(param) and id(param) not in seen:
                seen.add(id(param))
                yield (f"{path}.{name}" if path else name), param


def named_modules(module: torch.nn.Module, prefix: str = "") -> Iterator[tuple[str, torch.nn.Module]]:
    """Submodules of ``module`` (itself included) read from ``_modules``."""
    stack = [(prefix, module)]
    seen: set[int] = set()
    while stack:
        path, current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield path, current
        children = instance_dict(current).get("_modules")
        if type(children) is dict:
            for name, child in reversed(list(children.items())):
                if child is not None and is_module(child):
                    stack.append((f"{path}.{name}" if path else name, child))


def module_requires_grad(module: torch.nn.Module) -> bool | None:
    """True if any parameter requires grad, False if all are frozen, None if it has none."""
    states = [requires_grad(p) for _, p in named_parameters(module)]
    if not states:
        return None
    return any(states)


def lookup(namespaces: tuple[Mapping[str, Any], ...], name: str) -> Any:
    """Look ``name`` up in the first namespace that has it (dict lookups only)."""
    for namespace in namespaces:
        try:
            if name in namespace:
                return namespace[name]
        except Exception:
            continue
    return MISSING


def code_of(function: Any) -> Any:
    """A plain function's ``__code__``, read without calling anything of the user's."""
    if type(function) is types.FunctionType:
        return types.FunctionType.__dict__["__code__"].__get__(function)
    return None


def class_attribute(cls: Any, name: str) -> Any:
    """``name`` from the class's own ``__dict__`` or its bases' (no descriptors run), else None."""
    try:
        for klass in type.__dict__["__mro__"].__get__(cls):
            found = type.__dict__["__dict__"].__get__(klass).get(name, MISSING)
            if found is not MISSING:
                return found
    except Exception:
        pass
    return None
