"""Errors about the arguments of ``torch.autograd.grad`` and ``backward``.

* ``The differentiated Tensor at index N appears to not have been used in the
  graph`` (``unused-input``): map N to the user's variable in ``inputs``.
* ``One of the differentiated Tensors does not require grad``
  (``no-grad-input``): the input whose live tensor has ``requires_grad=False``.
* ``Mismatch in shape: grad_output[0] has a shape of ...``
  (``grad-shape-mismatch``): the ``gradient=`` / ``grad_outputs=`` argument.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from .. import autograd_graph, live
from ..context import Analysis
from ..diagnosis import Finding
from ..source import Stmt, dotted_name
from .common import finding, location, rhs_of
from .origins import caller_argument, same_object_elsewhere
from .writes import argument, definition_stmt, elements, grad_call, live_expr, text


def _inputs(analysis: Analysis, call: ast.Call, stmt: Stmt) -> list[tuple[str, Any]]:
    """(name, live value) of each differentiated input, expanding ``m.parameters()``."""
    found: list[tuple[str, Any]] = []
    for element in _concatenated(analysis, elements(analysis, argument(call, 1, "inputs"), stmt), stmt):
        element = _parameters_call(element) or element
        if isinstance(element, ast.Call) and isinstance(element.func, ast.Attribute) \
                and element.func.attr in ("parameters", "named_parameters"):
            owner = dotted_name(element.func.value)
            module = live_expr(analysis, element.func.value, stmt.scope)
            if owner and live.is_module(module):
                found.extend((f"{owner}.{name}", p) for name, p in live.named_parameters(module))
                continue
        if isinstance(element, ast.Starred):
            element = element.value
        found.append((dotted_name(element) or text(element), live_expr(analysis, element, stmt.scope)))
    return found


def _concatenated(analysis: Analysis, items: list[ast.expr], stmt: Stmt) -> list[ast.expr]:
    """``a + b`` of lists (``list(m.parameters()) + [x]``) as the elements of both, in order."""
    out: list[ast.expr] = []
    for item in items:
        if isinstance(item, ast.BinOp) and isinstance(item.op, ast.Add):
            out.extend(_concatenated(analysis, elements(analysis, item.left, stmt), stmt))
            out.extend(_concatenated(analysis, elements(analysis, item.right, stmt), stmt))
        else:
            out.append(item)
    return out


def _parameters_call(node: ast.expr) -> ast.Call | None:
    """``m.parameters()`` inside ``list(m.parameters())`` or ``[p for p in m.parameters()]``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple") \
            and len(node.args) == 1:
        node = node.args[0]
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)) and len(node.generators) == 1 \
            and not node.generators[0].ifs and isinstance(node.elt, ast.Name) \
            and isinstance(node.generators[0].target, ast.Name) and node.generators[0].target.id == node.elt.id:
        node = node.generators[0].iter
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "parameters":
        return node
    return None


# -- unused-input ----------------------------------------------------------------
def diagnose_unused(analysis: Analysis) -> Finding:
    kind = "unused-input"
    stmt = analysis.raising_stmt
    call = grad_call(stmt)
    index_text = analysis.parsed.fields.get("index")
    index = int(index_text) if index_text and index_text.isdigit() else None
    if stmt is None or call is None:
        return finding(analysis, kind, "unknown", [], stmt, index=index if index is not None else "?")
    inputs = _inputs(analysis, call, stmt)
    output = text(argument(call, 0, "outputs"))
    chosen = None
    if index is not None and index < len(inputs):
        chosen = inputs[index]
    elif len(inputs) == 1:
        chosen = inputs[0]
    if chosen is None:
        return finding(analysis, kind, "unknown", [], stmt, index=index if index is not None else "?",
                       output=output)
    name, value = chosen
    output_name = output if output and output.isidentifier() else None
    made = definition_stmt(analysis, output_name, stmt) if output_name else None
    blame = stmt
    rebound = None
    if made is not None:
        # the input re-bound after the output was computed: the output used the old tensor
        later = [d for d in analysis.timeline.definitions(name, made.scope)
                 if made.index < d.stmt.index < stmt.index]
        if later:
            rebound = later[0].stmt
            blame = rebound
    copy = cut = None
    if rebound is None:
        copy = _copy_in_graph(analysis, name, value, analysis.resolve(argument(call, 0, "outputs"), stmt.scope), stmt)
        if copy is not None:
            blame = copy
    if rebound is None and copy is None and made is not None:
        cut = _cut_use(analysis, name, made)
        if cut is not None:
            blame = cut
    params_extra = {"allow_line": _with_keyword(stmt.line, call, "allow_unused", ast.Constant(True))}
    return finding(analysis, kind, "not_in_graph", [name, output_name], blame, **params_extra,
                   index=index if index is not None else 0, output=output or "outputs",
                   made_line=made.line if made else None, made_where=location(made) if made else None,
                   rebound=rebound.line if rebound else None, grad_line=stmt.line, grad_where=location(stmt),
                   variant="copied" if copy is not None else ("cut_use" if cut is not None else None),
                   copy_line=copy.line if copy else None)


def _cut_use(analysis: Analysis, name: str, made: Stmt) -> Stmt | None:
    """The statement on the way to the output that read ``name`` (or its module) only through a
    cut: ``out = net(x.data)``, ``z = encoder(x).detach()``, a use under ``torch.no_grad()``."""
    from .common import dependency_closure

    owner = name.split(".")[0].split("[")[0]
    target = rhs_of(made)
    statements = [made]
    if target is not None:
        statements += list(dependency_closure(analysis, target, made).values())
    for stmt in sorted(dict.fromkeys(statements, None), key=lambda s: s.index):
        node = stmt.node
        reads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if owner not in reads:
            continue
        if stmt.grad_mode in ("no_grad", "inference_mode", "grad_disabled"):
            return stmt
        for child in ast.walk(node):
            receiver = None
            if isinstance(child, ast.Attribute) and child.attr == "data":
                receiver = child.value
            elif isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) \
                    and child.func.attr in ("detach", "numpy", "item", "tolist"):
                receiver = child.func.value
            if receiver is not None and owner in {n.id for n in ast.walk(receiver) if isinstance(n, ast.Name)}:
                return stmt
    return None


def _copy_in_graph(analysis: Analysis, name: str, value: Any, output: Any, stmt: Stmt) -> Stmt | None:
    """The statement that made the copy of ``name`` the output's graph really used.

    MAML's ``temp_model = copy.deepcopy(model)`` then ``grad(loss, model.parameters())``:
    the graph's leaves are ``temp_model``'s parameters, which have the input's
    shape and dtype but are other tensors. The copy's owner is found among the
    namespace's variables, and its making statement must read the input's owner.
    """
    if not live.is_tensor(value) or not live.is_tensor(output):
        return None
    twins = []
    for node in autograd_graph.walk(live.grad_fn(output), limit=5_000):
        leaf = autograd_graph.accumulated_variable(node)
        if leaf is not None and leaf is not value and live.is_tensor(leaf) \
                and live.shape(leaf) == live.shape(value) and live.dtype(leaf) == live.dtype(value):
            twins.append(leaf)
    if not twins:
        return None
    input_owner = name.split(".")[0].split("[")[0]
    namespace = analysis.namespace
    if type(namespace) is not dict:
        return None
    for key, item in list(namespace.items()):
        if type(key) is not str or key.startswith("_") or key == input_owner:
            continue
        if not _holds_any(item, twins) or _holds_any(item, [value]):
            continue  # (a container of the input itself, `inputs = (y, x)`, is no copy of it)
        made = definition_stmt(analysis, key, stmt)
        if made is not None and input_owner in {n.id for n in ast.walk(made.node) if isinstance(n, ast.Name)}:
            # made through a helper that cut the copy from its source (`.detach()` of updated
            # weights): that cut is the line that lost the link
            try:
                cut = analysis.provenance.value_of_name(key, stmt).cut
            except Exception:
                cut = None
            if cut is not None and cut.cause in ("detach", "data_attribute", "tensor_rewrap") \
                    and cut.stmt.scope is not None:
                return cut.stmt
            return made
    return None


def _holds_any(item: Any, tensors: list[Any]) -> bool:
    """``item`` is one of ``tensors`` or a module with one of them as a parameter."""
    if any(item is t for t in tensors):
        return True
    if type(item) in (list, tuple, dict):
        elements = list(item.values() if type(item) is dict else item)[:512]
        return any(element is t for element in elements for t in tensors)
    if live.is_module(item):
        ids = {id(t) for t in tensors}
        return any(id(p) in ids for _, p in live.named_parameters(item))
    return False


# -- no-grad-input -----------------------------------------------------------------
def diagnose_no_grad_input(analysis: Analysis) -> Finding:
    kind = "no-grad-input"
    stmt = analysis.raising_stmt
    call = grad_call(stmt)
    if stmt is None or call is None:
        return finding(analysis, kind, "unknown", [], stmt)
    inputs = _inputs(analysis, call, stmt)
    output = text(argument(call, 0, "outputs"))
    for position, (name, value) in enumerate(inputs):
        if live.is_tensor(value) and not live.requires_grad(value):
            made = definition_stmt(analysis, name, stmt) if "." not in name else _freezing(analysis, name, stmt)
            origin = None
            if made is None and "." not in name:
                origin = _outer_origin(analysis, name, stmt, value)
            if origin is not None:
                outer_name, made = origin
                return finding(analysis, kind, "input_without_grad", [outer_name, name], made, index=position,
                               output=output or "outputs", grad_line=stmt.line, grad_where=location(stmt),
                               variant="passed_in" if outer_name != name else None, param=name,
                               function=(stmt.scope or "").rsplit(".", 1)[-1])
            return finding(analysis, kind, "input_without_grad", [name], made or stmt, index=position,
                           output=output or "outputs", grad_line=stmt.line, grad_where=location(stmt))
    return finding(analysis, kind, "unknown", [inputs[0][0]] if inputs else [], stmt, output=output or "outputs")


def _outer_origin(analysis: Analysis, name: str, stmt: Stmt, value: Any) -> tuple[str, Stmt] | None:
    """``name`` is a parameter of the function ``stmt`` is in: the caller's variable passed for it
    and the statement that made that (following calls outwards), or the caller's call when an
    expression was passed."""
    current, at = name, stmt
    for _ in range(8):
        definition = analysis.timeline.definition_before(current, at.scope, at.index)
        if definition is None or not definition.parameter:
            break
        passed = caller_argument(analysis, current, at)
        if passed is None:
            break
        expression, caller = passed
        spelled = dotted_name(expression)
        if not spelled or "()" in spelled:
            return name, caller  # made by the argument expression at the call
        made = definition_stmt(analysis, spelled, caller) if "." not in spelled else None
        if made is not None:
            return spelled, made
        current, at = spelled, caller
    # the same tensor bound in an outer frame or in the notebook's namespace
    found = same_object_elsewhere(analysis, value, stmt.scope)
    if found is not None:
        outer, scope = found
        candidates = analysis.timeline.definitions(outer, scope)
        before = [d for d in candidates if d.stmt.index < stmt.index and not d.parameter]
        if before:
            return outer, before[-1].stmt
    return None


def _freezing(analysis: Analysis, name: str, before: Stmt) -> Stmt | None:
    """The latest ``x.requires_grad = False`` / ``x.requires_grad_(False)`` about module ``name``'s owner
    (spelled on it, or in a loop over its parameters)."""
    owner = name.split(".")[0]
    for stmt in reversed(analysis.timeline.stmts[: before.index]):
        node = stmt.node
        freezes = False
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is False:
            freezes = any(isinstance(t, ast.Attribute) and t.attr == "requires_grad" for t in node.targets)
        for call in (c for c in ast.walk(node) if isinstance(c, ast.Call)):
            if isinstance(call.func, ast.Attribute) and call.func.attr == "requires_grad_" and call.args \
                    and isinstance(call.args[0], ast.Constant) and call.args[0].value is False:
                freezes = True
        if not freezes:
            continue
        mentioned = {n.split(".")[0] for n in _read_names(node)}
        for loop_index in stmt.loops:
            loop = analysis.timeline.stmts[loop_index].node
            if isinstance(loop, ast.For):
                mentioned |= {n.split(".")[0] for n in _read_names(loop.iter)}
        if owner in mentioned:
            return stmt
    return None


def _read_names(node: ast.AST) -> set[str]:
    return {dotted_name(n) or "" for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute))}


# -- grad-shape-mismatch -------------------------------------------------------------
def diagnose_shape(analysis: Analysis) -> Finding:
    kind = "grad-shape-mismatch"
    stmt = analysis.raising_stmt
    fields = dict(analysis.parsed.fields)
    match = _MISMATCH.search(analysis.parsed.message)
    if match:
        fields.update(match.groupdict())
    params = dict(grad_shape=_shape(fields.get("grad_shape")), out_shape=_shape(fields.get("out_shape")),
                  index=fields.get("index", "0"))
    if stmt is None:
        return finding(analysis, kind, "unknown", [analysis.target_text], None, **params)
    index = int(fields.get("index", "0") or 0)
    gradient = None
    output = analysis.target_node
    call = grad_call(stmt)
    if call is not None:
        outputs = elements(analysis, argument(call, 0, "outputs"), stmt)
        grads = elements(analysis, argument(call, 2, "grad_outputs"), stmt)
        if index < len(outputs):
            output = outputs[index]
        if index < len(grads):
            gradient = grads[index]
        elif len(grads) == 1:
            gradient = grads[0]
    else:
        for node in ast.walk(stmt.node):
            if isinstance(node, ast.Call) and (dotted_name(node.func) or "").endswith("autograd.backward"):
                outputs = elements(analysis, argument(node, 0, "tensors"), stmt)
                grads = elements(analysis, argument(node, 1, "grad_tensors"), stmt)
                output = outputs[index] if index < len(outputs) else output
                gradient = grads[index] if index < len(grads) else None
                break
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "backward":
                output = node.func.value
                gradient = argument(node, 0, "gradient")
                break
    output_text = text(output) if output is not None else (analysis.target_text or "output")
    gradient_text = text(gradient) if gradient is not None else "gradient"
    gradient_name = dotted_name(gradient) if gradient is not None else None
    cause = "gradient_argument" if gradient is not None else "unknown"
    fixed = _replace_expr(stmt.line, gradient_text, f"torch.ones_like({output_text})") if gradient is not None \
        else stmt.line
    return finding(analysis, kind, cause, [output_text, gradient_name], stmt, output=output_text,
                   gradient=gradient_text, fixed_line=fixed, **params)


def _with_keyword(line: str, call: ast.Call, keyword: str, value: ast.expr) -> str:
    """``line`` with ``keyword=value`` added to the call spelled like ``call``."""
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return line
    spelled = text(call)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and text(node) == spelled:
            node.keywords = [k for k in node.keywords if k.arg != keyword] + [ast.keyword(keyword, value)]
            return ast.unparse(tree)
    return line


def _replace_expr(line: str, old: str, new: str) -> str:
    """``line`` with the sub-expression spelled ``old`` replaced by ``new``."""
    try:
        tree = ast.parse(line.strip())
        replacement = ast.parse(new, mode="eval").body
    except SyntaxError:
        return line

    class Swap(ast.NodeTransformer):
        done = False

        def generic_visit(self, node: ast.AST) -> ast.AST:
            if not self.done and isinstance(node, ast.expr) and text(node) == old:
                self.done = True
                return replacement
            return super().generic_visit(node)

    swapped = Swap().visit(tree)
    return ast.unparse(swapped)


_MISMATCH = re.compile(r"grad_output\[(?P<index>\d+)\] has a shape of (?P<grad_shape>torch\.Size\(\[[\d, ]*\]\)|\S+)"
                       r" and output\[\d+\] has a shape of (?P<out_shape>torch\.Size\(\[[\d, ]*\]\)|\S+)")


def _shape(spelled: str | None) -> str:
    if not spelled:
        return "?"
    inner = spelled.strip().rstrip(".")
    if inner.startswith("torch.Size(") and inner.endswith(")"):
        inner = inner[len("torch.Size("):-1]
    return inner
