"""``%gradgraph``: the IPython line magic, a thin layer over :func:`gradgraph`.

The expression is resolved without evaluation (:func:`.naming.resolve_expression`);
every failure is one :class:`~IPython.core.error.UsageError` line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .. import live
from .naming import ExpressionError, resolve_expression
from .safety import DEFAULT_MAX_NODES

if TYPE_CHECKING:
    from .model import GradGraph

# The drawing machinery (.model: walk, view, layout, SVG) is imported on the first
# %gradgraph, not when the extension loads.

_FORMATS = ("svg", "dot", "text", "json")


def is_notebook(shell: Any) -> bool:
    """True in a Jupyter kernel (which can show SVG), False in terminal IPython."""
    return type(shell).__name__ == "ZMQInteractiveShell"


def why_no_graph(name: str, tensor: Any) -> str:
    """One line saying why ``tensor`` has no autograd graph."""
    reasons = []
    if live.is_inference(tensor):
        reasons.append("it is an inference tensor (made under torch.inference_mode())")
    else:
        import torch

        if not torch.is_grad_enabled():
            reasons.append("grad mode is off right now (torch.set_grad_enabled(False)?)")
        reasons.append("it was made under torch.no_grad(), by .detach()/.data/.item(), by a "
                       "non-differentiable op, or from inputs that do not require grad")
    return (f"{name} has no grad_fn and requires_grad=False, so backward() has no graph to walk: "
            + "; ".join(reasons))


@magics_class
class GradGraphMagics(Magics):
    """Registers ``%gradgraph``."""

    @magic_arguments()
    @argument("expr", nargs="*", help="The tensor to draw: a name, attribute or constant subscript "
              "(loss, out[0], model.fc.weight). Nothing is evaluated. Default: the tensor of the "
              "last explained error, with the culprit highlighted.")
    @argument("--format", "-f", choices=_FORMATS, default=None, help="Output format (default: SVG "
              "in Jupyter, a text tree in a terminal).")
    @argument("-o", "--output", metavar="FILE", default=None, help="Write to FILE; the format comes "
              "from the extension: .svg .dot .json .txt (.png .pdf need graphviz 'dot').")
    @argument("--depth", type=int, default=None, help="Stop N nodes away from the output.")
    @argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES,
              help=f"Visit at most N autograd nodes (default {DEFAULT_MAX_NODES:,}).")
    @argument("--saved", action="store_true", help="Show saved tensors with their versions.")
    @argument("--no-collapse", action="store_true", help="Draw every node: no folding of repeated "
              "blocks, shape ops or single-use parameters.")
    @line_magic
    def gradgraph(self, line: str) -> None:
        """Draw the autograd graph behind a tensor, with your names for things."""
        args = parse_argstring(self.gradgraph, line)
        graph = self._graph(" ".join(args.expr).strip(), args)
        if args.output:
            self._save(graph, args.output)
            return
        self._show(graph, args.format)

    def _graph(self, expr: str, args: Any) -> GradGraph:
        namespace = self.shell.user_ns if self.shell is not None else {}
        highlight: tuple[str, ...] = ()
        if not expr:
            expr, highlight = _from_last_error()
        try:
            value = resolve_expression(expr, namespace)
        except ExpressionError as exc:
            raise UsageError(f"%gradgraph: {exc}") from None
        if not live.is_tensor(value):
            hint = (" (.item(), float() or math.* turned it into a Python number, which has no graph)"
                    if type(value) in (float, int, bool) else "")
            raise UsageError(f"%gradgraph: {expr} is a {type(value).__name__}, not a tensor{hint}")
        if live.grad_fn(value) is None and not live.requires_grad(value):
            raise UsageError(f"%gradgraph: {why_no_graph(expr, value)}")
        if args.max_nodes < 1 or (args.depth is not None and args.depth < 0):
            raise UsageError("%gradgraph: --max-nodes must be >= 1 and --depth >= 0")
        from .model import Options, build

        options = Options(depth=args.depth, max_nodes=args.max_nodes, saved=args.saved,
                          collapse=not args.no_collapse, highlight=highlight, name=expr)
        return build(value, namespace, options)

    def _save(self, graph: GradGraph, path: str) -> None:
        try:
            written = graph.save(path)
        except (RuntimeError, ValueError, OSError) as exc:
            raise UsageError(f"%gradgraph: {exc}") from None
        print(f"wrote {written} ({graph.summary()})")

    def _show(self, graph: GradGraph, fmt: str | None) -> None:
        notebook = is_notebook(self.shell)
        if fmt is None:
            fmt = "svg" if notebook else "rich"
        if fmt == "svg" and notebook:
            from IPython.display import SVG, display

            display(SVG(graph.to_svg()))
        elif fmt == "rich":
            from rich.console import Console

            Console().print(graph.__rich__(), soft_wrap=True)
        else:
            text = {"svg": graph.to_svg, "dot": graph.to_dot, "json": graph.to_json,
                    "text": graph.to_text}[fmt]()
            print(text, end="" if text.endswith("\n") else "\n")


def _from_last_error() -> tuple[str, tuple[str, ...]]:
    """The target and culprits of the last explained error (``ae.last()``)."""
    try:
        import autograd_explain

        diagnosis = autograd_explain.last()
    except Exception:  # an older core without last(), or a failing one: no default tensor
        diagnosis = None
    target = getattr(diagnosis, "target", None) if diagnosis is not None else None
    if not target:
        raise UsageError("%gradgraph: give a tensor (e.g. %gradgraph loss); there is no explained "
                         "error whose tensor could be drawn")
    # diagnoses spell module paths as written (net[2]); the graph names them as torch does (net.2)
    names = tuple(re.sub(r"\[(\d+)\]", r".\1", str(v)) for v in getattr(diagnosis, "variables", ()) or ())
    return str(target), names

