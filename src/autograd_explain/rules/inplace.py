"""``one of the variables needed for gradient computation has been modified by an inplace operation``.

1. Probe the graph behind the differentiated tensor for the node whose saved
   tensor was modified (reading it raises the same error).
2. Collect every in-place write in the user's code (``y += 1``, ``y.mul_()``,
   ``y[0] = 0``, ``out=y``, ``nn.ReLU(inplace=True)``...).
3. Score each write against the live state (shape and ``_version`` from the
   message, graph relation to the culprit node) and the code (was the written
   variable made or consumed by the culprit op?), and blame the best.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Iterator

from .. import autograd_graph, live
from ..context import Analysis
from ..diagnosis import Finding
from ..source import Stmt, dotted_name
from .common import dependency_closure, finding, location, names_read, rhs_of
from .optimizers import is_optimizer, optimizer_parameters
from .origins import differentiated_tensors
from .writes import base_name, inplace_writes

KIND = "inplace-modified"
#: a score reached only by a live tensor at the message's version that the culprit node saved.
_CERTAIN = 11
_INPLACE_MODULE_KINDS = ("ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "Hardtanh", "Hardswish",
                         "Hardsigmoid", "SiLU", "Mish", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                         "AlphaDropout", "Threshold", "RReLU")


@dataclass(frozen=True)
class Write:
    """An in-place write in the user's code."""

    stmt: Stmt
    name: str  # the variable written (for a module: the module's name)
    cause: str
    op: str
    #: for a write through a call (``add_noise_(batch)``): the helper's statement that
    #: wrote and the parameter it wrote, which are what the diagnosis reports
    inner: tuple[Stmt, str] | None = None


def diagnose(analysis: Analysis) -> Finding:
    fields = _fields(analysis)
    expected = _int(fields.get("expected"))
    version = _int(fields.get("version"))
    node_label = fields.get("node")
    culprit_node, attribute = _culprit_node(analysis)
    node_label = live.node_name(culprit_node) or node_label
    op = autograd_graph.op_name(node_label)
    writes = list(_writes(analysis))
    best, confidence = _best_write(analysis, writes, culprit_node, op, fields.get("shape"), version, attribute)
    params = dict(version=version, expected=expected, node=node_label or "?", op=op,
                  saved=(attribute or "").replace("_saved_", "") or None,
                  shape=f"[{fields['shape']}]" if "shape" in fields else None)
    traced = _traced_write(analysis, fields, expected, live.node_name(culprit_node), attribute)
    if traced is not None and confidence < _CERTAIN:
        from_trace = _write_from_trace(analysis, traced, writes)
        if from_trace is not None:
            best = from_trace
    if best is None:
        return finding(analysis, KIND, "unknown", [analysis.target_text], None, **params)
    saved_by = _saving_statement(analysis, best, op)
    params["saved_by"] = saved_by.line if saved_by else None
    params["saved_where"] = location(saved_by) if saved_by else None
    name = _instance_path(analysis, best) or best.name
    if best.inner is not None:
        # the helper's own statement wrote, on its parameter; the caller's variable comes next
        stmt, parameter = best.inner
        return finding(analysis, KIND, best.cause, [parameter, name], stmt, **params, write=stmt.line)
    return finding(analysis, KIND, best.cause, [name], best.stmt, **params, write=best.stmt.line)


def _instance_path(analysis: Analysis, write: Write) -> str | None:
    """``self.temperature`` written in a method -> ``model.temperature``, by the live instance.

    The instance is looked for among the live modules the differentiated tensor
    came from (their submodules included), by the class that defines the method.
    """
    if not write.name.startswith("self.") or not write.stmt.scope or "." not in write.stmt.scope:
        return None
    class_name = write.stmt.scope.rsplit(".", 1)[0]
    for path, module in _modules_of_target(analysis):
        if live.type_qualname(module) == class_name:
            return path + write.name[len("self"):]
    return None


def _modules_of_target(analysis: Analysis) -> Iterator[tuple[str, Any]]:
    """``(path, module)`` of every live module (and submodule) the differentiated tensor came from."""
    stmt = analysis.raising_stmt
    if stmt is None or analysis.target_node is None:
        return
    roots = set(dependency_closure(analysis, analysis.target_node, stmt)) | names_read(analysis.target_node)
    for root in sorted(roots):
        value = analysis.provenance.live_value(root, stmt.scope)
        if live.is_module(value):
            yield from live.named_modules(value, root)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _culprit_node(analysis: Analysis) -> tuple[Any, str | None]:
    """The node whose saved tensor was modified, searched from the differentiated tensor.

    For ``y.sum().backward()`` the target is an expression we do not evaluate,
    so the graphs of the tensors it reads (``y``) are searched instead.
    """
    for root in _target_roots(analysis):
        found = autograd_graph.find_problem(live.grad_fn(root), "inplace")
        if found is not None:
            return found.node, found.attribute
    return None, None


def _target_roots(analysis: Analysis) -> list[Any]:
    target = analysis.target_value
    if live.is_tensor(target):
        return [target]
    if analysis.target_node is None:
        # raised in user code that backward called back (a custom Function's backward)
        return differentiated_tensors(analysis, from_outermost=True)
    roots = []
    for name in sorted(names_read(analysis.target_node)):
        value = analysis.provenance.live_value(name, analysis.scope)
        if live.is_tensor(value):
            roots.append(value)
    return roots


# -- the writes in the code ----------------------------------------------------
def _writes(analysis: Analysis) -> Iterator[Write]:
    raising = analysis.raising_stmt
    limit = max(analysis.horizon, raising.index) if raising else analysis.horizon
    loops = set(raising.loops) if raising is not None else set()
    for stmt in analysis.timeline.stmts:
        if stmt.index >= limit and stmt.scope is None and not (loops & set(stmt.loops)):
            # Later top-level statements had not run, except those of a loop around
            # the raising one: they ran in the iterations before (`opt.step()` after `backward()`).
            continue
        yield from _writes_in(stmt)
        yield from _optimizer_steps(analysis, stmt)
        yield from _writes_through_calls(analysis, stmt)


def _writes_through_calls(analysis: Analysis, stmt: Stmt) -> Iterator[Write]:
    """``scale_(y, 2)`` where the user's ``scale_`` writes its first parameter in place."""
    for name, arguments in _calls_of(stmt):
        written_parameters = _parameters_written_by(analysis, name, stmt)
        for position, (cause, inner) in written_parameters.items():
            if position < len(arguments) and arguments[position]:
                yield Write(stmt, arguments[position], cause, stmt.line, inner=inner)


def _calls_of(stmt: Stmt) -> list[tuple[str, list[str | None]]]:
    """``(callee, [base name of each positional argument])`` for the calls of a simple statement.

    Memoised on the AST node: trees are parsed once per session and only read.
    """
    node = stmt.node
    cached = node.__dict__.get("_ae_calls")
    if cached is None:
        cached = []
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.While, ast.With)):
            for call in (c for c in ast.walk(node) if isinstance(c, ast.Call)):
                name = dotted_name(call.func)
                if name and "()" not in name and call.args:
                    cached.append((name, [base_name(a) for a in call.args]))
        node._ae_calls = cached  # type: ignore[attr-defined]
    return cached


def _parameters_written_by(analysis: Analysis, name: str, stmt: Stmt
                           ) -> dict[int, tuple[str, tuple[Stmt, str]]]:
    """``{parameter position: (cause, (writing statement, parameter))}`` for a user function
    that writes its parameters in place."""
    memo: dict[str, dict[int, tuple[str, tuple[Stmt, str]]]] = \
        analysis.__dict__.setdefault("_written_parameters", {})
    if name in memo:
        return memo[name]
    memo[name] = {}
    definition = analysis.timeline.function(name)
    if definition is None:
        callee = analysis.provenance.live_value(name, stmt.scope)
        if analysis.provenance._load_source_of(callee):
            definition = analysis.timeline.function(getattr(callee, "__qualname__", name))
    if definition is None or definition.inner_scope is None:
        return memo[name]
    parameters = [a.arg for a in definition.node.args.posonlyargs + definition.node.args.args]  # type: ignore[attr-defined]
    inner = [w for body in analysis.timeline.body(definition) for w in _writes_in(body)]
    for position, parameter in enumerate(parameters):
        write = next((w for w in inner if w.name == parameter), None)
        if write is not None:
            memo[name][position] = (write.cause, (write.stmt, parameter))
    return memo[name]


def _optimizer_steps(analysis: Analysis, stmt: Stmt) -> Iterator[Write]:
    """``opt.step()`` updates every parameter of ``opt`` in place."""
    node = stmt.node
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "step"):
        return
    name = dotted_name(node.value.func.value)
    if name and "()" not in name and is_optimizer(analysis.provenance.live_value(name, stmt.scope)):
        yield Write(stmt, name, "optimizer_step", stmt.line)


_CAUSE_OF_FORM = {"augmented": "augmented_assignment", "setitem": "setitem", "method": "inplace_method",
                  "inplace_argument": "inplace_method", "out": "out_argument"}


def _writes_in(stmt: Stmt) -> Iterator[Write]:
    """The in-place writes ``stmt`` spells (memoised on its AST node)."""
    cached = stmt.node.__dict__.get("_ae_writes")
    if cached is None:
        cached = [(w.name, w.cause, w.op) for w in _spelled_writes(stmt)]
        stmt.node._ae_writes = cached  # type: ignore[attr-defined]
    for name, cause, op in cached:
        yield Write(stmt, name, cause, stmt.line if op is None else op)


def _spelled_writes(stmt: Stmt) -> Iterator[Write]:
    """The in-place writes ``stmt`` spells, plus ``inplace=True`` module constructions."""
    for write in inplace_writes(stmt):
        yield Write(stmt, write.name, _CAUSE_OF_FORM[write.form], stmt.line)
    if isinstance(stmt.node, (ast.Assign, ast.Expr, ast.AnnAssign)):
        for call in (c for c in ast.walk(stmt.node) if isinstance(c, ast.Call)):
            called = dotted_name(call.func) or ""
            if called.rsplit(".", 1)[-1] in _INPLACE_MODULE_KINDS and any(
                    k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
                    for k in call.keywords):
                yield Write(stmt, _assigned_name(stmt) or called, "inplace_module", called.rsplit(".", 1)[-1])


def _assigned_name(stmt: Stmt) -> str | None:
    node = stmt.node
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        return dotted_name(node.targets[0])
    return None


# -- scoring -------------------------------------------------------------------
def _best_write(analysis: Analysis, writes: list[Write], culprit: Any, op: str,
                shape_text: str | None, version: int | None, attribute: str | None = None
                ) -> tuple[Write | None, int]:
    """The most likely write and its score (see :func:`_score`)."""
    scored: list[tuple[int, int, Write]] = []
    modules = _live_inplace_modules(analysis)
    writes = [_with_module_name(write, modules) for write in writes]
    analysis._inplace_view_writes = any(  # type: ignore[attr-defined]
        w.cause == "setitem" for w in writes)
    for write in writes:
        score = _score(analysis, write, culprit, op, shape_text, version, attribute)
        if score > 0:
            scored.append((score, write.stmt.index, write))
    if not scored:
        return None, 0
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    best = scored[0][2]
    confidence = scored[0][0]
    # Of several writes to the same variable, the first after the save moved the version.
    same = [w for w in writes if w.name == best.name and w.stmt.scope == best.stmt.scope]
    saved_by = _saving_statement(analysis, best, op)
    if saved_by is not None:
        after = [w for w in same if w.stmt.index > saved_by.index]
        if after:
            return min(after, key=lambda w: w.stmt.index), confidence
    elif best.cause == "setitem" and _last_writer_is_setitem(analysis) and len(same) > 1:
        # `out[a] = ...; out[b] = ...` after the save: each moved the version by one,
        # so when their count is the version's rise, the first broke the saved tensor.
        expected = _int(_fields(analysis).get("expected"))
        distinct = sorted({w.stmt.index for w in same})
        if version is not None and expected is not None and version - expected == len(distinct):
            return min(same, key=lambda w: w.stmt.index), confidence
    return best, confidence


_DETAIL = re.compile(
    r"\[(?P<tensor_type>[\w.]+) \[(?P<shape>[\d, ]*)\]\]"
    r"(?:, which is output (?P<output_nr>\d+) of (?:torch::autograd::)?(?P<node>[\w:]+))?"
    r"(?:,)? is at version (?P<version>\d+); expected version (?P<expected>\d+)")


def _fields(analysis: Analysis) -> Any:
    """The message's fields; ``output 0 of torch::autograd::CopySlices`` (a C++ node name) too."""
    fields = analysis.parsed.fields
    if "version" in fields:
        return fields
    cached = analysis.__dict__.get("_inplace_fields")
    if cached is None:
        match = _DETAIL.search(analysis.parsed.message or "")
        cached = {k: v for k, v in match.groupdict().items() if v is not None} if match else {}
        cached = {**cached, **fields}
        analysis._inplace_fields = cached  # type: ignore[attr-defined]
    return cached


def _last_writer_is_setitem(analysis: Analysis) -> bool:
    """``which is output 0 of CopySlices``: the saved tensor was last written through a view (``y[i] = ...``)."""
    return _letters(autograd_graph.op_name(_fields(analysis).get("node")) or "").startswith("copyslices") \
        or "copyslices" in _letters(_fields(analysis).get("node") or "")


def _live_inplace_modules(analysis: Analysis) -> dict[str, str]:
    """``{qualified name: class name}`` of live ``inplace=True`` modules the target came from."""
    cached = getattr(analysis, "_inplace_modules", None)
    if cached is not None:
        return cached
    found: dict[str, str] = {}
    for path, module in _modules_of_target(analysis):
        if live.instance_dict(module).get("inplace") is True:
            found.setdefault(path, live.type_name(module))
    analysis._inplace_modules = found  # type: ignore[attr-defined]
    return found


def _with_module_name(write: Write, modules: dict[str, str]) -> Write:
    """Name an ``inplace=True`` construction by the live module it made (``net.2``, ``model.relu``)."""
    if write.cause != "inplace_module":
        return write
    attribute = write.name.rsplit(".", 1)[-1]
    for path, class_name in modules.items():
        if path.rsplit(".", 1)[-1] == attribute and class_name == write.op:
            return Write(write.stmt, path, write.cause, write.op)
    for path, class_name in modules.items():
        if path.startswith(write.name + ".") and class_name == write.op:
            return Write(write.stmt, path, write.cause, write.op)
    return write


def _score(analysis: Analysis, write: Write, culprit: Any, op: str, shape_text: str | None,
           version: int | None, attribute: str | None = None) -> int:
    score = 1
    value = analysis.provenance.live_value(write.name, write.stmt.scope)
    if value is live.MISSING and write.stmt.scope is None and not _deleted_later(analysis, write):
        return 0  # a top-level variable that no longer exists is not what backward reads
    if write.cause == "optimizer_step":
        return _optimizer_score(value, shape_text, version)
    if write.cause == "inplace_module":
        # Only a module that is live in a model the loss came from counts, and not
        # when its own op saved the tensor: `relu_` saves its result after writing
        # it, so a later write moved the version ("output 0 of Relu ... expected 1").
        if write.name not in _live_inplace_modules(analysis):
            return 0
        if attribute == "_saved_result" and _module_op(write.op) == _letters(op):
            return 0
        if _last_writer_is_setitem(analysis) and getattr(analysis, "_inplace_view_writes", False):
            # torch names a setitem (CopySlices) as the saved tensor's last writer, and
            # the code has such writes: a module's own op would have named its node.
            return 0
        return score + 5
    if live.is_tensor(value):
        if not _could_be_the_saved_tensor(analysis, value):
            return 0
        if shape_text is not None and live.shape_text(live.shape(value)).strip("[]") != shape_text.strip():
            score -= 3  # a view of the saved tensor can have another shape
        if version is not None and live.version(value) == version:
            score += 4
        if culprit is not None and _related(value, culprit, attribute):
            score += 6
    elif value is not live.MISSING:
        return 0
    if _op_touches(analysis, write, op):
        score += 3
    return score


_DTYPE_OF_TYPE = {"Float": "float32", "Double": "float64", "Half": "float16", "BFloat16": "bfloat16",
                  "Long": "int64", "Int": "int32", "Short": "int16", "Char": "int8", "Byte": "uint8",
                  "Bool": "bool", "ComplexFloat": "complex64", "ComplexDouble": "complex128"}


def _could_be_the_saved_tensor(analysis: Analysis, tensor: Any) -> bool:
    """False when the message rules ``tensor`` out: another dtype, or no graph at all
    although the message says the saved tensor was the output of an op."""
    fields = _fields(analysis)
    spelled = (fields.get("tensor_type") or "").split(".")[-1]
    wanted = _DTYPE_OF_TYPE.get(spelled[: -len("Tensor")]) if spelled.endswith("Tensor") else None
    if wanted is not None and live.dtype_name(live.dtype(tensor)) != wanted:
        return False
    if fields.get("node") and live.grad_fn(tensor) is None and not live.requires_grad(tensor):
        return False
    return True


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalpha())


def _module_op(class_name: str) -> str:
    """The autograd op an ``inplace=True`` module runs (``ReLU6`` is a hardtanh)."""
    return {"relu6": "hardtanh"}.get(_letters(class_name), _letters(class_name))


def _deleted_later(analysis: Analysis, write: Write) -> bool:
    """``del acts`` after the write: the name is gone, the tensor the graph saved is not."""
    for stmt in analysis.timeline.stmts[write.stmt.index + 1:]:
        node = stmt.node
        if stmt.scope is None and isinstance(node, ast.Delete) \
                and any(dotted_name(target) == write.name for target in node.targets):
            return True
    return False


def _optimizer_score(optimizer: Any, shape_text: str | None, version: int | None) -> int:
    """High when the optimizer owns a parameter of the message's size at the message's version."""
    if shape_text is None or version is None:
        return 0
    wanted = 1
    for part in shape_text.replace(" ", "").split(","):
        wanted *= int(part) if part.isdigit() else 1
    for param in optimizer_parameters(optimizer):
        dims = live.shape(param)
        numel = 1
        for d in dims:
            numel *= d
        if numel == wanted and live.version(param) == version:
            return 10
    return 0


def _related(tensor: Any, culprit: Any, attribute: str | None) -> bool:
    """Could ``tensor`` be the one ``culprit`` saved (as its output, or as an input)?

    After an in-place write a tensor's ``grad_fn`` is the write's node, whose
    inputs include the node that made it before: both count as "its" node.
    """
    own = live.grad_fn(tensor)
    around = {id(n) for n in [own] + autograd_graph.next_nodes(own) if n is not None}
    if attribute == "_saved_result":
        return id(culprit) in around
    inputs = autograd_graph.next_nodes(culprit)
    if any(id(n) in around for n in inputs):
        return True
    return any(autograd_graph.accumulated_variable(n) is tensor for n in inputs)


def _op_touches(analysis: Analysis, write: Write, op: str) -> bool:
    return _saving_statement(analysis, write, op) is not None


def _saving_statement(analysis: Analysis, write: Write, op: str) -> Stmt | None:
    """The statement before the write that applied ``op`` to, or made, the written variable."""
    if not op or op == "?":
        return None
    for stmt in reversed(analysis.timeline.stmts[: write.stmt.index]):
        if stmt.scope != write.stmt.scope:
            continue
        value = rhs_of(stmt)
        if value is None:
            continue
        mentions = write.name in _names(value) or write.name in _bound(stmt)
        if mentions and any(_call_op(call) == op for call in ast.walk(value) if isinstance(call, ast.Call)):
            return stmt
        if mentions and op in ("mul", "add", "sub", "div", "pow") and _has_binop(value, op):
            return stmt
    return None


def _names(node: ast.AST) -> set[str]:
    """Names and dotted names an expression mentions (memoised on the node)."""
    cached = node.__dict__.get("_ae_names")
    if cached is None:
        cached = set()
        for child in ast.walk(node):
            if isinstance(child, ast.Name):
                cached.add(child.id)
            elif isinstance(child, ast.Attribute):
                name = dotted_name(child)
                if name:
                    cached.add(name)
        node._ae_names = cached  # type: ignore[attr-defined]
    return cached


def _bound(stmt: Stmt) -> set[str]:
    node = stmt.node
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {dotted_name(t) or "" for t in targets if t is not None}


def _call_op(call: ast.Call) -> str:
    name = dotted_name(call.func) or ""
    return name.rsplit(".", 1)[-1].lower().rstrip("_")


_BINOPS = {"mul": ast.Mult, "add": ast.Add, "sub": ast.Sub, "div": ast.Div, "pow": ast.Pow}


def _has_binop(node: ast.AST, op: str) -> bool:
    kind = _BINOPS[op]
    return any(isinstance(child, ast.BinOp) and isinstance(child.op, kind) for child in ast.walk(node))


def _write_from_trace(analysis: Analysis, traced: Any, writes: list[Write]) -> Write | None:
    """The write at the exact line trace mode recorded (it beats any static guess)."""
    if not traced.filename or not traced.lineno:
        return None
    stmt = analysis.timeline.statement_at(traced.filename, traced.lineno)
    if stmt is None:
        from ..context import is_user_file
        from ..source import unit_from_linecache

        unit = unit_from_linecache(traced.filename) if is_user_file(traced.filename) else None
        if unit is not None:
            analysis.timeline.add_unit(unit, top_scope=f"<file {traced.filename}>")
            stmt = analysis.timeline.statement_at(traced.filename, traced.lineno)
    if stmt is None:
        return None
    in_library = bool(traced.inner_filename) and traced.inner_filename != traced.filename
    if in_library:
        modules = _live_inplace_modules(analysis)
        if modules:
            renamed = (_with_module_name(w, modules) for w in writes if w.cause == "inplace_module")
            module_writes = [w for w in renamed if w.name in modules]
            if module_writes:
                return module_writes[-1]
    here = [w for w in writes if w.stmt is stmt] or list(_writes_in(stmt))
    if here:
        return here[0]
    op = traced.op.split(".")[1] if "." in traced.op else traced.op
    cause = "out_argument" if traced.argument == "out" else (
        "setitem" if op in ("copy_", "index_put_", "masked_fill_", "fill_") else "inplace_method")
    return Write(stmt, _written_name(analysis, stmt, traced) or analysis.target_text or "?", cause, stmt.line)


def _written_name(analysis: Analysis, stmt: Stmt, traced: Any) -> str | None:
    """The variable of ``stmt`` that is the tensor trace mode saw written (shape and version)."""
    for name in sorted(names_read(stmt.node)):
        value = analysis.provenance.live_value(name, stmt.scope)
        if live.is_tensor(value) and traced.matches_shape(live.shape(value)) \
                and live.version(value) >= traced.version_after:
            return name
    return None


def _traced_write(analysis: Analysis, fields: dict[str, str] | Any, expected: int | None,
                  culprit: str | None = None, attribute: str | None = None) -> Any:
    """A write recorded by trace mode that matches the message, if trace mode ran.

    Records outlive the cells that made them, so a record must also fit the
    culprit node: a saved *result* was written while that node was its grad_fn.
    """
    try:
        from .. import tracing as trace
    except Exception:
        return None
    finder = getattr(trace, "find_culprit_write", None)
    if finder is None:
        return None
    try:
        found = finder(fields.get("shape"), _int(fields.get("version")), expected, culprit or fields.get("node"))
    except Exception:
        return None
    if found is not None and culprit and attribute == "_saved_result" and found.node \
            and autograd_graph.op_name(found.node) != autograd_graph.op_name(culprit):
        return None
    return found
