"""``grad can be implicitly created only for scalar outputs``.

Names the tensor and its shape, and tells an output left unreduced from a loss
built with ``reduction="none"`` and from a complex output.

The line to change is where the non-scalar value was *made*, found by
following the differentiated expression back through the user's code
(:class:`_Tracer`): through aliases, entries of dicts and tuples a function
returned (``outputs['loss']`` of ``outputs = compute(...)``), the ``return``
of the user's own functions (and of parameter-free modules whose ``forward``
they wrote), and a function's parameters to the caller's argument. Where the
value is a combination of scalars and exactly one computed non-scalar tensor
(``loss + 1e-3 * reg``, ``(loss_a + loss_b)``), that tensor is the culprit: its
extra dimensions broadcast over the whole result. Shapes come from live values
where the binding is still live, else from the spelling (a full ``.mean()``, a
loss function and its ``reduction``).
"""

from __future__ import annotations

import ast
import types
from dataclasses import dataclass
from typing import Any

from .. import fixes, live
from ..context import Analysis
from ..diagnosis import Finding
from ..source import Definition, Stmt, def_lines, dotted_name, keyed_entry
from .common import dependency_closure, finding, location, rhs_of

KIND = "non-scalar-backward"


def diagnose(analysis: Analysis) -> Finding:
    stmt = analysis.raising_stmt
    target_text = analysis.target_text
    value = analysis.target_value
    params: dict[str, object] = {}
    if target_text:
        # `(loss_a + loss_b).mean()`, not `loss_a + loss_b.mean()`, in the fix
        params["var"] = fixes.as_operand(target_text)
    if live.is_tensor(value):
        dims = live.shape(value)
        params["shape"] = live.shape_text(dims)
        params["numel"] = _numel(dims)
        params["dtype"] = live.dtype_name(live.dtype(value))
        if live.dtype(value).is_complex:
            return finding(analysis, KIND, "complex_output", [target_text], _made_at(analysis), **params)
    elif "real scalar" in analysis.parsed.message:
        return finding(analysis, KIND, "complex_output", [target_text], _made_at(analysis), **params)
    elif stmt is not None and analysis.target_node is not None:
        # `(loss_a + loss_b).backward()`: the shape its operands broadcast to
        dims = _Tracer(analysis).dims(analysis.target_node, stmt)
        if dims is not None:
            params.update(shape=live.shape_text(dims), numel=_numel(dims))
    origin = _origin(analysis)
    variable = origin.variable if origin is not None else target_text
    made_at = origin.stmt if origin is not None else _made_at(analysis)
    if "shape" not in params and origin is not None and origin.variable:
        # `scaler.scale(loss).backward()`: the expression is not evaluated, the tensor it wraps is live
        traced = analysis.provenance.live_value(origin.variable, origin.stmt.scope)
        if live.is_tensor(traced):
            params.update(shape=live.shape_text(live.shape(traced)), numel=_numel(live.shape(traced)))
    inputs = _grad_call_inputs(analysis)
    if origin is not None and origin.joined is not None:
        params.update(_part_params(analysis, origin, params, inputs))
    elif inputs is not None:
        params.update(variant="autograd_grad", inputs=inputs)
    if stmt is not None and analysis.target_node is not None:
        built_at = None
        if origin is not None:
            built_at = _reduction_none(analysis, origin.expr, origin.stmt)
        if built_at is None and (origin is None or origin.joined is None):
            built_at = _reduction_none(analysis, analysis.target_node, stmt)
        if built_at is not None:
            # The line to change is where the differentiated tensor was made (it may be
            # derived from the per-sample loss, as in `hard = per_sample.topk(4).values`).
            return finding(analysis, KIND, "reduction_none", [variable], made_at or built_at,
                           built=built_at.line, built_where=built_at.lineno, **params)
    if live.is_tensor(value) or stmt is not None:
        return finding(analysis, KIND, "unreduced_output", [variable], made_at, **params)
    return finding(analysis, KIND, "unknown", [target_text], None, **params)


def _numel(dims: tuple[int, ...]) -> int:
    numel = 1
    for d in dims:
        numel *= d
    return numel


def _part_params(analysis: Analysis, origin: "_Origin", params: dict[str, object],
                 inputs: str | None) -> dict[str, object]:
    """Wording of a non-scalar part of a scalar combination (``reg`` in ``loss + 1e-3 * reg``)."""
    target = analysis.target_text or ""
    whole = fixes.reduced(target, "mean")
    if inputs is not None:
        whole_fix = f"torch.autograd.grad({whole}, {inputs})"
    else:
        whole_fix = f"{whole}.backward()"
    joined = origin.joined
    return {
        "variant": "part",
        "var": origin.variable,
        "part_shape": live.shape_text(origin.part_shape) if origin.part_shape is not None
        else params.get("shape", "?"),
        "joined": joined.line if joined is not None else "",
        "joined_where": location(joined),
        "reduced_line": fixes.reduce_where_made(_statement_text(origin.stmt), origin.variable),
        "whole_fix": whole_fix,
    }


def _statement_text(stmt: Stmt) -> str:
    try:
        return ast.unparse(stmt.node)
    except Exception:
        return stmt.line


def _grad_call_inputs(analysis: Analysis) -> str | None:
    """For ``torch.autograd.grad(u, x, ...)`` raising: the source of its inputs (``x``)."""
    stmt = analysis.raising_stmt
    if stmt is None:
        return None
    for call in (c for c in ast.walk(stmt.node) if isinstance(c, ast.Call)):
        name = dotted_name(call.func) or ""
        if not name.endswith("autograd.grad") or not call.args:
            continue
        if ast.unparse(call.args[0]) != analysis.target_text:
            continue
        second = call.args[1] if len(call.args) > 1 else next(
            (k.value for k in call.keywords if k.arg == "inputs"), None)
        return ast.unparse(second) if second is not None else "inputs"
    return None


def _made_at(analysis: Analysis) -> Stmt | None:
    """The statement that bound the differentiated tensor (or the raising one)."""
    stmt = analysis.raising_stmt
    name = analysis.target_text
    if stmt is None or not name:
        return stmt
    definition = analysis.timeline.definition_before(name, stmt.scope, stmt.index,
                                                     analysis.provenance.live_local)
    return definition.stmt if definition else stmt


def _reduction_none(analysis: Analysis, root: ast.AST | None, stmt: Stmt) -> Stmt | None:
    """The line that set ``reduction='none'`` on a loss that fed ``root`` (read at ``stmt``)."""
    items: list[tuple[ast.AST | None, Stmt]] = [(root, stmt)]
    if isinstance(root, ast.expr):
        closure = dependency_closure(analysis, root, stmt)
        for bound in sorted(closure.values(), key=lambda s: -s.index):
            items.append((rhs_of(bound), bound))
    for value, bound in items:
        if value is None:
            continue
        for call in (c for c in ast.walk(value) if isinstance(c, ast.Call)):
            if _has_reduction_none(call.keywords):
                return bound
            callee = dotted_name(call.func)
            if not callee or "()" in callee:
                continue
            module = analysis.provenance.live_value(callee, bound.scope)
            if live.is_module(module) and _reduction_of(module) == "none":
                built = analysis.timeline.definition_before(callee, bound.scope, bound.index)
                if built is None and bound.scope is not None:
                    # a module-level criterion used inside a function
                    horizon = analysis.raising_stmt.index if analysis.raising_stmt is not None \
                        and analysis.raising_stmt.scope is None else len(analysis.timeline.stmts)
                    built = analysis.timeline.definition_before(callee, None, horizon)
                return built.stmt if built else bound
    return None


def _reduction_of(module: Any) -> str | None:
    """A loss module's ``reduction`` (only a real ``str``: comparing anything else may run user code)."""
    found = live.instance_dict(module).get("reduction")
    return found if type(found) is str else None


def _has_reduction_none(keywords: list[ast.keyword]) -> bool:
    return any(k.arg == "reduction" and isinstance(k.value, ast.Constant) and k.value.value == "none"
               for k in keywords)


# -- where the non-scalar value was made ------------------------------------------------------------

@dataclass(frozen=True)
class _Origin:
    variable: str  # the user's name for the blamed value
    stmt: Stmt  # the statement that made it
    expr: ast.AST | None  # the expression of the value there
    joined: Stmt | None = None  # where a non-scalar part entered a combination of scalars
    part_shape: tuple[int, ...] | None = None


@dataclass(frozen=True)
class _Frame:
    """A call of a user function the tracer followed: its parameters are the call's arguments."""

    scope: str
    call: ast.Call
    site: Stmt
    offset: int  # 1 when the first parameter is `self`, not passed in the call


@dataclass(frozen=True)
class _Shape:
    kind: str  # number | scalar (a tensor of one element) | nonscalar
    dims: tuple[int, ...] | None = None
    computed: bool = True  # a non-leaf tensor (made by an op, not created by the user)


#: methods (and torch functions) that reduce a whole tensor to one element when given no dim
_FULL_REDUCTIONS = frozenset({"mean", "sum", "prod", "norm", "std", "var", "max", "min", "amax", "amin",
                              "nansum", "nanmean", "median", "logsumexp", "count_nonzero"})
#: reductions whose first argument after the tensor is the dimension (not ``norm``'s p, ``max``'s other)
_DIM_FIRST = frozenset({"sum", "mean", "prod", "nansum", "nanmean", "logsumexp", "amax", "amin"})
#: loss functions of torch.nn.functional whose names do not end in "_loss"
_LOSS_FUNCTIONS = frozenset({"cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                             "kl_div", "nll_loss", "mse_loss", "l1_loss"})
_NUMBER_BUILTINS = frozenset({"float", "int", "len", "bool"})
_STEP_LIMIT = 80
_SHAPE_STEP_LIMIT = 400
_CALL_DEPTH = 4


def _origin(analysis: Analysis) -> _Origin | None:
    stmt, node, text = analysis.raising_stmt, analysis.target_node, analysis.target_text
    if stmt is None or node is None or not text:
        return None
    try:
        return _Tracer(analysis).value(node, stmt, text, None, ())
    except Exception:  # never let a tracing gap break the diagnosis
        return None


class _Tracer:
    """Follow an expression back to the statement that made its (non-scalar) value."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.timeline = analysis.timeline
        self.steps = 0
        self.shape_steps = 0

    # -- values ---------------------------------------------------------------
    def value(self, expr: ast.AST, stmt: Stmt, variable: str, key: Any, calls: tuple[_Frame, ...]) -> _Origin | None:
        """Where the value of ``expr`` (read at ``stmt``; its entry ``key`` if any) was made.

        ``None`` when it cannot be told beyond ``stmt`` itself.
        """
        self.steps += 1
        if self.steps > _STEP_LIMIT:
            return None
        if isinstance(expr, ast.Subscript) and key is None and _constant_key(expr) is not _NO_KEY:
            keyed = keyed_entry(expr)
            base = dotted_name(expr.value)
            if keyed is not None and base is not None:
                own = self._definition(keyed, stmt)
                whole = self._definition(base, stmt)
                if own is not None and (whole is None or own.stmt.index > whole.stmt.index):
                    return self.reference(keyed, stmt, variable, None, calls)
            return self.value(expr.value, stmt, variable, _constant_key(expr), calls)
        name = _reference_name(expr)
        if name is not None:
            return self.reference(name, stmt, variable, key, calls)
        if key is not None:
            if isinstance(expr, ast.Dict):
                for k, v in zip(expr.keys, expr.values):
                    if isinstance(k, ast.Constant) and k.value == key:
                        return self.value(v, stmt, variable, None, calls) or _Origin(variable, stmt, v)
                return None
            if isinstance(expr, (ast.Tuple, ast.List)) and type(key) is int \
                    and not any(isinstance(e, ast.Starred) for e in expr.elts) and -len(expr.elts) <= key < len(expr.elts):
                element = expr.elts[key]
                return self.value(element, stmt, variable, None, calls) or _Origin(variable, stmt, element)
            if isinstance(expr, ast.Call):
                return self.call(expr, stmt, variable, key, calls)
            return None
        if isinstance(expr, ast.Call):
            return self.call(expr, stmt, variable, None, calls)
        if isinstance(expr, ast.BinOp):
            return self.part(expr, stmt, calls)
        return None

    def reference(self, name: str, stmt: Stmt, variable: str, key: Any, calls: tuple[_Frame, ...]) -> _Origin | None:
        definition = self._definition(name, stmt)
        if definition is None:
            return None
        if definition.parameter:
            passed = self._argument(definition, calls)
            if passed is None:
                return None
            argument, site, outer = passed
            return self.value(argument, site, variable, key, outer)
        return self.definition(definition, variable, key, calls)

    def definition(self, definition: Definition, variable: str, key: Any,
                   calls: tuple[_Frame, ...]) -> _Origin | None:
        stmt = definition.stmt
        node = stmt.node
        value = definition.value
        here = _Origin(variable, stmt, value) if key is None else None
        if value is None:
            return here
        if definition.augmented:
            if not isinstance(node, ast.AugAssign) or key is not None:
                return here
            try:
                previous = ast.parse(definition.name, mode="eval").body
            except SyntaxError:
                return here
            combined = ast.BinOp(left=previous, op=node.op, right=value)
            return self.part(combined, stmt, calls) or _Origin(variable, stmt, value)
        if definition.position is not None and key is None:
            # `a, b = f(x)`: the element of what f returned (unless the source already split it)
            whole = getattr(node, "value", None)
            targets = getattr(node, "targets", [])
            if value is not whole or any(isinstance(t, (ast.Tuple, ast.List)) and any(
                    isinstance(e, ast.Starred) for e in t.elts) for t in targets):
                return here
            return self.value(value, stmt, variable, definition.position, calls) or here
        return self.value(value, stmt, variable, key, calls) or here

    # -- calls of the user's functions ----------------------------------------
    def call(self, call: ast.Call, stmt: Stmt, variable: str, key: Any, calls: tuple[_Frame, ...]) -> _Origin | None:
        if len(calls) >= _CALL_DEPTH:
            return None
        found = self._user_function(call, stmt)
        if found is None:
            return self._wrapped(call, stmt, calls)
        function, offset = found
        scope = function.inner_scope
        if scope is None or any(frame.scope == scope for frame in calls):
            return None
        returns = [s for s in self.timeline.body(function)
                   if isinstance(s.node, ast.Return) and s.node.value is not None]
        if not returns:
            return None
        inner = calls + (_Frame(scope, call, stmt, offset),)
        results = []
        for ret in returns:
            value = ret.node.value  # type: ignore[attr-defined]
            if key is None and self._model_output(value, ret):
                return None  # `return net(img).squeeze(1)`: the caller's line made the output
            result = self.value(value, ret, variable, key, inner)
            if result is None and key is None:
                result = _Origin(variable, ret, value)
            results.append(result)
        first = results[0]
        if first is None or any(r is None or r.stmt is not first.stmt for r in results[1:]):
            return None  # several returns that disagree: the call site is the place to say
        return first

    def _wrapped(self, call: ast.Call, stmt: Stmt, calls: tuple[_Frame, ...]) -> _Origin | None:
        """``scaler.scale(loss)``: a library call on one named non-scalar tensor, not a module and
        not a reduction, passes its shape through: where that tensor was made."""
        if len(call.args) != 1 or call.keywords or not isinstance(call.func, ast.Attribute):
            return None
        argument = call.args[0]
        name = _reference_name(argument)
        if name is None or call.func.attr in _FULL_REDUCTIONS:
            return None
        owner = dotted_name(call.func.value)
        callee_owner = self.analysis.provenance.live_value(owner, stmt.scope) if owner and "()" not in owner \
            else live.MISSING
        if owner is None or live.is_module(callee_owner) or live.is_tensor(callee_owner) or _is_namespace(owner + "."):
            return None
        value = self.analysis.provenance.live_value(name, stmt.scope)
        if not live.is_tensor(value) or _numel(live.shape(value)) <= 1:
            return None
        return self.reference(name, stmt, name, None, calls) or None

    def _model_output(self, expr: ast.expr, stmt: Stmt) -> bool:
        """``net(x)``, possibly reshaped (``.squeeze(1)``, ``.view(...)``), with ``net`` a module with parameters."""
        while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) \
                and expr.func.attr in _SHAPE_METHODS:
            expr = expr.func.value
        if not isinstance(expr, ast.Call):
            return False
        name = dotted_name(expr.func)
        if not name or "()" in name:
            return False
        callee = self.analysis.provenance.live_value(name, stmt.scope)
        return live.is_module(callee) and next(live.named_parameters(callee), None) is not None

    def _user_function(self, call: ast.Call, stmt: Stmt) -> tuple[Stmt, int] | None:
        """The ``def`` the call ran (a plain function, a method, a parameter-free module's forward)."""
        name = dotted_name(call.func)
        if not name or "()" in name:
            return None
        callee = self.analysis.provenance.live_value(name, stmt.scope)
        if live.is_module(callee):
            if next(live.named_parameters(callee), None) is not None:
                return None  # a model: its output is what the user reduces, not its forward
            cls = type(callee)
            qualname = _type_qualname(cls)
            function = live.class_attribute(cls, "forward")
            code = live.code_of(function)
            definition = self.timeline.function(f"{qualname}.forward", code=code) if qualname and code else None
            if definition is None or not _runs(definition, code):
                return None
            return definition, 1
        if type(callee) is types.FunctionType:
            code = live.code_of(callee)
            qualname = types.FunctionType.__dict__["__qualname__"].__get__(callee)
            if type(qualname) is not str:
                return None
            qualname = qualname.replace("<locals>.", "")
            versions = self.timeline.function_versions.get(qualname) or []
            if not any(_runs(version, code) for version in versions):
                return None  # not the user's function (a library one of the same name)
            # A top-level call ran the version defined before it (a cell may redefine it later);
            # deeper down, the live one.
            earlier = [v for v in versions if v.index < stmt.index] if stmt.scope is None else []
            definition = earlier[-1] if earlier else next(v for v in reversed(versions) if _runs(v, code))
            parameters = _positional(definition)
            owner = self.analysis.provenance.live_value(name.rsplit(".", 1)[0], stmt.scope) if "." in name \
                else live.MISSING
            bound = owner is not live.MISSING and not issubclass(type(owner), (type, types.ModuleType))
            return definition, 1 if bound and parameters[:1] == ["self"] else 0
        if callee is live.MISSING and isinstance(call.func, ast.Name):
            before = stmt.index if stmt.scope is None else None
            definition = self.timeline.function(call.func.id, before=before)
            return (definition, 0) if definition is not None else None
        return None

    def _argument(self, definition: Definition, calls: tuple[_Frame, ...]) -> tuple[ast.expr, Stmt, tuple[_Frame, ...]] | None:
        """A parameter: the caller's argument, the statement it is read at, the calls around that."""
        scope = definition.stmt.inner_scope
        for position in range(len(calls) - 1, -1, -1):
            frame = calls[position]
            if frame.scope == scope:
                argument = _argument_of(frame.call, definition, frame.offset)
                return (argument, frame.site, calls[:position]) if argument is not None else None
        if calls or scope is None:
            return None
        site = self.analysis.provenance.call_site_of(scope)
        function = definition.stmt.node
        if site is None or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        parameters = _positional(definition.stmt)
        for call in (c for c in ast.walk(site.node) if isinstance(c, ast.Call)):
            called = dotted_name(call.func) or ""
            if called.rsplit(".", 1)[-1] == function.name:
                offset = 1 if parameters[:1] == ["self"] and "." in called else 0
            elif function.name == "forward" and parameters[:1] == ["self"] and called \
                    and live.is_module(self.analysis.provenance.live_value(called, site.scope)):
                offset = 1
            else:
                continue
            argument = _argument_of(call, definition, offset)
            return (argument, site, ()) if argument is not None else None
        return None

    def _definition(self, name: str, stmt: Stmt) -> Definition | None:
        found = self.timeline.definition_before(name, stmt.scope, stmt.index,
                                                self.analysis.provenance.live_local)
        if found is None and stmt.scope is not None and not self._local_somewhere(name, stmt.scope):
            # a global read from a function body: the global as last bound before the error
            found = self.timeline.definition_before(name, None, self._horizon())
        return found

    def _local_somewhere(self, name: str, scope: str) -> bool:
        return bool(self.timeline.definitions(name, scope))

    def _horizon(self) -> int:
        raising = self.analysis.raising_stmt
        if raising is not None and raising.scope is None:
            return raising.index
        return len(self.timeline.stmts)

    # -- a non-scalar part of a combination of scalars ------------------------
    def part(self, expr: ast.BinOp, stmt: Stmt, calls: tuple[_Frame, ...]) -> _Origin | None:
        """``loss + 1e-3 * reg`` with ``loss`` a scalar and ``reg`` a vector: where ``reg`` was made."""
        operands = list(_operands(expr))
        shapes = [self.shape(o, stmt, calls, 0) for o in operands]
        if any(s is None for s in shapes):
            return None
        nonscalar = [i for i, s in enumerate(shapes) if s.kind == "nonscalar"]  # type: ignore[union-attr]
        if len({ast.dump(operands[i]) for i in nonscalar}) != 1 \
                or not any(s.kind == "scalar" for s in shapes):  # type: ignore[union-attr]
            return None  # `x + 2`, `(out - y) ** 2`: made right here
        operand, shape = operands[nonscalar[0]], shapes[nonscalar[0]]
        name = keyed_entry(operand) if isinstance(operand, ast.Subscript) else _reference_name(operand)
        if name is None or not shape.computed:  # type: ignore[union-attr]
            return None
        found = self.reference(name, stmt, name, None, calls)
        if found is None:
            return None
        if found.joined is None:
            found = _Origin(found.variable, found.stmt, found.expr, stmt, shape.dims)  # type: ignore[union-attr]
        return found

    def dims(self, expr: ast.AST, stmt: Stmt) -> tuple[int, ...] | None:
        """The shape of an arithmetic expression, broadcast from its operands' (when all are known)."""
        if not isinstance(expr, (ast.BinOp, ast.UnaryOp)):
            return None
        try:
            shapes = [self.shape(o, stmt, (), 0) for o in _operands(expr)]
        except Exception:
            return None
        found: list[tuple[int, ...]] = []
        for shape in shapes:
            if shape is None or (shape.kind == "nonscalar" and shape.dims is None):
                return None
            found.append(shape.dims if shape.dims is not None else ())
        return _broadcast(found)

    def shape(self, expr: ast.AST, stmt: Stmt, calls: tuple[_Frame, ...], depth: int) -> _Shape | None:
        """Is ``expr`` (read at ``stmt``) a number, a one-element tensor or a bigger one?"""
        self.shape_steps += 1
        if depth > 6 or self.shape_steps > _SHAPE_STEP_LIMIT:
            return None
        if isinstance(expr, ast.Constant):
            return _Shape("number") if type(expr.value) in (int, float, bool) else None
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
            return self.shape(expr.operand, stmt, calls, depth + 1)
        if isinstance(expr, ast.BinOp):
            parts = [self.shape(o, stmt, calls, depth + 1) for o in _operands(expr)]
            if any(p is not None and p.kind == "nonscalar" for p in parts):
                return _Shape("nonscalar")
            if any(p is None for p in parts):
                return None
            return _Shape("scalar") if any(p.kind == "scalar" for p in parts) else _Shape("number")  # type: ignore[union-attr]
        if isinstance(expr, ast.Call):
            return self._call_shape(expr, stmt)
        name = keyed_entry(expr) if isinstance(expr, ast.Subscript) else _reference_name(expr)
        if name is None:
            return None
        definition = self._definition(name, stmt)
        if definition is None:
            if isinstance(expr, ast.Subscript) or calls:
                return None
            return _shape_of_live(self.analysis.provenance.live_value(name, stmt.scope))
        if definition.parameter:
            passed = self._argument(definition, calls)
            if passed is None:
                return self._live_shape(name, definition)
            argument, site, outer = passed
            return self.shape(argument, site, outer, depth + 1)
        if self.timeline.is_latest(definition) and not isinstance(expr, ast.Subscript):
            found = self._live_shape(name, definition)
            if found is not None:
                return found
        if definition.value is None or definition.position is not None:
            return None
        inferred = self.shape(definition.value, definition.stmt, calls, depth + 1)
        if definition.augmented:
            if not isinstance(definition.stmt.node, ast.AugAssign):
                return None
            previous = self.shape(expr, definition.stmt, calls, depth + 1)
            if inferred is None or previous is None:
                return _Shape("nonscalar") if any(p is not None and p.kind == "nonscalar"
                                                  for p in (inferred, previous)) else None
            if "nonscalar" in (inferred.kind, previous.kind):
                return _Shape("nonscalar")
            return _Shape("scalar") if "scalar" in (inferred.kind, previous.kind) else _Shape("number")
        return inferred

    def _live_shape(self, name: str, definition: Definition) -> _Shape | None:
        scope = definition.scope
        if scope is not None and not self.analysis.namespaces_for(scope):
            return None  # a function that is not on the traceback: its locals are gone
        return _shape_of_live(self.analysis.provenance.live_value(name, scope))

    def _call_shape(self, call: ast.Call, stmt: Stmt) -> _Shape | None:
        """Shapes told by the spelling: ``x.mean()``, ``F.mse_loss(...)``, ``crit(...)``, ``t.item()``."""
        func = call.func
        name = dotted_name(func) or ""
        last = name.rsplit(".", 1)[-1] if name else (func.attr if isinstance(func, ast.Attribute) else "")
        has_dim = any(k.arg in ("dim", "axis") for k in call.keywords)
        if isinstance(func, ast.Attribute) and not _is_namespace(name):
            if func.attr == "item" and not call.args:
                return _Shape("number")
            if func.attr in _FULL_REDUCTIONS and not has_dim \
                    and len(call.args) <= (1 if func.attr == "norm" else 0):
                return _Shape("scalar")
        if last in _FULL_REDUCTIONS and _reduces_a_later_dim(call, name):
            # `torch.sum(t, dim=1)`: t has at least two dimensions, so what is left has one
            return _Shape("nonscalar")
        if _is_namespace(name):
            if last in _FULL_REDUCTIONS and len(call.args) == 1 and not has_dim:
                return _Shape("scalar")
            if last in _LOSS_FUNCTIONS or last.endswith("_loss"):
                return _reduction_shape(call)
            return None
        if isinstance(func, ast.Name) and func.id in _NUMBER_BUILTINS \
                and self.analysis.provenance.live_value(func.id, stmt.scope) is live.MISSING:
            return _Shape("number")
        if name and "()" not in name:
            callee = self.analysis.provenance.live_value(name, stmt.scope)
            if live.is_module(callee):
                reduction = _reduction_of(callee)
                if reduction == "none":
                    return _Shape("nonscalar")
                if reduction in ("mean", "sum", "batchmean"):
                    return _Shape("scalar")
        return None


_NO_KEY: Any = object()


_SHAPE_METHODS = frozenset({"squeeze", "unsqueeze", "view", "reshape", "flatten", "permute", "transpose",
                            "contiguous", "float", "double", "to", "cpu", "cuda", "t"})


def _constant_key(node: ast.Subscript) -> Any:
    index = node.slice
    if isinstance(index, ast.Constant) and type(index.value) in (str, int):
        return index.value
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub) and isinstance(index.operand, ast.Constant) \
            and type(index.operand.value) is int:
        return -index.operand.value
    return _NO_KEY


def _reference_name(expr: ast.AST) -> str | None:
    if isinstance(expr, (ast.Name, ast.Attribute)):
        name = dotted_name(expr)
        if name and "()" not in name:
            return name
    return None


def _operands(expr: ast.AST):
    """The operands of a tree of arithmetic (``loss + 1e-3 * reg`` -> loss, 1e-3, reg)."""
    if isinstance(expr, ast.BinOp) and not isinstance(expr.op, ast.MatMult):
        yield from _operands(expr.left)
        yield from _operands(expr.right)
    elif isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
        yield from _operands(expr.operand)
    else:
        yield expr


def _broadcast(shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    rank = max((len(s) for s in shapes), default=0)
    result: list[int] = []
    for axis in range(rank):
        sizes = {s[len(s) - rank + axis] for s in shapes if len(s) - rank + axis >= 0}
        big = sizes - {1}
        if len(big) > 1:
            return None  # they do not broadcast: not the error at hand
        result.append(big.pop() if big else 1)
    return tuple(result)


def _shape_of_live(obj: Any) -> _Shape | None:
    if live.is_tensor(obj):
        dims = live.shape(obj)
        computed = live.grad_fn(obj) is not None
        return _Shape("scalar" if _numel(dims) == 1 else "nonscalar", dims, computed)
    if type(obj) in (int, float, bool):
        return _Shape("number")
    return None


def _reduces_a_later_dim(call: ast.Call, name: str) -> bool:
    """A reduction over one constant dimension ``>= 1`` (``dim=1``, ``t.sum(2)``)."""
    dim = next((k.value for k in call.keywords if k.arg in ("dim", "axis")), None)
    if dim is None and name.rsplit(".", 1)[-1] in _DIM_FIRST:
        positional = 1 if _is_namespace(name) else 0  # torch.sum(t, 1) / t.sum(1)
        dim = call.args[positional] if len(call.args) > positional else None
    return isinstance(dim, ast.Constant) and type(dim.value) is int and dim.value >= 1


def _reduction_shape(call: ast.Call) -> _Shape | None:
    for keyword in call.keywords:
        if keyword.arg == "reduction":
            if not isinstance(keyword.value, ast.Constant):
                return None
            return _Shape("nonscalar") if keyword.value.value == "none" else _Shape("scalar")
        if keyword.arg == "reduce" and isinstance(keyword.value, ast.Constant) and keyword.value.value is False:
            return _Shape("nonscalar")
    return _Shape("scalar")


def _is_namespace(name: str) -> bool:
    return bool(name) and "()" not in name and name.startswith(("torch.", "F.", "nn.functional."))


def _positional(definition: Stmt) -> list[str]:
    node = definition.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    return [a.arg for a in node.args.posonlyargs + node.args.args]


def _argument_of(call: ast.Call, definition: Definition, offset: int) -> ast.expr | None:
    keyword = next((k.value for k in call.keywords if k.arg == definition.name), None)
    if keyword is not None:
        return keyword
    parameters = _positional(definition.stmt)
    if definition.name not in parameters:
        return None
    index = parameters.index(definition.name) - offset
    if 0 <= index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[:index + 1]):
        return call.args[index]
    return None


def _runs(definition: Stmt, code: Any) -> bool:
    """Is ``definition`` the source of ``code`` (not another function of the same name)?"""
    if code is None:
        return True
    return definition.filename == getattr(code, "co_filename", None) \
        and getattr(code, "co_firstlineno", None) in def_lines(definition.node)


def _type_qualname(cls: Any) -> str | None:
    try:
        found = type.__dict__["__qualname__"].__get__(cls)
    except Exception:
        return None
    return found.replace("<locals>.", "") if type(found) is str else None


