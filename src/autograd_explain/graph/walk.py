"""Walk the autograd graph behind a tensor into plain columnar data.

This is the only module of the graph package that touches autograd nodes.
The walk is a breadth-first loop over ``next_functions`` (as in
``torch/autograd/graph.py``), never recursive, and bounded by ``max_nodes``:
every node we touch from Python gets a Python wrapper, and freeing a long chain
of wrapped nodes later recurses in C++ (a visited run of ~60k nodes overflows
the default 8 MB stack when the user deletes the tensor). Node references live
only inside :func:`walk`; the result holds names, shapes and numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Any, Callable, Iterable

import torch

from .. import live
from ..autograd_graph import hooked
from .naming import NameIndex, module_of
from .safety import ensure_stack_for

#: Substrings of the errors raised when a saved tensor cannot be unpacked.
_INPLACE = "modified by an inplace operation"
_FREED = "freed"
_VERSIONS = re.compile(r"is at version (\d+); expected version (\d+)")


@dataclass
class Saved:
    """One saved tensor of a node, as plain data."""

    slot: str
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    version: int | None = None
    expected: int | None = None
    problem: str | None = None
    name: str | None = None


@dataclass
class GraphData:
    """The walked graph, column by column (node ids are BFS order from the root).

    ``inputs[i]`` lists the ids of node ``i``'s ``next_functions`` that are not
    ``None``, in order (repeats kept); ``constants[i]`` counts the ``None`` ones
    (inputs that did not require grad). Sparse facts live in dicts.
    """

    ops: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    inputs: list[list[int]] = field(default_factory=list)
    constants: dict[int, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    shapes: dict[int, tuple[int, ...]] = field(default_factory=dict)
    dtypes: dict[int, str] = field(default_factory=dict)
    modules: dict[int, str] = field(default_factory=dict)
    flags: dict[int, list[str]] = field(default_factory=dict)
    notes: dict[int, list[str]] = field(default_factory=dict)
    saved: dict[int, list[Saved]] = field(default_factory=dict)
    unvisited: dict[int, int] = field(default_factory=dict)
    root: int = 0
    output_name: str | None = None

    def flag(self, node: int, flag: str, note: str | None = None) -> None:
        flags = self.flags.setdefault(node, [])
        if flag not in flags:
            flags.append(flag)
        if note and note not in self.notes.get(node, ()):
            self.notes.setdefault(node, []).append(note)

    def add_node(self, op: str, kind: str) -> int:
        self.ops.append(op)
        self.kinds.append(kind)
        self.inputs.append([])
        return len(self.ops) - 1


@dataclass
class _TypeInfo:
    name: str
    is_leaf: bool
    custom: bool
    slots: tuple[tuple[str, str], ...]
    #: ``raw(node)`` reads every ``_raw_saved_*`` slot, ``unpack(node)`` every ``_saved_*``
    #: slot, in one C call each (a tuple when there are several slots).
    raw: Callable[[Any], Any] | None = None
    unpack: Callable[[Any], Any] | None = None

    def __post_init__(self) -> None:
        if self.slots and not self.custom:
            self.raw = attrgetter(*(raw for _, raw in self.slots))
            self.unpack = attrgetter(*(slot for slot, _ in self.slots))


_TYPES: dict[type, _TypeInfo] = {}


def _type_info(node: Any) -> _TypeInfo:
    tp = type(node)
    info = _TYPES.get(tp)
    if info is None:
        name = live.node_name(node) or tp.__name__
        if name.endswith("::AccumulateGrad"):
            name = "AccumulateGrad"  # torch spells it torch::autograd::AccumulateGrad
        custom = isinstance(node, torch._C._FunctionBase)
        attrs = set(dir(tp))
        slots = tuple(sorted(
            (a, "_raw" + a) for a in attrs
            if a.startswith("_saved_") and ("_raw" + a) in attrs
        ))
        info = _TypeInfo(name, name == "AccumulateGrad", custom, slots)
        _TYPES[tp] = info
    return info


def walk(tensor: torch.Tensor, index: NameIndex, *, max_nodes: int, depth: int | None,
         saved: bool, output_name: str | None,
         select: Callable[[GraphData], Iterable[int]] = lambda data: ()) -> GraphData:
    """Walk the graph behind ``tensor`` (at most ``max_nodes`` nodes).

    ``select`` is called while the nodes are still reachable; it returns the
    node ids worth an output shape (reading one costs about as much as
    visiting the node, so only drawn nodes get one).
    """
    data = GraphData(output_name=output_name or index.tensor_name(tensor))
    root = live.grad_fn(tensor)
    if root is None:
        _describe_gradless(data, tensor)
        select(data)
        return data
    ensure_stack_for(max_nodes)
    ids: dict[Any, int] = {}
    nodes = _bfs(data, root, max_nodes, depth, ids)
    try:
        _collect_facts(data, nodes, ids, index, saved)
        _name_output(data, tensor)
        _read_shapes(data, nodes, select(data))
    finally:
        nodes.clear()
        ids.clear()
    return data


def _read_shapes(data: GraphData, nodes: list[Any], wanted: Iterable[int]) -> None:
    for i in wanted:
        if i >= len(nodes) or i in data.shapes or data.kinds[i] != "op":
            continue
        try:
            meta = nodes[i]._input_metadata
            if meta:
                data.shapes[i] = tuple(int(d) for d in meta[0].shape)
                data.dtypes[i] = live.dtype_name(meta[0].dtype)
        except Exception:
            continue


def _bfs(data: GraphData, root: Any, max_nodes: int, depth: int | None, ids: dict[Any, int]) -> list[Any]:
    """Breadth-first ids from the root; fills ``data.inputs``/``constants``/``unvisited``
    and ``ids`` (node -> id). Visits at most ``max(1, max_nodes)`` nodes."""
    ids[root] = 0
    nodes: list[Any] = [root]
    if depth is None:
        _bfs_unbounded(data, nodes, ids, max(1, max_nodes))
        return nodes
    levels: list[int] = [0]
    inputs = data.inputs
    constants = data.constants
    limit = max(1, max_nodes)
    for i, node in enumerate(nodes):
        ins: list[int] = []
        inputs.append(ins)
        if levels[i] >= depth:
            hidden = sum(1 for fn, _ in node.next_functions if fn is not None)
            if hidden:
                data.unvisited[i] = hidden
            continue
        level = levels[i] + 1
        missing = none = 0
        for fn, _ in node.next_functions:
            if fn is None:
                none += 1
                continue
            j = ids.get(fn)
            if j is None:
                if len(nodes) >= limit:
                    missing += 1
                    continue
                j = ids[fn] = len(nodes)
                nodes.append(fn)
                levels.append(level)
            ins.append(j)
        if none:
            constants[i] = none
        if missing:
            data.unvisited[i] = missing
    return nodes


def _bfs_unbounded(data: GraphData, nodes: list[Any], ids: dict[Any, int], limit: int) -> None:
    """The common case (no ``depth``): the leanest loop, close to a bare walk."""
    inputs_append = data.inputs.append
    constants = data.constants
    unvisited = data.unvisited
    get = ids.get
    add = nodes.append
    i = 0
    for node in nodes:
        ins: list[int] = []
        none = missing = 0
        for fn, _ in node.next_functions:
            if fn is None:
                none += 1
                continue
            j = get(fn)
            if j is None:
                j = len(nodes)
                if j >= limit:
                    missing += 1
                    continue
                ids[fn] = j
                add(fn)
            ins.append(j)
        inputs_append(ins)
        if none:
            constants[i] = none
        if missing:
            unvisited[i] = missing
        i += 1


def _collect_facts(data: GraphData, nodes: list[Any], ids: dict[Any, int], index: NameIndex,
                   probe_saved: bool) -> None:
    types = list(map(type, nodes))
    infos: dict[type, _TypeInfo] = {}
    for tp, node in dict(zip(types, nodes)).items():  # one node of each type
        infos[tp] = _TYPES.get(tp) or _type_info(node)
    data.ops.extend(map({tp: info.name for tp, info in infos.items()}.__getitem__, types))
    data.kinds.extend(map({tp: "leaf" if info.is_leaf else "op" for tp, info in infos.items()}.__getitem__,
                          types))
    by_type: dict[type, list[int]] = {tp: [] for tp in infos}
    for i, tp in enumerate(types):
        by_type[tp].append(i)
    constants = data.constants
    pending: list[tuple[int, str, Any]] = []
    for tp, members in by_type.items():
        info = infos[tp]
        if info.is_leaf:
            for i in members:
                _describe_leaf(data, i, nodes[i], index)
        elif info.custom or probe_saved:
            for i in members:
                _probe_saved(data, i, nodes[i], info, index, probe_saved, pending)
        elif info.slots:
            probe = [i for i in members if i in constants] if constants else []
            if probe:
                _name_constants_many(data, nodes, probe, info, index, pending)
                members = [i for i in members if i not in constants]
            _check_saved_many(data, nodes, members, info)
        # (an op type without saved slots has nothing to probe: its constants stay unnamed)
    kinds = data.kinds
    for key, name in index.nodes.items():
        i = ids.get(index.node_objects.get(key))
        if i is not None and kinds[i] == "op":
            data.names[i] = name
    # Node order, as a node-by-node pass would have made them (flags/problems order).
    for column in ("names", "flags", "notes", "saved"):
        values = getattr(data, column)
        if len(values) > 1:
            setattr(data, column, dict(sorted(values.items())))
    pending.sort(key=lambda item: item[0])
    facts: dict[int, tuple[Any, Any]] = {}  # one tensor often feeds every step of a loop
    for i, name, value in pending:
        _add_constant(data, i, name, value, index, facts)
    if index.frozen:
        _guess_frozen(data, index)
    for i, count in data.unvisited.items():
        data.flag(i, "truncated", f"{count} input(s) not drawn (raise max_nodes/depth)")


_UNPACK_HOOK = attrgetter("unpack_hook")


def _unpack_many(group: list[Any], info: _TypeInfo) -> list[Any] | None:
    """Every saved value of ``group`` (nodes of one type), read in C; ``None`` if any
    slot is hooked, absent or a list, or fails to unpack (the per-node path says which)."""
    try:
        raws = list(map(info.raw, group))  # type: ignore[arg-type]
        if len(info.slots) > 1:
            raws = list(chain.from_iterable(raws))
        hooks = list(map(_UNPACK_HOOK, raws))  # AttributeError on None or list slots
        if hooks.count(None) == len(hooks):
            return list(map(info.unpack, group))  # type: ignore[arg-type]  # raises on a problem
    except (AttributeError, RuntimeError, TypeError):
        pass
    return None


def _name_constants_many(data: GraphData, nodes: list[Any], members: list[int], info: _TypeInfo,
                         index: NameIndex, pending: list[tuple[int, str, Any]]) -> None:
    """:func:`_probe_saved` (without keeping facts) for nodes of one type with constant inputs."""
    values = _unpack_many(list(map(nodes.__getitem__, members)), info)
    if values is None:
        for i in members:
            _probe_saved(data, i, nodes[i], info, index, False, pending)
        return
    single = len(info.slots) == 1
    for i, saved in zip(members, values):
        for value in ((saved,) if single else saved):
            if value is None or not live.is_tensor(value):
                continue
            name, named = index.base_name(value)
            if name is not None and not live.requires_grad(value):
                pending.append((i, name, named))


def _check_saved_many(data: GraphData, nodes: list[Any], members: list[int], info: _TypeInfo) -> None:
    """Let torch check the versions of every saved tensor of ``members`` (nodes of one type).

    Reads run in C (``map`` over ``attrgetter``s) while nothing is wrong; any
    hook, absent/list slot or unpack error sends the group to the per-node path
    (:func:`_check_saved`), which records what exactly is wrong.
    """
    if not members:
        return
    group = list(map(nodes.__getitem__, members))
    if _unpack_many(group, info) is not None:
        return  # every saved tensor unpacked: none was modified or freed
    for i, node in zip(members, group):
        _check_saved(data, i, node, info.slots)


def _describe_leaf(data: GraphData, i: int, node: Any, index: NameIndex) -> None:
    try:
        variable = node.variable
    except Exception:
        return
    _tensor_facts(data, i, variable)
    name = index.tensor_name(variable)
    if name is not None:
        data.names[i] = name
        parent = module_of(name) if index.is_parameter(variable) else None
        if parent is not None:
            data.modules[i] = parent


def _tensor_facts(data: GraphData, i: int, tensor: torch.Tensor) -> None:
    try:
        data.shapes[i] = live.shape(tensor)
        data.dtypes[i] = live.dtype_name(live.dtype(tensor))
    except Exception:
        pass


def _check_saved(data: GraphData, i: int, node: Any, slots: tuple[tuple[str, str], ...]) -> None:
    """The fast path of :func:`_probe_saved`: unpack only to let torch check versions."""
    for slot, raw_slot in slots:
        try:
            if hooked(getattr(node, raw_slot)):
                data.flag(i, "hooked", "saved tensors have user hooks; not unpacked")
                continue
            getattr(node, slot)
        except RuntimeError as exc:
            _record_unpack_error(data, i, slot[len("_saved_"):], str(exc))
        except AttributeError:  # an optional saved tensor that is absent (None)
            continue


def _probe_saved(data: GraphData, i: int, node: Any, info: _TypeInfo, index: NameIndex,
                 keep: bool, pending: list[tuple[int, str, Any]]) -> None:
    """Unpack each saved tensor; torch raises on the in-place culprit and on freed buffers.

    A slot with a user ``unpack_hook`` (saved-tensor hooks, activation
    checkpointing) is not unpacked: that would run user code.
    """
    found: list[Saved] = []
    constants = data.constants.get(i, 0)
    for slot, value in _saved_values(data, i, node, info):
        if value is None or not live.is_tensor(value):
            continue
        if constants:
            name, named = index.base_name(value)
            if name is not None and not live.requires_grad(value):
                pending.append((i, name, named))
        if keep:
            found.append(_saved_facts(slot, value, index.tensor_name(value)))
    if keep and found:
        data.saved.setdefault(i, []).extend(found)


def _saved_values(data: GraphData, i: int, node: Any, info: _TypeInfo) -> list[tuple[str, Any]]:
    if info.custom:
        return _custom_saved(data, i, node)
    values: list[tuple[str, Any]] = []
    for slot, raw_slot in info.slots:
        try:
            raw = getattr(node, raw_slot)
        except Exception:
            continue
        if raw is None:
            continue
        if hooked(raw):
            data.flag(i, "hooked", "saved tensors have user hooks; not unpacked")
            continue
        name = slot[len("_saved_"):]
        try:
            value = getattr(node, slot)
        except RuntimeError as exc:
            _record_unpack_error(data, i, name, str(exc))
            continue
        if type(value) in (list, tuple):  # e.g. IndexBackward0's indices
            values.extend((f"{name}[{k}]", item) for k, item in enumerate(value))
        else:
            values.append((name, value))
    return values


def _custom_saved(data: GraphData, i: int, node: Any) -> list[tuple[str, Any]]:
    base = torch._C._FunctionBase
    try:
        raws = base._raw_saved_tensors.__get__(node)
        if any(raw.unpack_hook is not None for raw in raws):
            data.flag(i, "hooked", "saved tensors have user hooks; not unpacked")
            return []
        values = base.saved_tensors.__get__(node)
    except RuntimeError as exc:
        _record_unpack_error(data, i, "saved_tensors", str(exc))
        return []
    except Exception:
        return []
    return [(f"saved_tensors[{k}]", v) for k, v in enumerate(values)]


def _record_unpack_error(data: GraphData, i: int, slot: str, message: str) -> None:
    if _INPLACE in message:
        match = _VERSIONS.search(message)
        if match:
            now, expected = int(match.group(1)), int(match.group(2))
            note = f"saved {slot} was modified in place: version {now}, saved at {expected}"
        else:
            now = expected = None
            note = f"saved {slot} was modified in place"
        data.flag(i, "inplace-modified", note)
        data.saved.setdefault(i, []).append(Saved(slot, version=now, expected=expected, problem="modified in place"))
    elif _FREED in message:
        data.flag(i, "freed", "saved tensors were freed by an earlier backward()")


def _saved_facts(slot: str, value: torch.Tensor, name: str | None) -> Saved:
    try:
        return Saved(slot, live.shape(value), live.dtype_name(live.dtype(value)), live.version(value),
                     name=name)
    except Exception:
        return Saved(slot, name=name)


def _add_constant(data: GraphData, i: int, name: str, value: Any, index: NameIndex,
                  facts: dict[int, tuple[Any, Any]] | None = None) -> None:
    """Give a node to an input that did not require grad, when the namespace names it.

    ``facts`` caches shape and dtype by ``id(value)`` across calls of one walk.
    """
    if not data.constants.get(i):
        return
    for j in data.inputs[i]:
        if data.kinds[j] == "input" and data.names.get(j) == name:
            return
    j = data.add_node("", "input")
    data.names[j] = name
    if facts is None:
        _tensor_facts(data, j, value)
    else:
        known = facts.get(id(value))
        if known is None:
            _tensor_facts(data, j, value)
            known = facts[id(value)] = (data.shapes.get(j), data.dtypes.get(j))
        else:
            if known[0] is not None:
                data.shapes[j] = known[0]
            if known[1] is not None:
                data.dtypes[j] = known[1]
    data.inputs[i].append(j)
    data.constants[i] -= 1
    if not data.constants[i]:
        del data.constants[i]
    if index.is_parameter(value):
        # A parameter of a module that does not require grad: frozen, maybe by mistake.
        data.modules[j] = module_of(name) or ""
        data.flag(j, "no-grad", f"{name} has requires_grad=False: no gradient flows into it")


def _guess_frozen(data: GraphData, index: NameIndex) -> None:
    """Frozen parameters are not saved (no gradient needs them), so the saved
    tensors cannot name them; an op that takes other parameters of a module
    with frozen parameters, and has inputs without grad, most likely takes those."""
    for i, count in list(data.constants.items()):
        modules = {data.modules.get(j) for j in data.inputs[i] if data.kinds[j] == "leaf"}
        for module in sorted(m for m in modules if m is not None):
            for name, param in index.frozen.get(module, ()):
                if data.constants.get(i):
                    _add_constant(data, i, name, param, index)


def _describe_gradless(data: GraphData, tensor: torch.Tensor) -> None:
    """A tensor with no ``grad_fn``: a single node saying why there is no graph."""
    wants_grad = live.requires_grad(tensor)
    node = data.add_node("AccumulateGrad" if wants_grad else "", "leaf" if wants_grad else "input")
    _tensor_facts(data, node, tensor)
    if data.output_name:
        data.names[node] = data.output_name
    if not wants_grad:
        what = data.output_name or "the tensor"
        data.flag(node, "no-grad-fn", f"{what} has no grad_fn and requires_grad=False: the graph ends here")


def _name_output(data: GraphData, tensor: torch.Tensor) -> None:
    root = data.root
    if data.output_name:
        data.names[root] = data.output_name
    _tensor_facts(data, root, tensor)
