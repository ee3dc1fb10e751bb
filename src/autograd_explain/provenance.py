"""Follow a value back through the user's statements to where grad was lost.

The user's code is never run. Each expression is evaluated *abstractly* over a
small lattice (:class:`Value`: tensor / number / array / module, does it carry
a graph, and the first :class:`Cut` on its provenance). Names resolve to their
last binding before the use (in execution order, across cells); when that
binding is still the live value of the name, the live object's facts win over
inference. The earliest cut on the chain is what the user must change.
"""

from __future__ import annotations

import ast
import types
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from . import live
from .source import UNDECIDED, Definition, Stmt, Timeline, dotted_name, grad_mode_of_call, keyed_entry

#: methods that return a tensor without a graph (the op is not differentiable).
NON_DIFFERENTIABLE_METHODS = frozenset({
    "argmax", "argmin", "argsort", "eq", "ne", "gt", "lt", "ge", "le", "greater", "less",
    "greater_equal", "less_equal", "not_equal", "long", "int", "bool", "short", "byte", "char",
    "nonzero", "isnan", "isinf", "isfinite", "isclose", "logical_and", "logical_or",
    "logical_not", "logical_xor", "bincount", "unique", "any", "all", "signbit",
    "count_nonzero", "searchsorted", "bucketize", "equal", "zeros_like", "ones_like",
    "empty_like", "full_like", "rand_like", "randn_like", "randint_like", "multinomial",
    "bernoulli", "histc", "where_condition",
})
INTEGER_DTYPES = frozenset({
    "long", "int", "int64", "int32", "int16", "int8", "uint8", "bool", "short",
    "LongTensor", "IntTensor", "BoolTensor", "ByteTensor", "ShortTensor", "CharTensor",
})
#: functions that build a new leaf tensor from data (dropping any graph).
REWRAP_FUNCTIONS = frozenset({
    "tensor", "Tensor", "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
    "as_tensor", "from_numpy", "asarray", "scalar_tensor",
})
#: functions that make a new tensor from sizes (a leaf; it requires grad only if asked to).
CREATION_FUNCTIONS = frozenset({
    "randn", "rand", "zeros", "ones", "empty", "full", "eye", "arange", "linspace", "logspace",
    "randint", "randperm", "normal",
})
PROPAGATING_ATTRIBUTES = frozenset({"T", "mT", "H", "mH", "real", "imag", "values"})
INDEX_RESULT_METHODS = frozenset({"max", "min", "sort", "topk", "mode", "median", "kthvalue", "cummax", "cummin"})
PYTHON_NUMBER_BUILTINS = frozenset({"float", "int", "bool", "complex", "round", "abs", "sum", "max", "min"})
# Reads of a tensor's metadata: plain numbers (or objects) that never carried its graph,
# as in `loss_sum / x.shape[0]` or `/ len(batch)`.
METADATA_ATTRIBUTES = frozenset({"shape", "ndim", "dtype", "device", "is_leaf", "requires_grad",
                                 "is_cuda", "layout", "_version"})
METADATA_METHODS = frozenset({"size", "dim", "ndimension", "numel", "nelement", "element_size",
                              "stride", "get_device", "is_contiguous", "data_ptr", "storage_offset",
                              "is_floating_point", "is_complex"})
METADATA_BUILTINS = frozenset({"len", "isinstance", "id", "type", "hasattr", "callable", "range"})


@dataclass(frozen=True)
class Cut:
    """Where a value that carried a graph lost it.

    ``cause`` uses the ``no-grad-fn`` vocabulary of the contract; ``op`` is the
    spelling that did it (``argmax``, ``detach``, ``.data``, ``no_grad``...);
    ``upstream`` names a variable that still had a graph just before.
    ``variable`` is filled in when the cut is bound to a name.
    """

    stmt: Stmt
    cause: str
    op: str
    upstream: str | None = None
    variable: str | None = None


@dataclass(frozen=True)
class Value:
    """An abstract value: what a name or expression is, as far as grad goes."""

    kind: str = "unknown"  # tensor | number | array | module | other | unknown
    grad: bool | None = None  # carries a graph (requires_grad)
    cut: Cut | None = None  # first place on the provenance where grad was lost
    conversion: Cut | None = None  # first place a tensor became a Python number / array
    source: str | None = None  # nearest variable upstream that carried a graph
    leaves: tuple[str, ...] = ()  # root tensors without grad the value came from
    frozen: tuple[str, ...] = ()  # modules called whose parameters are all frozen
    other_cuts: tuple[Cut, ...] = ()  # further cuts on other inputs (the first is ``cut``)

    @property
    def lost_grad(self) -> bool:
        return self.grad is False and self.cut is not None


UNKNOWN = Value()


def _merge(values: list[Value], kind: str | None = None) -> Value:
    """The value of an op over ``values`` that keeps a graph when any input has one."""
    grads = [v.grad for v in values]
    grad = True if any(g is True for g in grads) else (False if grads and all(g is False for g in grads) else None)
    kinds = {v.kind for v in values}
    if kind is None:
        kind = "tensor" if "tensor" in kinds else ("array" if "array" in kinds else
                                                   ("number" if kinds == {"number"} else "unknown"))
    cuts: list[Cut] = []
    if not grad:
        for cut in (c for v in values for c in (v.cut, *v.other_cuts) if c is not None):
            if not any(cut is seen for seen in cuts):
                cuts.append(cut)
    return Value(
        kind=kind,
        grad=grad,
        cut=cuts[0] if cuts else None,
        other_cuts=tuple(cuts[1:5]),
        conversion=next((v.conversion for v in values if v.conversion), None),
        source=next((v.source for v in values if v.grad and v.source), None),
        leaves=tuple(dict.fromkeys(leaf for v in values for leaf in v.leaves)),
        frozen=tuple(dict.fromkeys(m for v in values for m in v.frozen)),
    )


def _merge_paths(values: list[Value]) -> Value:
    """Values of alternative paths (a function's returns, ``a if c else b``): only one ran.

    When one path cuts the graph and another keeps it, which one ran is not
    known from the code: the result's grad is unknown and the cut is kept, so
    that a live value without grad points at it and one with grad clears it.
    """
    merged = _merge(values)
    cut = next((v.cut for v in values if v.cut is not None), None)
    if merged.grad and cut is not None:
        return replace(merged, grad=None, cut=cut)
    return merged


@dataclass
class Scope:
    """Live namespaces visible from a scope (function locals, then globals)."""

    namespaces: tuple[Mapping[str, Any], ...]


class Provenance:
    """Abstract evaluation of the user's expressions over a :class:`Timeline`.

    Args:
        timeline: the executed statements.
        namespaces_for: returns the live namespaces for a scope (``None`` is
            module level); a function scope without a live frame gets ``()``.
        grad_enabled_now: the current global grad mode (read once, not changed).
    """

    def __init__(self, timeline: Timeline, namespaces_for: Callable[[str | None], tuple[Mapping[str, Any], ...]],
                 grad_enabled_now: bool = True) -> None:
        self.timeline = timeline
        self.namespaces_for = namespaces_for
        self.grad_enabled_now = grad_enabled_now
        self._memo: dict[int, Value] = {}
        self._active: set[int] = set()
        self._bindings: list[dict[str, Value]] = []
        # comprehension variables in scope while a comprehension's element is evaluated
        self._comprehension_names: list[dict[str, Value]] = []
        self.depth_limit = 60
        self.raising_index: int | None = None
        #: scope of a function on the traceback -> the statement of the frame that called it
        self.call_site_of: Callable[[str], Stmt | None] = lambda scope: None
        self._loaded_files: set[str] = set()

    # -- names ----------------------------------------------------------------
    def live_value(self, name: str, scope: str | None) -> Any:
        """The live object bound to ``name`` (dotted names read attributes statically)."""
        head, *rest = name.split(".")
        obj = live.MISSING
        if self._bindings and scope == self._bindings[-1].get("__scope__"):
            obj = self._bindings[-1].get("__live__", {}).get(head, live.MISSING)
        if obj is live.MISSING:
            obj = live.lookup(self.namespaces_for(scope), head)
        if obj is live.MISSING and scope is not None:
            obj = live.lookup(self.namespaces_for(None), head)
        for attribute in rest:
            if obj is live.MISSING:
                break
            obj = live.static_attribute(obj, attribute)
        return obj

    def live_local(self, name: str, scope: str | None) -> Any:
        """The live value of a plain name in ``scope``'s own namespace (no global fallback),
        for deciding which side of an ``if`` ran; ``UNDECIDED`` when there is none."""
        if self._bindings and scope == self._bindings[-1].get("__scope__"):
            return UNDECIDED  # a call being followed in the abstract: its frame is not the live one
        obj = live.lookup(self.namespaces_for(scope), name)
        return UNDECIDED if obj is live.MISSING else obj

    def value_of_name(self, name: str, stmt: Stmt, scope: str | None = None) -> Value:
        scope = stmt.scope if scope is None else scope
        definition = self.timeline.definition_before(name, scope, stmt.index, self.live_local)
        if self._bindings and scope == self._bindings[-1].get("__scope__") and name in self._bindings[-1] \
                and (definition is None or definition.parameter):
            return self._bindings[-1][name]
        if definition is None and scope is not None:
            # A global read from a function body: the global as last bound.
            definitions = self.timeline.definitions(name, None)
            definition = definitions[-1] if definitions else None
            scope = None
        if definition is None:
            return self._from_live(name, self.live_value(name, scope), None)
        if definition.parameter and not self._bindings:
            passed = self._argument_at_call_site(definition)
            if passed is not None:
                return passed
            local = live.lookup(self.namespaces_for(scope), name)
            if local is live.MISSING:
                return UNKNOWN  # a parameter of a call not on the traceback (not the global of that name)
            return self._from_live(name, local, None)
        value = self.value_of_definition(definition)
        if value.grad and value.kind == "tensor" and self.timeline.grad_enabled_later(
                name, definition.scope, stmt.index, self._horizon()) is not None:
            # `x.requires_grad = True` ran only after this use: here x had no grad yet.
            return Value(kind="tensor", grad=False, leaves=(name,))
        return value

    def _argument_at_call_site(self, definition: Definition) -> Value | None:
        """A parameter of a function on the traceback: the caller's argument, evaluated there.

        ``def train_step(pred, target)`` called as ``train_step(pred_cpu, y)``:
        ``pred`` is whatever ``pred_cpu`` was, cut and all.
        """
        function = definition.stmt.node
        scope = definition.stmt.inner_scope
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or scope is None:
            return None
        site = self.call_site_of(scope)
        if site is None:
            return None
        parameters = [a.arg for a in function.args.posonlyargs + function.args.args]
        if definition.name not in parameters:
            return None
        position = parameters.index(definition.name)
        for call in (c for c in ast.walk(site.node) if isinstance(c, ast.Call)):
            called = dotted_name(call.func) or ""
            last = called.rsplit(".", 1)[-1]
            if last == function.name:
                offset = 1 if parameters[:1] == ["self"] and "." in called else 0
            elif function.name == "forward" and parameters[:1] == ["self"] and called \
                    and live.is_module(self.live_value(called, site.scope)):
                offset = 1  # model(x) runs forward(self, x)
            else:
                continue
            keyword = next((k.value for k in call.keywords if k.arg == definition.name), None)
            index = position - offset
            argument = keyword if keyword is not None else (
                call.args[index] if 0 <= index < len(call.args) and not any(
                    isinstance(a, ast.Starred) for a in call.args[:index + 1]) else None)
            if argument is None:
                return None
            value = self.evaluate(argument, site)
            return value if value.cut is not None or value.conversion is not None else None
        return None

    def _horizon(self) -> int:
        """Statements after this index ran after the error (the raising statement's index)."""
        return self.raising_index if self.raising_index is not None else len(self.timeline.stmts)

    def value_of_definition(self, definition: Definition) -> Value:
        key = id(definition)
        if key in self._memo and not self._bindings:
            return self._memo[key]
        if key in self._active or len(self._active) > self.depth_limit:
            return UNKNOWN
        self._active.add(key)
        try:
            value = self._evaluate_definition(definition)
        finally:
            self._active.discard(key)
        if not self._bindings:
            self._memo[key] = value
        return value

    def _evaluate_definition(self, definition: Definition) -> Value:
        stmt = definition.stmt
        inferred = UNKNOWN
        if definition.value is None and isinstance(stmt.node, (ast.For, ast.AsyncFor)):
            loop = stmt.node
            evaluate = lambda expr: self.evaluate(expr, stmt)  # noqa: E731
            inferred = _loop_target_values(loop.target, loop.iter, evaluate(loop.iter), evaluate).get(
                definition.name, UNKNOWN)
        if definition.value is not None:
            inferred = self.evaluate(definition.value, stmt)
            if definition.position == 1 and _returns_indices(definition.value):
                # `_, pred = output.max(1)`: the second result holds indices.
                method = definition.value.func.attr  # type: ignore[attr-defined]
                inferred = self._cut_if_grad(inferred, stmt, "non_differentiable_op", f"{method}(...) indices")
            if definition.augmented:
                previous = self.value_of_name(definition.name, stmt)
                inferred = _merge([previous, inferred])
            inferred = self._apply_grad_mode(inferred, stmt)
        live_object = live.MISSING
        if self.timeline.is_latest(definition) and not self._bindings:
            live_object = self.live_value(definition.name, definition.scope)
        value = self._from_live(definition.name, live_object, inferred, stmt)
        if value.kind == "tensor" and value.grad is False and value.cut is None and not value.leaves \
                and value.conversion is None and live_object is live.MISSING:
            value = replace(value, leaves=(definition.name,))  # `W = torch.randn(3, 1)`: a leaf without grad
        if value.cut is not None and value.cut.variable is None and (
                value.cut.stmt is stmt or (isinstance(value.cut.stmt.node, ast.Return)
                                           and not _cuts_a_name(value.cut))):
            # (a cut in a function's `return` is named by the caller's variable that got it,
            # unless it is spelled on a variable there: `return X @ w.data` names w)
            value = replace(value, cut=replace(value.cut, variable=definition.name))
        if any(c.stmt is stmt and c.variable is None for c in value.other_cuts):
            value = replace(value, other_cuts=tuple(replace(c, variable=definition.name)
                                                    if c.stmt is stmt and c.variable is None else c
                                                    for c in value.other_cuts))
        if value.conversion is not None and value.conversion.stmt is stmt and value.conversion.variable is None:
            value = replace(value, conversion=replace(value.conversion, variable=definition.name))
        if value.grad and value.kind in ("tensor", "unknown"):
            value = replace(value, source=definition.name)
        return value

    def _apply_grad_mode(self, value: Value, stmt: Stmt) -> Value:
        mode = stmt.grad_mode
        if mode and value.grad and value.kind in ("tensor", "unknown"):
            cut = Cut(stmt, mode, mode, upstream=value.source)
            return replace(value, grad=False, cut=cut)
        return value

    def _from_live(self, name: str, obj: Any, inferred: Value | None, stmt: Stmt | None = None) -> Value:
        """Combine what the live object says with what the code implies."""
        base = inferred or UNKNOWN
        if obj is live.MISSING:
            return base
        if live.is_tensor(obj):
            has_graph = live.requires_grad(obj)
            if has_graph:
                return replace(base, kind="tensor", grad=True, cut=None, source=name)
            cut = base.cut
            if cut is None and base.grad and stmt is not None:
                cut = Cut(stmt, self._cause_from_live(obj, stmt), "live", upstream=base.source)
            leaves = base.leaves
            if cut is None and not base.leaves and _is_float(obj):
                leaves = (name,)
            return replace(base, kind="tensor", grad=False, cut=cut, leaves=leaves)
        if live.is_module(obj):
            return Value(kind="module", grad=live.module_requires_grad(obj), source=name)
        if type(obj) in (int, float, bool, complex):
            return replace(base, kind="number", grad=False)
        if live.type_module(obj).startswith("numpy"):
            return replace(base, kind="array", grad=False)
        return replace(base, kind="other" if base.kind == "unknown" else base.kind)

    def _cause_from_live(self, tensor: Any, stmt: Stmt) -> str:
        if live.is_inference(tensor):
            return "inference_mode"
        if stmt.maybe_grad_disabled:
            return "grad_disabled"
        if not self.grad_enabled_now:
            return "grad_disabled"
        return "unknown"

    # -- expressions ----------------------------------------------------------
    def evaluate(self, node: ast.expr, stmt: Stmt) -> Value:
        method = getattr(self, "_eval_" + type(node).__name__, None)
        if method is None:
            return UNKNOWN
        try:
            return method(node, stmt)
        except RecursionError:
            return UNKNOWN

    def _eval_Name(self, node: ast.Name, stmt: Stmt) -> Value:
        for names in reversed(self._comprehension_names):
            if node.id in names:
                return names[node.id]
        return self.value_of_name(node.id, stmt)

    def _eval_ListComp(self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp,
                       stmt: Stmt) -> Value:
        """``[l.item() for l in losses]``: the element, with each target an element of its iterable
        (for ``{k: v for ...}``, the value: an entry read later is one of them)."""
        names: dict[str, Value] = {}
        self._comprehension_names.append(names)
        try:
            for generator in node.generators:
                iterable = self.evaluate(generator.iter, stmt)
                names.update(_loop_target_values(generator.target, generator.iter, iterable,
                                                 lambda expr: self.evaluate(expr, stmt)))
            element = self.evaluate(node.value if isinstance(node, ast.DictComp) else node.elt, stmt)
        finally:
            self._comprehension_names.pop()
        return replace(element, kind="other") if element.kind != "unknown" else element

    _eval_GeneratorExp = _eval_ListComp
    _eval_SetComp = _eval_ListComp
    _eval_DictComp = _eval_ListComp

    def _eval_Constant(self, node: ast.Constant, stmt: Stmt) -> Value:
        kind = "number" if isinstance(node.value, (int, float, complex, bool)) else "other"
        return Value(kind=kind, grad=False)

    def _eval_BinOp(self, node: ast.BinOp, stmt: Stmt) -> Value:
        return _merge([self.evaluate(node.left, stmt), self.evaluate(node.right, stmt)])

    def _eval_UnaryOp(self, node: ast.UnaryOp, stmt: Stmt) -> Value:
        operand = self.evaluate(node.operand, stmt)
        if isinstance(node.op, ast.Not):
            return Value(kind="number", grad=False)
        return operand

    def _eval_BoolOp(self, node: ast.BoolOp, stmt: Stmt) -> Value:
        return _merge([self.evaluate(v, stmt) for v in node.values])

    def _eval_IfExp(self, node: ast.IfExp, stmt: Stmt) -> Value:
        return _merge_paths([self.evaluate(node.body, stmt), self.evaluate(node.orelse, stmt)])

    def _eval_Tuple(self, node: ast.Tuple, stmt: Stmt) -> Value:
        return _merge([self.evaluate(e, stmt) for e in node.elts], kind="other") if node.elts else UNKNOWN

    _eval_List = _eval_Tuple

    def _eval_Dict(self, node: ast.Dict, stmt: Stmt) -> Value:
        """``{'loss': loss.item(), ...}``: what its values are, merged (an entry read later is one of them)."""
        values = [self.evaluate(v, stmt) for v in node.values if v is not None]
        return _merge(values, kind="other") if values else UNKNOWN

    def _eval_Compare(self, node: ast.Compare, stmt: Stmt) -> Value:
        inputs = _merge([self.evaluate(node.left, stmt)] + [self.evaluate(c, stmt) for c in node.comparators])
        symbol = {ast.Gt: ">", ast.Lt: "<", ast.GtE: ">=", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}
        op = symbol.get(type(node.ops[0]), "comparison")
        return self._cut_if_grad(inputs, stmt, "non_differentiable_op", f"comparison ({op})")

    def _eval_Subscript(self, node: ast.Subscript, stmt: Stmt) -> Value:
        keyed = keyed_entry(node)
        if keyed is not None and self.timeline.definition_before(keyed, stmt.scope, stmt.index) is not None:
            return self.value_of_name(keyed, stmt)
        stored = self._stored_in_dict(node, stmt)
        if stored is not None:
            return stored
        base = self.evaluate(node.value, stmt)
        index = node.slice
        if isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute) \
                and node.value.func.attr in INDEX_RESULT_METHODS \
                and isinstance(index, ast.Constant) and index.value == 1:
            return self._cut_if_grad(base, stmt, "non_differentiable_op", f"{node.value.func.attr}(...)[1]")
        return base

    def _stored_in_dict(self, node: ast.Subscript, stmt: Stmt) -> Value | None:
        """``activation['fc1']`` of a live dict filled elsewhere with ``activation[name] = output.detach()``.

        The forward-hook idiom: the entries are written inside a function under
        a key only known at run time. The values those statements store are the
        candidates; where one of them cuts the graph, that cut is the answer.
        """
        owner = dotted_name(node.value)
        if not owner or "()" in owner or type(self.live_value(owner, stmt.scope)) is not dict:
            return None
        values = [self.evaluate(other.node.value, other)  # type: ignore[attr-defined]
                  for other in self.timeline.subscript_stores(owner) if other.index != stmt.index]
        if not values or not any(v.cut is not None for v in values):
            return None
        merged = _merge_paths(values)
        if merged.cut is not None and merged.cut.variable is None:
            merged = replace(merged, cut=replace(merged.cut, variable=ast.unparse(node)))
        return merged

    def _eval_Attribute(self, node: ast.Attribute, stmt: Stmt) -> Value:
        dotted = dotted_name(node)
        if dotted and "()" not in dotted and self._is_bound_attribute(dotted, stmt):
            return self.value_of_name(dotted, stmt)
        base = self.evaluate(node.value, stmt)
        if node.attr == "data":
            return self._cut_if_grad(base, stmt, "data_attribute", ".data")
        if node.attr == "indices":
            return self._cut_if_grad(base, stmt, "non_differentiable_op", ".indices")
        if node.attr == "grad":
            return Value(kind="tensor", grad=False)
        if node.attr in METADATA_ATTRIBUTES and base.kind in ("tensor", "unknown"):
            return Value(kind="other", grad=False)
        if node.attr in PROPAGATING_ATTRIBUTES:
            return base
        if dotted and "()" not in dotted:
            through_property = self._property_value(node, stmt)
            if through_property is not None:
                return through_property
            obj = self.live_value(dotted, stmt.scope)
            set_in_method = self._set_in_a_method(dotted, stmt)
            if obj is not live.MISSING:
                return self._from_live(dotted, obj, set_in_method)
            if set_in_method is not None:
                return set_in_method
        return base if base.kind == "tensor" else UNKNOWN

    def _property_value(self, node: ast.Attribute, stmt: Stmt) -> Value | None:
        """``probe.features`` where ``features`` is a property of the user's class: what its getter
        returns, evaluated from its source (the getter itself is never called)."""
        owner_name = dotted_name(node.value)
        if not owner_name or "()" in owner_name:
            return None
        owner = self.live_value(owner_name, stmt.scope)
        if owner is live.MISSING or issubclass(type(owner), type) or live.type_module(owner) == "builtins":
            return None
        prop = live.class_attribute(type(owner), node.attr)
        if type(prop) is not property:
            return None
        getter = property.__dict__["fget"].__get__(prop)
        definition = self._definition_of(getter) if type(getter) is types.FunctionType else None
        if definition is None:
            return None
        return self._user_function_call(definition, ast.Call(func=node, args=[], keywords=[]), [Value(kind="other")],
                                        {}, stmt, self_object=owner)

    def _set_in_a_method(self, dotted: str, stmt: Stmt) -> Value | None:
        """``net.cache`` where a method of ``net``'s class did ``self.cache = h.detach()``."""
        owner, attribute = dotted.rsplit(".", 1)
        obj = self.live_value(owner, stmt.scope)
        if obj is live.MISSING or live.is_tensor(obj) or live.type_module(obj) == "builtins":
            return None
        qualname = live.type_qualname(obj)
        if not isinstance(qualname, str):
            return None
        definitions = self.timeline.self_attribute_definitions(qualname, attribute)
        if not definitions:
            return None
        value = self.value_of_definition(definitions[-1])
        if value.cut is not None and value.cut.variable == f"self.{attribute}":
            value = replace(value, cut=replace(value.cut, variable=dotted))
        return value

    def _is_bound_attribute(self, dotted: str, stmt: Stmt) -> bool:
        if self.timeline.definition_before(dotted, stmt.scope, stmt.index) is not None:
            return True
        if stmt.scope is None:
            return False
        # an attribute of a global object, bound in other functions (`policy.saved_log_probs.append`)
        head = dotted.split(".", 1)[0]
        return not self.timeline.definitions(head, stmt.scope) and bool(self.timeline.definitions(dotted, None))

    def _eval_Call(self, node: ast.Call, stmt: Stmt) -> Value:
        args = [self.evaluate(a.value if isinstance(a, ast.Starred) else a, stmt) for a in node.args]
        kwargs = {k.arg: self.evaluate(k.value, stmt) for k in node.keywords if k.arg}
        func = node.func
        if isinstance(func, ast.Attribute):
            name = dotted_name(func) or ""
            if _is_namespace_call(name):
                return self._function_call(func.attr, name, node, args, kwargs, stmt)
            callee = self.live_value(name, stmt.scope) if name and "()" not in name else live.MISSING
            if live.is_module(callee):
                module = self._from_live(name, callee, None)
                return self._module_call(module, args + list(kwargs.values()), stmt, node, name=name, obj=callee)
            found = self._static_callable(func, stmt)
            if found is not None:
                definition, prepend = found
                return self._user_function_call(definition, node, prepend + args, kwargs, stmt)
            method = self._user_method(func, stmt)
            if method is not None:
                definition, owner = method
                owner_value = Value(kind="module" if live.is_module(owner) else "other",
                                    grad=live.module_requires_grad(owner) if live.is_module(owner) else None)
                return self._user_function_call(definition, node, [owner_value] + args, kwargs, stmt,
                                                self_object=owner)
            receiver = self.evaluate(func.value, stmt)
            return self._method_call(func.attr, receiver, node, args + list(kwargs.values()), stmt)
        if isinstance(func, ast.Name):
            return self._function_call(func.id, func.id, node, args, kwargs, stmt)
        return _merge(args + list(kwargs.values()))

    def _definition_of(self, function: Any) -> Stmt | None:
        """The ``def`` (in a cell, or a user file loaded for it) a live plain function runs."""
        code = live.code_of(function)
        qualname = getattr(code, "co_qualname", None)
        if code is None or not isinstance(qualname, str) or "<locals>" in qualname:
            return None
        definition = self.timeline.function(qualname, code=code)
        if definition is None and self._load_source_of(function):
            definition = self.timeline.function(qualname, code=code)
        return definition

    def _static_callable(self, func: ast.Attribute, stmt: Stmt) -> tuple[Stmt, list[Value]] | None:
        """``mod.helper(...)`` (a function of an imported user module), ``Loss.compute(...)`` (a
        static or class method of a user class): its ``def`` and the values bound before the
        call's own arguments (``cls``)."""
        owner_name = dotted_name(func.value)
        if not owner_name or "()" in owner_name:
            return None
        owner = self.live_value(owner_name, stmt.scope)
        if issubclass(type(owner), types.ModuleType):
            function = live.instance_dict(owner).get(func.attr)
            prepend: list[Value] = []
        elif issubclass(type(owner), type) and live.class_module(owner) not in ("builtins", ""):
            function = live.class_attribute(owner, func.attr)
            prepend = []
            if type(function) is classmethod:
                prepend = [Value(kind="other")]
            if type(function) in (staticmethod, classmethod):
                function = type(function).__dict__["__func__"].__get__(function)
        else:
            return None
        if type(function) is not types.FunctionType:
            return None
        definition = self._definition_of(function)
        return (definition, prepend) if definition is not None else None

    def _instance_call(self, obj: Any) -> Stmt | None:
        """``scorer(x)`` where ``scorer`` is an instance of a user class with ``__call__``."""
        if obj is live.MISSING or live.is_tensor(obj) or issubclass(type(obj), (type, types.ModuleType)) \
                or type(obj) in (types.FunctionType, types.BuiltinFunctionType, types.MethodType):
            return None
        module = live.type_module(obj)
        if module == "builtins" or module.split(".")[0] in ("torch", "numpy"):
            return None
        function = live.class_attribute(type(obj), "__call__")
        return self._definition_of(function) if type(function) is types.FunctionType else None

    def _user_method(self, func: ast.Attribute, stmt: Stmt) -> tuple[Stmt, Any] | None:
        """``obj.method`` where ``obj`` is a live instance of a class the user defined (a plain
        method, found through the class and its bases statically): its ``def`` and ``obj``."""
        owner_name = dotted_name(func.value)
        if not owner_name or "()" in owner_name:
            return None
        owner = self.live_value(owner_name, stmt.scope)
        if owner is live.MISSING or live.is_tensor(owner) or issubclass(type(owner), type):
            return None
        module = type.__dict__["__dict__"].__get__(type(owner)).get("__module__")
        if type(module) is not str or module == "builtins" or module.split(".")[0] == "torch":
            return None
        code = live.code_of(live.class_attribute(type(owner), func.attr))
        qualname = getattr(code, "co_qualname", None)
        if code is None or not isinstance(qualname, str) or "<locals>" in qualname:
            return None
        definition = self.timeline.function(qualname, code=code)
        if definition is None:
            return None
        return definition, owner

    def _cut_if_grad(self, value: Value, stmt: Stmt, cause: str, op: str, kind: str = "tensor") -> Value:
        if value.grad or (value.grad is None and value.kind == "unknown" and stmt.scope is not None
                          and not value.leaves and value.cut is None):
            # Inside a method whose inputs are unknown (`self.cache = h.detach()` in a
            # forward not on the traceback), an explicit cut is still the likely one;
            # live values overrule it wherever they exist.
            cut = Cut(stmt, cause, op, upstream=value.source)
            return Value(kind=kind, grad=False, cut=cut, conversion=value.conversion, leaves=value.leaves,
                         other_cuts=value.other_cuts)
        return replace(value, kind=kind, grad=False if value.grad is False or value.cut else value.grad)

    def _convert(self, value: Value, stmt: Stmt, cause: str, op: str, kind: str) -> Value:
        """A tensor turned into a Python number or an array."""
        result = self._cut_if_grad(value, stmt, cause, op, kind=kind)
        cut = value.cut
        if cut is not None and cut.stmt is stmt and cut.variable is None and cut.cause in ("detach", "data_attribute"):
            # `x.detach().numpy()` / `y.detach().item()`: the detach only made the
            # conversion possible; leaving the graph through NumPy or a number is the cause.
            result = replace(result, cut=replace(cut, cause=cause, op=f"{cut.op}{op}"))
        if value.kind in ("tensor", "unknown") and value.conversion is None:
            result = replace(result, conversion=Cut(stmt, op.strip(".()"), op, upstream=value.source))
        return replace(result, grad=False)

    def _method_call(self, method: str, receiver: Value, node: ast.Call, args: list[Value], stmt: Stmt) -> Value:
        if method in METADATA_METHODS and receiver.kind in ("tensor", "unknown"):
            return Value(kind="number", grad=False)
        if method in ("detach", "detach_"):
            return self._cut_if_grad(receiver, stmt, "detach", f".{method}()")
        if method in ("item", "tolist"):
            return self._convert(receiver, stmt, "item", f".{method}()", "number")
        if method == "numpy":
            return self._convert(receiver, stmt, "numpy_roundtrip", ".numpy()", "array")
        if method in NON_DIFFERENTIABLE_METHODS:
            return self._cut_if_grad(_merge([receiver] + args), stmt, "non_differentiable_op", method)
        if method in ("type", "to") and _integer_dtype_argument(node):
            return self._cut_if_grad(receiver, stmt, "non_differentiable_op", f".{method}({_dtype_text(node)})")
        if method == "requires_grad_":
            return replace(receiver, grad=True, cut=None)
        if method in ("parameters", "named_parameters") and receiver.kind == "module":
            # the module's parameters: they carry grad exactly when the module does
            return Value(kind="other", grad=receiver.grad, frozen=receiver.frozen)
        if receiver.kind in ("tensor", "unknown", "array", "number"):
            return _merge([receiver] + args)
        return _merge(args) if args else UNKNOWN

    def _function_call(self, short: str, full: str, node: ast.Call, args: list[Value],
                       kwargs: dict[str | None, Value], stmt: Stmt) -> Value:
        everything = args + list(kwargs.values())
        if full.startswith(("torch.", "np.", "numpy.")) or full in ("tensor",):
            if short in REWRAP_FUNCTIONS:
                return self._rewrap(args, stmt, short)
            if short in CREATION_FUNCTIONS and full.count(".") == 1:
                return Value(kind="tensor", grad=_asks_for_grad(node))
            if short in NON_DIFFERENTIABLE_METHODS or (short == "where" and len(node.args) == 1):
                return self._cut_if_grad(_merge(everything), stmt, "non_differentiable_op", f"torch.{short}")
            if full.startswith(("np.", "numpy.")):
                merged = _merge(everything)
                return self._convert(merged, stmt, "numpy_roundtrip", full + "()", "array")
            return _merge(everything)
        if full.startswith("math."):
            return self._convert(_merge(everything), stmt, "item", full + "()", "number")
        if full in METADATA_BUILTINS and self.live_value(short, stmt.scope) is live.MISSING:
            return Value(kind="number", grad=False)
        if short in PYTHON_NUMBER_BUILTINS and all(isinstance(a, ast.Constant) for a in node.args) \
                and not node.keywords:
            return Value(kind="number", grad=False)  # float('inf'), int(3): no tensor involved
        if short in PYTHON_NUMBER_BUILTINS and self.live_value(short, stmt.scope) is live.MISSING:
            merged = _merge(everything)
            if short in ("sum", "max", "min") and merged.kind == "tensor":
                return merged
            return self._convert(merged, stmt, "item", f"{short}()", "number")
        callee = self.live_value(full, stmt.scope) if "()" not in full else live.MISSING
        if live.is_module(callee):
            return self._module_call(self._from_live(full, callee, None), everything, stmt, node, name=full,
                                     obj=callee)
        if _is_functional_call(callee) and len(args) >= 2:
            # functional_call(model, weights, inputs): the weights given, not the module's own
            return _merge(args[1:])
        called = self._instance_call(callee)
        if called is not None:
            return self._user_function_call(called, node, [Value(kind="other")] + args, kwargs, stmt,
                                            self_object=callee)
        code = live.code_of(callee)
        # A top-level call ran the version defined before it; deeper down, the live one.
        before = stmt.index if stmt.scope is None else None
        defined = self.timeline.function(full, before=before, code=code)
        if defined is None and type(callee) is types.FunctionType:
            # `net = linreg` then `net(X, w, b)`: the function bound to the alias, by its own name
            qualname = types.FunctionType.__dict__["__qualname__"].__get__(callee)
            if type(qualname) is str:
                defined = self.timeline.function(qualname, code=code)
                if defined is None and self._load_source_of(callee):
                    defined = self.timeline.function(qualname, code=code)
        if defined is not None:
            return self._user_function_call(defined, node, args, kwargs, stmt)
        return _merge(everything)

    def _rewrap(self, args: list[Value], stmt: Stmt, function: str) -> Value:
        data = _merge(args) if args else UNKNOWN
        if data.cut is not None or data.conversion is not None:
            return Value(kind="tensor", grad=False, cut=data.cut, conversion=data.conversion, leaves=data.leaves,
                         other_cuts=data.other_cuts)
        if data.grad:
            return Value(kind="tensor", grad=False, cut=Cut(stmt, "tensor_rewrap", f"torch.{function}(...)", data.source))
        return Value(kind="tensor", grad=False, leaves=data.leaves)

    def _module_call(self, module: Value, args: list[Value], stmt: Stmt, node: ast.Call,
                     name: str | None = None, obj: Any = live.MISSING) -> Value:
        inputs = _merge(args) if args else Value(kind="tensor", grad=False)
        inside = self._forward_of(obj, args, node, stmt)
        if inside is not None and inside.cut is not None and inside.cut.stmt.scope != stmt.scope \
                and not (inside.cut.cause == "frozen_parameters" and module.grad is False):
            return inside  # the graph was cut inside the module's forward
        # (a frozen submodule of a module frozen as a whole: the whole one is named below)
        if module.grad is True:
            return replace(inputs, kind="tensor", grad=True, cut=None, source=inputs.source or name)
        if module.grad is False and not inputs.grad:
            module_name = name or module.source or "model"
            cut = inputs.cut or Cut(stmt, "frozen_parameters", module_name, upstream=None, variable=None)
            return replace(inputs, kind="tensor", grad=False, cut=cut,
                           frozen=inputs.frozen + (module_name,))
        return replace(inputs, kind="tensor")

    def _load_source_of(self, obj: Any) -> bool:
        """Add the user's own file that defines ``obj`` (a class or function) to the timeline.

        Only files outside Python, torch and site-packages; read from
        ``linecache``/disk, never imported or run.
        """
        from .context import is_user_file
        from .source import unit_from_linecache

        filename = _defining_file(obj)
        if not filename or not is_user_file(filename) or filename in self._loaded_files:
            return False
        self._loaded_files.add(filename)
        if any(unit.filename == filename for unit in self.timeline.units):
            return False
        unit = unit_from_linecache(filename)
        if unit is None:
            return False
        self.timeline.add_unit(unit, top_scope=f"<file {filename}>")
        return True

    def _forward_of(self, module: Any, args: list[Value], node: ast.Call, stmt: Stmt) -> Value | None:
        """Evaluate the ``forward`` of a module whose class was defined in the user's code."""
        if not live.is_module(module):
            return None
        qualname = live.type_qualname(module) or ""
        # The class may have been redefined since this module was made: run its own forward.
        code = live.code_of(live.class_attribute(type(module), "forward"))
        definition = self.timeline.function(f"{qualname}.forward", code=code)
        if definition is None and self._load_source_of(type(module)):
            definition = self.timeline.function(f"{qualname}.forward", code=code)
        if definition is None:
            return None
        self_value = Value(kind="module", grad=live.module_requires_grad(module))
        return self._user_function_call(definition, node, [self_value] + args, {}, stmt, self_object=module)

    def _user_function_call(self, definition: Stmt, node: ast.Call, args: list[Value],
                            kwargs: dict[str | None, Value], stmt: Stmt, self_object: Any = live.MISSING) -> Value:
        function = definition.node
        assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        inputs = _merge(args + list(kwargs.values())) if (args or kwargs) else UNKNOWN
        for decorator in function.decorator_list:
            mode = grad_mode_of_call(decorator)
            if mode in ("no_grad", "inference_mode") and inputs.grad:
                return Value(kind="tensor", grad=False,
                             cut=Cut(stmt, mode, f"@torch.{mode}() on {function.name}", inputs.source))
        if len(self._bindings) >= 4:
            return inputs
        names = [a.arg for a in function.args.posonlyargs + function.args.args]
        binding: dict[str, Any] = {"__scope__": definition.inner_scope}
        if self_object is not live.MISSING and names:
            binding["__live__"] = {names[0]: self_object}
        for parameter, value in zip(names, args):
            binding[parameter] = value
        for key, value in kwargs.items():
            if key:
                binding[key] = value
        self._bindings.append(binding)
        try:
            returns = [self.evaluate(r.value, s) for s in self.timeline.body(definition)
                       if isinstance(r := s.node, ast.Return) and r.value is not None]
        finally:
            self._bindings.pop()
        # A cut found inside the body keeps its own statement: that is the line to blame.
        return _merge_paths(returns) if returns else inputs


def _is_functional_call(callee: Any) -> bool:
    """``torch.func.functional_call`` (or its older ``torch.nn.utils.stateless`` spelling)."""
    try:
        import torch.func
        import torch.nn.utils.stateless as stateless
    except Exception:
        return False
    return callee is torch.func.functional_call or callee is getattr(stateless, "functional_call", None)


def _defining_file(obj: Any) -> str | None:
    """The source file of a user function or class, read without running user code."""
    import sys

    # type() checks, not isinstance(): that may call a user __class__ property
    if type(obj) is types.FunctionType:
        code = types.FunctionType.__code__.__get__(obj)  # type: ignore[attr-defined]
        return code.co_filename
    if issubclass(type(obj), type):
        name = type.__dict__["__dict__"].__get__(obj).get("__module__", "")  # type: ignore[index]
        module = sys.modules.get(name) if type(name) is str else None
        found = live.instance_dict(module).get("__file__") if module is not None else None
        return found if type(found) is str else None
    return None


def _cuts_a_name(cut: Cut) -> bool:
    """Whether the cut is spelled directly on a variable (``w.data``, ``h.detach()``) in its statement."""
    if not cut.upstream:
        return False
    for node in ast.walk(cut.stmt.node):
        if isinstance(node, ast.Attribute) and node.attr in ("data", "detach") \
                and isinstance(node.value, ast.Name) and node.value.id == cut.upstream:
            return True
    return False


def _asks_for_grad(call: ast.Call) -> bool:
    return any(k.arg == "requires_grad" and isinstance(k.value, ast.Constant) and k.value.value is True
               for k in call.keywords)


def _loop_target_values(target: ast.expr, iterable_node: ast.expr, iterable: Value,
                        evaluate: Callable[[ast.expr], Value]) -> dict[str, Value]:
    """Values of the names a ``for`` target binds: an element shares its container's grad.

    ``zip(a, b)`` and ``enumerate(a)`` are taken apart so that each name gets
    its own iterable (and the index a plain number).
    """
    from .source import target_names

    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(iterable_node, ast.Call) \
            and isinstance(iterable_node.func, ast.Name) and not iterable_node.keywords:
        function, args = iterable_node.func.id, iterable_node.args
        if function == "zip" and len(args) == len(target.elts):
            values: dict[str, Value] = {}
            for element, arg in zip(target.elts, args):
                values.update(_loop_target_values(element, arg, evaluate(arg), evaluate))
            return values
        if function == "enumerate" and args and len(target.elts) == 2:
            values = {name: Value(kind="number", grad=False) for name in target_names(target.elts[0])}
            values.update(_loop_target_values(target.elts[1], args[0], evaluate(args[0]), evaluate))
            return values
    element = replace(iterable, kind="unknown") if iterable.kind in ("other", "module") else iterable
    return {name: element for name in target_names(target)}


def _returns_indices(value: ast.expr) -> bool:
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
        and value.func.attr in INDEX_RESULT_METHODS


def _is_namespace_call(name: str) -> bool:
    return "()" not in name and name.startswith(("torch.", "np.", "numpy.", "math.", "F.", "nn.functional."))


def _integer_dtype_argument(node: ast.Call) -> bool:
    for arg in list(node.args) + [k.value for k in node.keywords if k.arg == "dtype"]:
        spelled = dotted_name(arg) or (arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else "")
        if spelled and spelled.rsplit(".", 1)[-1] in INTEGER_DTYPES:
            return True
    return False


def _dtype_text(node: ast.Call) -> str:
    for arg in list(node.args) + [k.value for k in node.keywords if k.arg == "dtype"]:
        spelled = dotted_name(arg)
        if spelled:
            return spelled
    return "..."


def _is_float(tensor: Any) -> bool:
    try:
        return bool(live.dtype(tensor).is_floating_point or live.dtype(tensor).is_complex)
    except Exception:
        return False
