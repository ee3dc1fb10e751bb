"""Words inside the boxes: op names users know, their names, shapes and problems."""

from __future__ import annotations

from . import ops
from .naming import block_of
from .view import View, VNode
from .walk import GraphData

#: Short words for each problem flag, shown in the box and the legend.
FLAG_WORDS: dict[str, str] = {
    "inplace-modified": "modified in place",
    "freed": "buffers freed",
    "no-grad": "requires_grad=False",
    "no-grad-fn": "no grad_fn",
    "highlight": "highlighted",
    "truncated": "continues",
    "hooked": "saved-tensor hooks",
}
#: Flags that are problems (drawn in red); the rest are drawn as notes.
PROBLEMS = frozenset({"inplace-modified", "freed", "no-grad", "no-grad-fn"})


def shape_text(shape: tuple[int, ...] | None, dtype: str | None = None) -> str:
    if shape is None:
        return ""
    text = "[" + ", ".join(str(d) for d in shape) + "]"
    if dtype and dtype != "float32":
        text += f" {dtype}"
    return text


def label_view(data: GraphData, view: View, show_saved: bool = False) -> None:
    """Fill title, lines, module and tooltip of every box that stands for one node."""
    for node in view.nodes:
        if node.model is None:
            continue
        i = node.model
        node.flags = tuple(data.flags.get(i, ()))
        if i == data.root and data.kinds[i] == "op":
            node.kind = "output"
        if data.kinds[i] == "op":
            _label_op(data, node, i)
        else:
            _label_tensor(data, node, i)
        if show_saved:
            node.lines.extend(_saved_lines(data, i))
        mark = "⚠" if PROBLEMS.intersection(node.flags) else "·"
        node.lines.extend(f"{mark} {note}" for note in data.notes.get(i, ())[:2])
        node.tooltip = _tooltip(data, node, i)
    _shorten_inside_groups(view)


def _shorten_inside_groups(view: View) -> None:
    """Inside a drawn module group, ``enc.layers.5.linear1: weight`` reads ``linear1: weight``."""
    for group, members in module_groups(view).items():
        prefix = group + "."
        for k in members:
            node = view.nodes[k]
            node.lines = [line[len(prefix):] if line.startswith(prefix) else line for line in node.lines]


def _label_op(data: GraphData, node: VNode, i: int) -> None:
    label = ops.op_label(data.ops[i])
    params = [j for j in node.inlined]
    if label == "conv":
        weights = [data.shapes.get(j) for j in params if len(data.shapes.get(j, ())) >= 3]
        label = ops.conv_label(weights[0] if weights else None)
    node.title = label
    name = data.names.get(i)
    shape = shape_text(data.shapes.get(i), data.dtypes.get(i))
    first = " ".join(part for part in (name, shape) if part)
    if first:
        node.lines.append(first)
    if params:
        node.lines.append(_params_line(data, params))
        node.module = next((data.modules[j] for j in params if data.modules.get(j)), None)
        if node.module:
            data.modules.setdefault(i, node.module)  # the model records it too (JSON, .nodes)


def _params_line(data: GraphData, params: list[int]) -> str:
    names = [data.names.get(j) or ("param " + shape_text(data.shapes.get(j))) for j in params]
    modules = {data.modules.get(j) for j in params}
    if len(modules) == 1 and None not in modules:
        (module,) = modules
        short = [n[len(module) + 1:] if module and n.startswith(module + ".") else n for n in names]
        return f"{module}: {', '.join(short)}"
    if len(names) > 3:
        names = names[:3] + [f"+{len(names) - 3}"]
    return ", ".join(names)


def _label_tensor(data: GraphData, node: VNode, i: int) -> None:
    name = data.names.get(i)
    node.title = name or ("leaf" if data.kinds[i] == "leaf" else "input")
    node.module = data.modules.get(i)
    shape = shape_text(data.shapes.get(i), data.dtypes.get(i))
    if shape:
        node.lines.append(shape)


def _saved_lines(data: GraphData, i: int) -> list[str]:
    lines = []
    for saved in data.saved.get(i, ())[:4]:
        if saved.problem:
            continue
        version = "" if saved.version is None else f" v{saved.version}"
        what = f"{saved.slot}={saved.name}" if saved.name else saved.slot
        lines.append(f"saved {what} {shape_text(saved.shape)}{version}".rstrip())
    return lines


def _tooltip(data: GraphData, node: VNode, i: int) -> str:
    parts = [data.ops[i] or "tensor without grad_fn"]
    if node.module:
        parts.append(f"module {node.module}")
    for j in node.inlined:
        parts.append(f"{data.names.get(j, 'param')} {shape_text(data.shapes.get(j), data.dtypes.get(j))}")
    constants = data.constants.get(i)
    if constants:
        parts.append(f"{constants} input(s) without grad")
    parts.extend(data.notes.get(i, ()))
    return "\n".join(parts)


def module_groups(view: View, minimum: int = 2) -> dict[str, list[int]]:
    """Boxes grouped by the ``nn.Module`` block whose parameters they use (where known)."""
    groups: dict[str, list[int]] = {}
    for k, node in enumerate(view.nodes):
        if node.module and node.kind != "repeat":
            groups.setdefault(block_of(node.module), []).append(k)
    return {name: members for name, members in sorted(groups.items()) if len(members) >= minimum}
