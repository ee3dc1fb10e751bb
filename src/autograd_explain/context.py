"""Gather, once, everything an analysis may read about an exception.

:class:`Analysis` holds the traceback's frames (user frames only, with a copy
of their locals), the executed source as a :class:`~.source.Timeline`, the
statement that raised and the expression ``backward()`` was called on. It is
the only object that references live frames and tensors, and
:meth:`Analysis.release` drops them all before :func:`explain` returns.
"""

from __future__ import annotations

import ast
import re
import os

import sysconfig
import types
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import torch

from . import live
from .errors import ParsedError
from .provenance import Provenance
from .source import SourceUnit, Stmt, build_timeline, dotted_name, unit_from_linecache

_LIBRARY_DIRS = tuple(
    os.path.normcase(os.path.realpath(path)) + os.sep
    for path in {
        sysconfig.get_paths().get("stdlib", ""),
        sysconfig.get_paths().get("purelib", ""),
        sysconfig.get_paths().get("platlib", ""),
        os.path.dirname(os.path.dirname(torch.__file__)),
        os.path.dirname(os.path.abspath(__file__)),
    }
    if path
)


def _user_site_dir() -> str | None:
    try:
        import site

        found = site.USER_SITE or site.getusersitepackages()
    except Exception:
        return None
    return os.path.normcase(os.path.realpath(found)) + os.sep if found else None


_USER_SITE = _user_site_dir()
#: path components that mark an installed package, wherever its directory is
#: (another venv or a PYTHONPATH entry, Debian's dist-packages, ``pip install --user``)
_PACKAGE_DIRS = frozenset({"site-packages", "dist-packages"})
_BACKWARD_FUNCTIONS = ("autograd.backward", "autograd.grad")
_RAISING_SCOPE: Any = object()


def _timed_body(text: str) -> str | None:
    """The body of a ``%%time`` cell, from IPython's ``run_cell_magic('time', '', body)`` form."""
    if not text.startswith("get_ipython().run_cell_magic('time'"):
        return None
    try:
        node = ast.parse(text.strip()).body
    except SyntaxError:
        return None
    if len(node) == 1 and isinstance(node[0], ast.Expr) and isinstance(node[0].value, ast.Call):
        args = node[0].value.args
        if len(args) == 3 and isinstance(args[2], ast.Constant) and isinstance(args[2].value, str):
            return args[2].value
    return None


def is_user_file(filename: str) -> bool:
    """True for a notebook cell or a file that is not part of Python, torch or a library."""
    if filename.startswith("<"):
        return filename.startswith("<ipython-input-") or filename in ("<stdin>", "<string>", "<timed exec>") \
            or filename.startswith("<cell")
    real = os.path.normcase(os.path.realpath(filename))
    if real.startswith(_LIBRARY_DIRS) or (_USER_SITE and real.startswith(_USER_SITE)):
        return False
    # an installed package outside this environment's own directories
    parts = {*filename.replace("\\", "/").split("/"), *real.replace("\\", "/").split("/")}
    return not parts & _PACKAGE_DIRS


@dataclass
class FrameView:
    """One frame of the traceback (user frames keep a copy of their locals)."""

    filename: str
    lineno: int
    function: str
    qualname: str
    is_user: bool
    tb: types.TracebackType | None
    locals: dict[str, Any]
    globals: Mapping[str, Any]


def _without_line_magic_frames(frames: list[FrameView]) -> list[FrameView]:
    """Drop the ``<timed exec>`` frame of a ``%time stmt`` line: the timeline reads that line as
    ``stmt`` itself, in the cell that called the magic."""
    import linecache

    if len(frames) >= 2 and frames[-1].filename in ("<timed exec>", "<timed eval>"):
        caller = frames[-2]
        if "run_line_magic(" in linecache.getline(caller.filename, caller.lineno):
            return frames[:-1]
    return frames


def _walk_traceback(tb: types.TracebackType | None) -> Iterator[types.TracebackType]:
    seen = 0
    while tb is not None and seen < 500:
        yield tb
        tb = tb.tb_next
        seen += 1


def frames_of(exc: BaseException) -> list[FrameView]:
    views: list[FrameView] = []
    for tb in _walk_traceback(getattr(exc, "__traceback__", None)):
        frame = tb.tb_frame
        code = frame.f_code
        user = is_user_file(code.co_filename)
        views.append(FrameView(
            filename=code.co_filename,
            lineno=tb.tb_lineno,
            function=code.co_name,
            qualname=getattr(code, "co_qualname", code.co_name).replace("<locals>.", ""),
            is_user=user,
            tb=tb if user else None,
            locals=dict(frame.f_locals) if user and code.co_name != "<module>" else {},
            globals=frame.f_globals if user else {},
        ))
    return views


def shell_units(shell: Any) -> list[SourceUnit]:
    """The cells a shell ran, in execution order (re-runs included), with their filenames."""
    import linecache

    compiler = getattr(shell, "compile", None)
    filename_map: Mapping[str, int] = getattr(compiler, "_filename_map", None) or {}
    texts: dict[str, str] = {}
    by_number: dict[int, list[str]] = {}
    by_text: dict[str, str] = {}
    for filename, number in list(filename_map.items()):
        text = "".join(linecache.getlines(filename)).rstrip()
        texts[filename] = text
        by_number.setdefault(number, []).append(filename)
        if text:
            by_text[text] = filename
    history = getattr(getattr(shell, "history_manager", None), "input_hist_parsed", None) or []
    units: list[SourceUnit] = []
    used: set[str] = set()
    for number, text in enumerate(list(history)):
        if number == 0 or not text or not text.strip():
            continue
        # The same number can name cells of earlier sessions: match the text too.
        same = [f for f in by_number.get(number, []) if texts[f] == text.rstrip()]
        filename = (same[-1] if same else None) or by_text.get(text.rstrip()) or f"<cell {number}>"
        timed = _timed_body(text)
        if timed is not None:
            # `%%time` runs the cell's body as "<timed exec>": that is what its frames show
            units.append(SourceUnit("<timed exec>", timed, f"In [{number}]"))
        else:
            units.append(SourceUnit(filename, text, f"In [{number}]"))
        used.add(filename)
    for filename, number in list(filename_map.items()) if not units else []:
        if filename not in used:
            unit = unit_from_linecache(filename, f"In [{number}]")
            if unit is not None:
                units.append(unit)
    return units


class Analysis:
    """Everything read about one exception; call :meth:`release` when done."""

    def __init__(self, exc: BaseException, parsed: ParsedError, namespace: Mapping[str, Any] | None,
                 shell: Any = None) -> None:
        self.parsed = parsed
        self.exc_type = type(exc)
        self.frames = frames_of(exc)
        user_frames = _without_line_magic_frames([f for f in self.frames if f.is_user])
        self.user_frame: FrameView | None = user_frames[-1] if user_frames else None
        self.user_frames = user_frames
        if namespace is None:
            namespace = user_frames[0].globals if user_frames else {}
        self.namespace: Mapping[str, Any] = _string_keys(namespace)
        self.timeline = build_timeline(self._units(shell))
        self.grad_enabled_now = torch.is_grad_enabled()
        self.provenance = Provenance(self.timeline, self.namespaces_for, self.grad_enabled_now)
        self.provenance.call_site_of = self._call_site_of
        self.raising_stmt: Stmt | None = None
        if self.user_frame is not None:
            self.raising_stmt = self.timeline.statement_at(self.user_frame.filename, self.user_frame.lineno)
        if self.raising_stmt is not None and self.raising_stmt.scope is None:
            self.provenance.raising_index = self.raising_stmt.index
        self.target_node: ast.expr | None = self._find_target()
        self.horizon = self._running_top_level_index()

    # -- construction ---------------------------------------------------------
    def _running_top_level_index(self) -> int:
        """Index of the top-level statement that was running: everything top-level before it ran.

        The raising statement may be in a function body defined cells earlier
        (a custom ``Function.backward`` the engine called from ``loss.backward()``
        in the last cell), so its own index says nothing about what ran.
        """
        for frame in self.user_frames:
            stmt = self.timeline.statement_at(frame.filename, frame.lineno)
            if stmt is not None and stmt.scope is None:
                return stmt.index
        if self.raising_stmt is not None:
            return self.raising_stmt.index
        return len(self.timeline.stmts)

    def _units(self, shell: Any) -> list[SourceUnit]:
        units = shell_units(shell) if shell is not None else []
        known = {unit.filename for unit in units}
        for frame in self.user_frames:
            if frame.filename not in known:
                unit = unit_from_linecache(frame.filename)
                if unit is not None:
                    units.append(unit)
                    known.add(frame.filename)
        return units

    def namespaces_for(self, scope: str | None) -> tuple[Mapping[str, Any], ...]:
        if scope is None:
            return (self.namespace,)
        for frame in reversed(self.user_frames):
            if frame.qualname == scope or frame.qualname.endswith("." + scope) or frame.function == scope:
                return (frame.locals,)
        return ()

    def _call_site_of(self, scope: str) -> Stmt | None:
        """The statement of the user frame that called the function whose body is ``scope``."""
        for caller, callee in zip(self.user_frames, self.user_frames[1:]):
            if callee.qualname == scope or callee.qualname.endswith("." + scope):
                return self.timeline.statement_at(caller.filename, caller.lineno)
        return None

    def _find_target(self) -> ast.expr | None:
        node = self._executing_node()
        candidates: list[ast.AST] = []
        if node is not None:
            candidates.append(node)
            candidates.extend(_ancestors(node))
        if self.raising_stmt is not None:
            candidates.extend(ast.walk(self.raising_stmt.node))
        match = re.search(r"\belement (\d+) of tensors", self.parsed.message or "")
        element = int(match.group(1)) if match else 0
        for candidate in candidates:
            target = _backward_target(candidate, element)
            if target is not None:
                return target
        return None

    def _executing_node(self) -> ast.AST | None:
        if self.user_frame is None or self.user_frame.tb is None:
            return None
        try:
            import executing

            return executing.Source.executing(self.user_frame.tb).node
        except Exception:
            return None

    # -- queries --------------------------------------------------------------
    @property
    def target_text(self) -> str | None:
        if self.target_node is None:
            return None
        try:
            return ast.unparse(self.target_node)
        except Exception:
            return None

    @property
    def scope(self) -> str | None:
        return self.raising_stmt.scope if self.raising_stmt is not None else None

    def resolve(self, node: ast.expr | None, scope: Any = _RAISING_SCOPE) -> Any:
        """The live value of a name / attribute / constant-subscript expression, else MISSING.

        ``scope`` defaults to the raising statement's; ``None`` is module level.
        """
        if node is None:
            return live.MISSING
        scope = self.scope if scope is _RAISING_SCOPE else scope
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = dotted_name(node)
            if name and "()" not in name:
                return self.provenance.live_value(name, scope)
            return live.MISSING
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            base = self.resolve(node.value, scope)
            if type(base) in (list, tuple, dict):
                try:
                    return base[node.slice.value]
                except Exception:
                    return live.MISSING
        return live.MISSING

    @property
    def target_value(self) -> Any:
        return self.resolve(self.target_node)

    def release(self) -> None:
        """Drop every reference to frames, tracebacks and live objects."""
        for frame in self.frames:
            frame.tb = None
            frame.locals = {}
            frame.globals = {}
        self.frames = []
        self.user_frames = []
        self.user_frame = None
        self.namespace = {}
        self.provenance = None  # type: ignore[assignment]


def _string_keys(namespace: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``str``-keyed part of a dict namespace, copied once.

    Looking a name up in a dict runs the ``__eq__`` of any other key whose hash
    collides with it (user code); a copy holding only exact ``str`` keys is safe
    to query. Checking the key types costs ~0.2 ms for 10,000 names; the copy is
    made only when some key is not an exact ``str``.
    """
    if type(namespace) is not dict or set(map(type, namespace)) <= {str}:  # the usual case, at C speed
        return namespace
    return {key: value for key, value in namespace.items() if type(key) is str}


def _ancestors(node: ast.AST) -> Iterator[ast.AST]:
    parent = getattr(node, "parent", None)
    while parent is not None and not isinstance(parent, ast.stmt):
        yield parent
        parent = getattr(parent, "parent", None)


def _backward_target(node: ast.AST, element: int = 0) -> ast.expr | None:
    """For ``t.backward()``, ``torch.autograd.grad(t, ...)``: the ``t`` expression (for a list of
    outputs, ``backward([a, b])``, the ``element``-th one: torch names it, "element 1 of tensors")."""
    if isinstance(node, ast.Attribute) and node.attr == "backward" and not _is_autograd(node):
        return node.value
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and node.func.attr == "backward" and not _is_autograd(node.func):
            return node.func.value
        name = dotted_name(node.func) or ""
        if name.endswith(_BACKWARD_FUNCTIONS) or name in ("backward", "grad"):
            first = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg in ("outputs", "tensors")), None)
            if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
                chosen = first.elts[element] if element < len(first.elts) else first.elts[0]
                return None if isinstance(chosen, ast.Starred) else chosen
            return first
    return None


def _is_autograd(func: ast.Attribute) -> bool:
    return (dotted_name(func) or "").endswith("autograd.backward")


def user_frames_only(frames: list[FrameView]) -> list[FrameView]:
    return [f for f in frames if f.is_user]


