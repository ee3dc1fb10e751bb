"""``gradgraph``: draw the autograd graph behind a tensor, with the user's names.

Pipeline (each step a module): :mod:`.walk` (autograd nodes -> plain columns,
bounded, iterative) -> :mod:`.view` (what to draw: collapse, inline, keep
problems) -> :mod:`.labels` -> :mod:`.layout` (pure-Python layered layout) ->
:mod:`.svg` / :mod:`.dot` / :mod:`.text` / JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .safety import DEFAULT_MAX_NODES

if TYPE_CHECKING:
    from .model import Edge, GradGraph, Node, Options

__all__ = ["Edge", "GradGraph", "Node", "Options", "gradgraph"]


def __getattr__(name: str) -> Any:
    """The model classes, imported on first use (loading the extension does not need them)."""
    if name in ("Edge", "GradGraph", "Node", "Options"):
        from . import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def gradgraph(tensor: Any, namespace: Mapping[str, Any] | None = None, *,
              depth: int | None = None, max_nodes: int = DEFAULT_MAX_NODES, saved: bool = False,
              collapse: bool = True, highlight: Iterable[str] = (), max_draw: int | None = None,
              name: str | None = None) -> GradGraph:
    """Walk the autograd graph behind ``tensor`` and return a drawable :class:`GradGraph`.

    Args:
        tensor: the tensor whose ``backward()`` graph to draw.
        namespace: the user's variables, used to name leaves, parameters
            (``model.fc1.weight``) and intermediate tensors. ``None`` reads the
            caller's globals and locals. Only plain dict lookups are made.
        depth: stop this many nodes away from the output.
        max_nodes: visit at most this many autograd nodes (default 10,000,
            which keeps freeing the graph later safe; larger values raise the
            soft stack limit).
        saved: list each node's saved tensors with their versions.
        collapse: hide shape-only ops, inline single-use parameters and fold
            repeated structure; ``False`` draws every node.
        highlight: names (or module prefixes) to highlight.
        max_draw: at most this many boxes (default 300 with ``collapse``,
            unlimited without); deeper ranks fold into one box.
        name: the output's name (else found in ``namespace``).
    """
    from .. import live
    from .model import Options, build
    from .naming import caller_namespace

    if not live.is_tensor(tensor):
        raise TypeError(f"gradgraph() needs a tensor, got {type(tensor).__name__}")
    if namespace is None:
        namespace = caller_namespace()
    options = Options(depth=depth, max_nodes=max_nodes, saved=saved, collapse=collapse,
                      highlight=tuple(highlight), max_draw=max_draw, name=name)
    return build(tensor, namespace, options)
