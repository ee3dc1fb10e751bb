"""Small, bounded reads of a live autograd graph (no backward is run).

Probing a node's saved tensors (``node._saved_self``...) raises the very same
"modified by an inplace operation" error on the node whose saved tensor was
modified, and a "freed" error after a backward: that pinpoints the culprit
node. Visits are bounded because freeing a long graph that Python has walked
recurses in C++ (see verified-facts).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Iterator

MAX_VISITS = 20_000


@dataclass(frozen=True)
class Probe:
    node: Any
    attribute: str
    problem: str  # "inplace" | "freed"


def walk(root: Any, limit: int = MAX_VISITS) -> Iterator[Any]:
    """Breadth-first nodes reachable from ``root`` through ``next_functions``."""
    if root is None:
        return
    seen = {id(root)}
    queue: deque[Any] = deque([root])
    while queue and len(seen) <= limit:
        node = queue.popleft()
        yield node
        try:
            edges = node.next_functions
        except Exception:
            continue
        for child, _ in edges:
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                queue.append(child)


def saved_attributes(node: Any) -> list[str]:
    """The attributes that unpack ``node``'s saved tensors: ``_saved_self``... for torch's
    own nodes, ``saved_tensors`` for a custom ``autograd.Function``'s node."""
    try:
        names = [name for name in dir(node) if name.startswith("_saved_")]
    except Exception:
        return []
    if not names and _is_custom_function_node(node):
        names = ["saved_tensors"]
    return names


def _is_custom_function_node(node: Any) -> bool:
    from torch.autograd.function import BackwardCFunction

    return isinstance(node, BackwardCFunction)


def probe(node: Any) -> Probe | None:
    """Read each saved tensor of ``node``; report the first that fails and why.

    A slot with a user ``unpack_hook`` (``saved_tensors_hooks``, activation
    checkpointing, which re-runs the user's forward) is never unpacked: that
    would run user code and could change module state.
    """
    for attribute in saved_attributes(node):
        try:
            if hooked(_raw_slot(node, attribute)):
                continue
            getattr(node, attribute)
        except RuntimeError as error:
            text = str(error)
            if "inplace operation" in text:
                return Probe(node, attribute, "inplace")
            if "freed" in text or "second time" in text:
                return Probe(node, attribute, "freed")
        except Exception:
            continue
    return None


def _raw_slot(node: Any, attribute: str) -> Any:
    """The ``SavedTensor`` object(s) behind a saved slot, read without unpacking."""
    if attribute == "saved_tensors":
        import torch

        return torch._C._FunctionBase._raw_saved_tensors.__get__(node)
    return getattr(node, "_raw" + attribute)


def hooked(raw: Any) -> bool:
    """A saved slot (one SavedTensor or a sequence of them) with a user unpack hook."""
    if type(raw) in (list, tuple):
        return any(item is not None and item.unpack_hook is not None for item in raw)
    return raw is not None and raw.unpack_hook is not None


def find_problem(root: Any, problem: str, limit: int = MAX_VISITS) -> Probe | None:
    for node in walk(root, limit):
        found = probe(node)
        if found is not None and found.problem == problem:
            return found
    return None


def next_nodes(node: Any) -> list[Any]:
    try:
        return [child for child, _ in node.next_functions if child is not None]
    except Exception:
        return []


def accumulated_variable(node: Any) -> Any:
    """The leaf tensor behind an ``AccumulateGrad`` node, else None."""
    try:
        return node.variable
    except Exception:
        return None


def op_name(node_name: str | None) -> str:
    """``ExpBackward0`` -> ``exp``; ``AddmmBackward0`` -> ``addmm``."""
    if not node_name:
        return "?"
    name = node_name
    for suffix in ("Backward0", "Backward1", "Backward"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.lower()
