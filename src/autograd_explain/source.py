"""The code the user ran, as one timeline of statements.

A notebook's cells (in execution order, re-runs included) or a script's files
are parsed with :mod:`ast` into :class:`Stmt` records that know their cell or
file, their line, the function they belong to (``scope``) and the grad mode
around them (``with torch.no_grad():``, ``@torch.no_grad()``, a global
``torch.set_grad_enabled(False)``). Provenance and the rules read this timeline;
nothing here runs or evaluates code.
"""

from __future__ import annotations

import ast
import functools
import linecache
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator

#: grad-mode context names, as :func:`grad_mode_of_call` returns them.
GRAD_OFF = ("no_grad", "inference_mode", "grad_disabled")


@dataclass(frozen=True)
class SourceUnit:
    """One executed piece of code: a cell run or a file."""

    filename: str
    text: str
    label: str | None = None  # "In [3]" for a cell, None for a file


@dataclass(eq=False)
class Stmt:
    """A statement of the timeline (compound statements appear as headers)."""

    index: int
    node: ast.stmt
    unit: SourceUnit
    scope: str | None
    grad_mode: str | None
    loops: tuple[int, ...]
    lines: list[str] = field(repr=False, default_factory=list)
    inner_scope: str | None = None  # for a def: the scope of its body
    inner_mode: str | None = None  # for a def: grad mode set by its decorators
    maybe_grad_disabled: bool = False  # inside `with torch.set_grad_enabled(<expression>):`
    #: the ``if`` statements around this one in its scope, outermost first, each with the
    #: side it sits in (True: the body, False: the ``else``/``elif`` part)
    branches: tuple[tuple["Stmt", bool], ...] = ()

    @property
    def filename(self) -> str:
        return self.unit.filename

    @property
    def lineno(self) -> int:
        return self.node.lineno

    @property
    def end_lineno(self) -> int:
        return self.node.end_lineno or self.node.lineno

    @property
    def line(self) -> str:
        """The text of the statement's first line, stripped."""
        if 0 < self.lineno <= len(self.lines):
            return self.lines[self.lineno - 1].strip()
        return ""

    def contains_line(self, lineno: int) -> bool:
        return self.lineno <= lineno <= self.end_lineno


@dataclass(frozen=True)
class Definition:
    """A binding of ``name`` by statement ``stmt``.

    ``value`` is the expression bound (``None`` when it cannot be told, e.g. a
    ``for`` target or a function parameter); ``augmented`` marks ``x += ...``.
    """

    name: str
    stmt: Stmt
    value: ast.expr | None
    augmented: bool = False
    parameter: bool = False
    position: int | None = None  # index in a tuple target: `_, pred = x.max(1)` binds pred at 1
    module_level: bool = False  # bound in a function that declared the name `global`

    @property
    def scope(self) -> str | None:
        """The scope the name is bound in (a parameter belongs to its function's body)."""
        if self.module_level:
            return None
        return self.stmt.inner_scope if self.parameter else self.stmt.scope


def dotted_name(node: ast.AST) -> str | None:
    """``torch.nn.functional.relu`` for an Attribute chain of Names, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = dotted_name(node.func)
        if inner:
            parts.append(inner + "()")
            return ".".join(reversed(parts))
    return None


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def grad_mode_of_call(node: ast.expr) -> str | None:
    """The grad mode a ``with``-item or decorator sets, by its spelling."""
    call = node if isinstance(node, ast.Call) else None
    name = dotted_name(call.func if call else node) or ""
    last = name.rsplit(".", 1)[-1]
    if last == "no_grad":
        return "no_grad"
    if last == "inference_mode":
        if call and call.args and _is_false(call.args[0]):
            return None
        if call and any(k.arg == "mode" and _is_false(k.value) for k in call.keywords):
            return None
        return "inference_mode"
    if last == "set_grad_enabled" and call is not None:
        arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "mode"), None)
        if _is_false(arg):
            return "grad_disabled"
        if isinstance(arg, ast.Constant) and arg.value is True:
            return "enable_grad"
        return "maybe_grad_disabled"
    if last == "enable_grad":
        return "enable_grad"
    return None


class Timeline:
    """Statements of the executed units, in execution order."""

    def __init__(self, units: Iterable[SourceUnit]) -> None:
        self.units: list[SourceUnit] = []
        self.stmts: list[Stmt] = []
        self._global_mode: str | None = None
        self._definitions: dict[tuple[str | None, str], list[Definition]] = {}
        self.functions: dict[str, Stmt] = {}
        self._self_attributes: dict[str, list[Definition]] = {}
        self._subscript_stores: dict[str, list[Stmt]] = {}
        #: every ``def`` of a qualname, in execution order (a cell re-run with an edit redefines it)
        self.function_versions: dict[str, list[Stmt]] = {}
        for unit in units:
            self.add_unit(unit)

    def copy(self) -> "Timeline":
        """A timeline sharing the (read-only) statements, with its own lists to extend."""
        other = Timeline(())
        other.units = list(self.units)
        other.stmts = list(self.stmts)
        other._global_mode = self._global_mode
        other._definitions = {key: list(value) for key, value in self._definitions.items()}
        other.functions = dict(self.functions)
        other.function_versions = {key: list(value) for key, value in self.function_versions.items()}
        other._self_attributes = {key: list(value) for key, value in self._self_attributes.items()}
        other._subscript_stores = {key: list(value) for key, value in self._subscript_stores.items()}
        return other

    def add_unit(self, unit: SourceUnit, top_scope: str | None = None) -> None:
        """Append a unit's statements; ``top_scope`` keeps an imported file's globals apart."""
        first = len(self.stmts)
        self._add_unit(unit, top_scope)
        declared_global: dict[str, set[str]] = {}
        function_locals: dict[str, set[str]] = {}
        for stmt in self.stmts[first:]:
            if isinstance(stmt.node, ast.Global) and stmt.scope is not None:
                declared_global.setdefault(stmt.scope, set()).update(stmt.node.names)
            if isinstance(stmt.node, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.inner_scope:
                function_locals[stmt.inner_scope] = local_names(stmt.node)
            for definition in _definitions_of(stmt):
                if stmt.scope is not None and definition.name in declared_global.get(stmt.scope, ()):
                    # `global feats` then `feats = ...` in a function: the module's feats
                    definition = replace(definition, module_level=True)
                elif top_scope is None and stmt.scope in function_locals and "." in definition.name \
                        and definition.name.split(".", 1)[0] not in function_locals[stmt.scope]:
                    # `policy.saved_log_probs.append(x)` in a function: an attribute of the
                    # module's `policy`, which every other function and cell sees
                    definition = replace(definition, module_level=True)
                self._definitions.setdefault((definition.scope, definition.name), []).append(definition)
                if definition.name.startswith("self.") and definition.name.count(".") == 1:
                    self._self_attributes.setdefault(definition.name[5:], []).append(definition)
            if isinstance(stmt.node, ast.Assign):
                for target in stmt.node.targets:
                    owner = dotted_name(target.value) if isinstance(target, ast.Subscript) else None
                    if owner:
                        self._subscript_stores.setdefault(owner, []).append(stmt)
            if isinstance(stmt.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                key = stmt.inner_scope or stmt.node.name
                self.functions[key] = stmt
                self.function_versions.setdefault(key, []).append(stmt)
                for parameter in function_parameters(stmt):
                    self._definitions.setdefault((stmt.inner_scope, parameter), []).append(
                        Definition(parameter, stmt, None, parameter=True))

    # -- building -------------------------------------------------------------
    def _add_unit(self, unit: SourceUnit, top_scope: str | None = None) -> None:
        tree = _parse(unit.text, unit.filename)
        if tree is None:
            return
        self.units.append(unit)
        lines = unit.text.splitlines()
        self._walk(tree.body, unit, lines, scope=top_scope, mode=None, loops=(), prefix=None)

    def _walk(self, body: list[ast.stmt], unit: SourceUnit, lines: list[str], scope: str | None,
              mode: str | None, loops: tuple[int, ...], maybe_off: bool = False, prefix: str | None = "",
              conditional: bool = False, branches: tuple[tuple[Stmt, bool], ...] = ()) -> None:
        """Append ``body``'s statements; ``prefix`` is the qualname of the enclosing def/class."""
        if prefix == "":
            prefix = scope
        for node in body:
            # Function bodies take grad mode from their decorators only: the
            # global mode matters when they are called, not where defined.
            effective = mode or (self._global_mode if scope is None else None)
            stmt = Stmt(len(self.stmts), node, unit, scope, effective, loops, lines)
            stmt.maybe_grad_disabled = maybe_off
            stmt.branches = branches
            self.stmts.append(stmt)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner_mode = None
                for decorator in node.decorator_list:
                    inner_mode = grad_mode_of_call(decorator) or inner_mode
                inner_scope = f"{prefix}.{node.name}" if prefix else node.name
                stmt.inner_scope = inner_scope
                stmt.inner_mode = _off(inner_mode)
                self._walk(node.body, unit, lines, inner_scope, _off(inner_mode), ())
            elif isinstance(node, ast.ClassDef):
                inner_scope = f"{prefix}.{node.name}" if prefix else node.name
                self._walk([n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))],
                           unit, lines, inner_scope, None, ())
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                inner = effective
                for item in node.items:
                    found = grad_mode_of_call(item.context_expr)
                    if found:
                        inner = found
                self._walk(node.body, unit, lines, scope, _off(inner), loops,
                           maybe_off or inner == "maybe_grad_disabled", prefix, conditional, branches)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                self._walk(node.body, unit, lines, scope, mode, loops + (stmt.index,), maybe_off, prefix,
                           conditional, branches)
                self._walk(node.orelse, unit, lines, scope, mode, loops, maybe_off, prefix, conditional,
                           branches)
            elif isinstance(node, ast.If):
                # A branch may not have run: a grad switch inside it is not taken as fact.
                self._walk(node.body, unit, lines, scope, mode, loops, maybe_off, prefix, True,
                           branches + ((stmt, True),))
                self._walk(node.orelse, unit, lines, scope, mode, loops, maybe_off, prefix, True,
                           branches + ((stmt, False),))
            elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                for block in (node.body, *(h.body for h in node.handlers),  # type: ignore[attr-defined]
                              node.orelse, node.finalbody):  # type: ignore[attr-defined]
                    self._walk(block, unit, lines, scope, mode, loops, maybe_off, prefix, True, branches)
            elif scope is None and isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                # A bare torch.set_grad_enabled(False) switches grad mode for
                # everything run after it, in later cells too.
                switched = grad_mode_of_call(node.value)
                if switched == "grad_disabled" and not conditional:
                    self._global_mode = "grad_disabled"
                elif switched == "enable_grad":
                    self._global_mode = None

    # -- queries --------------------------------------------------------------
    def definitions(self, name: str, scope: str | None) -> list[Definition]:
        return self._definitions.get((scope, name), [])

    def self_attribute_definitions(self, class_qualname: str, attribute: str) -> list[Definition]:
        """Bindings of ``self.<attribute>`` in the methods of a class, in execution order."""
        prefix = class_qualname + "."
        found = [d for d in self._self_attributes.get(attribute, ())
                 if d.stmt.scope is not None and d.stmt.scope.startswith(prefix)]
        return sorted(found, key=lambda d: d.stmt.index)

    def subscript_stores(self, owner: str) -> list[Stmt]:
        """Statements ``owner[...] = value`` (any scope), in execution order."""
        return self._subscript_stores.get(owner, [])

    def definition_before(self, name: str, scope: str | None, index: int,
                          live: LiveLookup | None = None) -> Definition | None:
        """The last binding of ``name`` in ``scope`` made before statement ``index``.

        With ``live`` (the live value of a name in a scope, or :data:`UNDECIDED`), a
        binding in the side of an ``if`` that, by its condition read safely from live
        values, did not run is passed over (see :meth:`branch_not_taken`).
        """
        found = None
        for definition in self.definitions(name, scope):
            if definition.stmt.index < index:
                if live is not None and not definition.parameter \
                        and self.branch_not_taken(definition.stmt, live):
                    continue
                found = definition
        return found

    def branch_not_taken(self, stmt: Stmt, live: LiveLookup) -> bool:
        """Is ``stmt`` in a side of an ``if`` that did not run, by the condition's live value?

        Only decided for conditions built from constants and local names (``x is None``,
        ``not flag``, ``n > 1``) whose names nothing rebinds after the ``if`` nor in a loop
        around it, so their live values are the ones the condition saw; values are only
        compared when they are plain ``None``/``bool``/``int``/``float``/``str`` (``is``
        compares identities). No user code runs; anything else is undecided (False).
        """
        for branch, side in stmt.branches:
            test = branch.node.test if isinstance(branch.node, ast.If) else None
            if test is None or not self._stable_names(test, branch):
                continue
            value = _decide(test, lambda name: live(name, branch.scope))
            if value is not UNDECIDED and _plain(value) and bool(value) is not side:
                return True
        return False

    def _stable_names(self, test: ast.expr, branch: Stmt) -> bool:
        """Every name ``test`` reads is local to ``branch``'s scope and bound only before it, once
        (a parameter, or a statement of that scope outside any loop around the ``if``)."""
        names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
        for name in names:
            definitions = self.definitions(name, branch.scope)
            if not definitions:
                return False
            for definition in definitions:
                if definition.parameter:
                    if branch.scope is None or definition.stmt.index > branch.index:
                        return False
                    continue
                bound = definition.stmt
                if bound.index >= branch.index or bound.scope != branch.scope or definition.module_level \
                        or bound.index in branch.loops or set(bound.loops) & set(branch.loops):
                    return False
        return True

    def is_latest(self, definition: Definition) -> bool:
        later = self.definitions(definition.name, definition.scope)
        return bool(later) and later[-1] is definition

    def statement_at(self, filename: str, lineno: int) -> Stmt | None:
        """The innermost statement at ``filename:lineno`` in the latest run of that unit."""
        best: Stmt | None = None
        last_unit = None
        for unit in self.units:
            if unit.filename == filename:
                last_unit = unit
        for stmt in self.stmts:
            if stmt.unit is last_unit and stmt.contains_line(lineno):
                if best is None or stmt.index > best.index:
                    best = stmt
        return best

    def grad_enabled_later(self, name: str, scope: str | None, after: int, before: int) -> Stmt | None:
        """A statement strictly between ``after`` and ``before`` that turns on ``name.requires_grad``."""
        for stmt in self.stmts[after + 1: before]:
            if stmt.scope == scope and _enables_grad_of(stmt.node) == name:
                return stmt
        return None

    def function(self, scope: str, before: int | None = None, code: Any = None) -> Stmt | None:
        """The ``def`` statement whose body is ``scope``: the latest one, unless told which.

        A notebook often defines a function or class several times (a cell
        edited and re-run). ``code`` (the live function's ``__code__``) picks the
        version an existing object really runs; ``before`` the last version
        defined before that statement index (what a call there ran).
        """
        versions = self.function_versions.get(scope)
        if not versions:
            return None
        if before is not None:
            versions = [v for v in versions if v.index < before] or versions
        if code is not None:
            filename = getattr(code, "co_filename", None)
            first = getattr(code, "co_firstlineno", None)
            for stmt in reversed(versions):
                if stmt.filename == filename and first in def_lines(stmt.node):
                    return stmt
        return versions[-1]

    def body(self, definition: Stmt) -> list[Stmt]:
        """The statements of one ``def``'s body, this version only (they follow it in the timeline)."""
        scope = definition.inner_scope
        if scope is None:
            return []
        found = []
        for stmt in self.stmts[definition.index + 1:]:
            inner = stmt.scope or ""
            if inner == scope:
                found.append(stmt)
            elif not inner.startswith(scope + "."):
                break
        return found

    def in_scope(self, scope: str | None) -> Iterator[Stmt]:
        return (stmt for stmt in self.stmts if stmt.scope == scope)


#: the live value of a name in a scope (``UNDECIDED`` when there is none)
LiveLookup = Callable[[str, "str | None"], Any]
#: a condition (or a name) whose value cannot be told safely
UNDECIDED: Any = object()
_PLAIN = (type(None), bool, int, float, str)
_COMPARE = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
}


def _plain(value: Any) -> bool:
    return type(value) in _PLAIN


def _decide(node: ast.expr, value_of: Callable[[str], Any]) -> Any:
    """The value of a small condition from live values, or ``UNDECIDED``; never runs user code.

    Names give their live object; only ``is``/``is not`` look at other objects (by
    identity). Truth tests, ``not`` and comparisons need plain values.
    """
    if isinstance(node, ast.Constant):
        return node.value if _plain(node.value) else UNDECIDED
    if isinstance(node, ast.Name):
        return value_of(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        operand = _decide(node.operand, value_of)
        return not operand if operand is not UNDECIDED and _plain(operand) else UNDECIDED
    if isinstance(node, ast.BoolOp):
        result: Any = UNDECIDED
        for operand_node in node.values:
            result = _decide(operand_node, value_of)
            if result is UNDECIDED or not _plain(result):
                return UNDECIDED
            if bool(result) is isinstance(node.op, ast.Or):
                return result  # short circuit: `or` stops at a true value, `and` at a false one
        return result
    if isinstance(node, ast.Compare):
        left = _decide(node.left, value_of)
        for op, right_node in zip(node.ops, node.comparators):
            right = _decide(right_node, value_of)
            if left is UNDECIDED or right is UNDECIDED:
                return UNDECIDED
            if isinstance(op, (ast.Is, ast.IsNot)):
                same = left is right
                ok = same if isinstance(op, ast.Is) else not same
            elif type(op) in _COMPARE and _plain(left) and _plain(right):
                try:
                    ok = bool(_COMPARE[type(op)](left, right))
                except TypeError:
                    return UNDECIDED
            else:
                return UNDECIDED
            if not ok:
                return False
            left = right
        return True
    return UNDECIDED


def def_lines(node: ast.stmt) -> set[int]:
    """Lines a function's ``co_firstlineno`` can be: its ``def`` or its first decorator."""
    lines = {node.lineno}
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        lines.add(min(d.lineno for d in decorators))
    return lines


@functools.lru_cache(maxsize=1024)
def _parse(text: str, filename: str) -> ast.Module | None:
    """Parse a cell or file once per session (trees are only read, never changed).

    ``%time stmt`` / ``%timeit stmt`` lines (IPython turns them into
    ``get_ipython().run_line_magic('time', 'stmt')``) are read as the statement they run,
    on the magic's line.
    """
    try:
        tree = ast.parse(text, filename=filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if "run_line_magic(" in text:
        try:
            tree = _TimedLineMagics().visit(tree)
        except Exception:
            pass
    return tree


#: line magics whose argument is Python code they run
_CODE_LINE_MAGICS = frozenset({"time", "timeit", "prun"})


class _TimedLineMagics(ast.NodeTransformer):
    def visit_Expr(self, node: ast.Expr) -> Any:
        code = _line_magic_code(node.value)
        if code is None:
            return node
        try:
            inner = ast.parse(code).body
        except SyntaxError:
            return node
        for statement in inner:
            for child in ast.walk(statement):
                if hasattr(child, "lineno"):
                    child.lineno = node.lineno  # type: ignore[attr-defined]
                    child.end_lineno = node.lineno  # type: ignore[attr-defined]
        return inner or node


def _line_magic_code(value: ast.expr) -> str | None:
    """``'loss.backward()'`` of ``get_ipython().run_line_magic('time', 'loss.backward()')``."""
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr == "run_line_magic" and len(value.args) == 2):
        return None
    name, code = value.args
    if not (isinstance(name, ast.Constant) and name.value in _CODE_LINE_MAGICS
            and isinstance(code, ast.Constant) and isinstance(code.value, str)):
        return None
    text = code.value
    if name.value == "timeit":  # options before the statement: `-n1 -r1 stmt`
        parts = text.split()
        while parts and parts[0].startswith("-"):
            parts.pop(0)
            if parts and parts[0].isdigit():
                parts.pop(0)
        text = " ".join(parts)
    return text or None


def _off(mode: str | None) -> str | None:
    return mode if mode in GRAD_OFF else None


def target_names(target: ast.expr) -> Iterator[str]:
    """Names bound by an assignment target (``a``, ``a, b``, ``self.h``)."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from target_names(element)
    elif isinstance(target, ast.Starred):
        yield from target_names(target.value)
    elif isinstance(target, ast.Attribute):
        name = dotted_name(target)
        if name:
            yield name


def _definitions_of(stmt: Stmt) -> Iterator[Definition]:
    node = stmt.node
    if isinstance(node, ast.Assign):
        for target in node.targets:
            single = isinstance(target, (ast.Name, ast.Attribute))
            for name in target_names(target):
                yield Definition(name, stmt, node.value if single else _element(target, name, node.value),
                                 position=None if single else _position(target, name))
            keyed = keyed_entry(target)
            if keyed is not None:
                # outputs['logits'] = ...: an entry of a dict, followed like a variable
                yield Definition(keyed, stmt, node.value)
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        for name in target_names(node.target):
            yield Definition(name, stmt, node.value)
    elif isinstance(node, ast.AugAssign):
        for name in target_names(node.target):
            yield Definition(name, stmt, node.value, augmented=True)
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        for name in target_names(node.target):
            yield Definition(name, stmt, None)
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if item.optional_vars is not None:
                for name in target_names(item.optional_vars):
                    yield Definition(name, stmt, None)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr in GROWING_METHODS \
            and node.value.args:
        # losses.append(v): the container now also holds v.
        for name in target_names(node.value.func.value):
            yield Definition(name, stmt, node.value.args[-1], augmented=True)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            yield Definition((alias.asname or alias.name).split(".")[0], stmt, None)
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield Definition(node.name, stmt, None)


def local_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names local to ``function``: its parameters and every name its own body binds."""
    names = {"self", "cls"}
    arguments = function.args
    for argument in arguments.posonlyargs + arguments.args + arguments.kwonlyargs:
        names.add(argument.arg)
    for extra in (arguments.vararg, arguments.kwarg):
        if extra is not None:
            names.add(extra.arg)
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue  # a nested body's names are its own
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))
    return names


def keyed_entry(node: ast.expr) -> str | None:
    """``outputs['logits']`` (a string key on a plain name or attribute) as text, else None."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
            and isinstance(node.slice.value, str) and dotted_name(node.value) \
            and "()" not in (dotted_name(node.value) or "()"):
        return ast.unparse(node)
    return None


def _enables_grad_of(node: ast.stmt) -> str | None:
    """``x.requires_grad = True`` or ``x.requires_grad_()`` -> ``"x"``."""
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is True:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "requires_grad":
                return dotted_name(target.value)
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call = node.value
        if isinstance(call.func, ast.Attribute) and call.func.attr == "requires_grad_" \
                and (not call.args or (isinstance(call.args[0], ast.Constant) and call.args[0].value is True)):
            return dotted_name(call.func.value)
    return None


def _position(target: ast.expr, name: str) -> int | None:
    if isinstance(target, (ast.Tuple, ast.List)):
        for index, element in enumerate(target.elts):
            if isinstance(element, ast.Name) and element.id == name:
                return index
    return None


#: methods that put one more element in a container (``losses.append(loss)``)
GROWING_METHODS = frozenset({"append", "extend", "insert", "add", "appendleft"})


def _element(target: ast.expr, name: str, value: ast.expr) -> ast.expr:
    """For ``a, b = f(x), g(y)`` bind each name to its own element when the shapes match."""
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
            and len(target.elts) == len(value.elts):
        for element, expr in zip(target.elts, value.elts):
            if isinstance(element, ast.Name) and element.id == name:
                return expr
    return value


def function_parameters(stmt: Stmt) -> list[str]:
    node = stmt.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def unit_from_linecache(filename: str, label: str | None = None) -> SourceUnit | None:
    lines = linecache.getlines(filename)
    if not lines:
        return None
    return SourceUnit(filename, "".join(lines), label)


def walk_calls(node: ast.AST) -> Iterator[ast.Call]:
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            yield child


_last_built: list[tuple[tuple[tuple[str, str], ...], Timeline]] = []


def build_timeline(units: list[SourceUnit]) -> Timeline:
    """A :class:`Timeline` of ``units``, extending the previous one when only cells were added.

    Every error in a long notebook would otherwise re-read every cell ever run;
    the cache holds source text and syntax trees only.
    """
    keys = tuple((unit.filename, unit.text) for unit in units)
    timeline: Timeline | None = None
    if _last_built:
        cached_keys, cached = _last_built[0]
        if keys[: len(cached_keys)] == cached_keys:
            timeline = cached.copy()
            for unit in units[len(cached_keys):]:
                timeline.add_unit(unit)
    if timeline is None:
        timeline = Timeline(units)
    _last_built[:] = [(keys, timeline.copy())]
    return timeline

