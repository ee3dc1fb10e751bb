"""Trace mode: remember where each in-place write to a tensor happened.

Autograd's in-place error says *that* a saved tensor changed ("is at version 2;
expected version 1") but not *where*. While trace mode is on, every ATen op
whose schema writes to an argument (``alias_info.is_write``) is seen, including
the ones a ``TorchFunctionMode`` never sees (``F.relu(x, inplace=True)``, the
``copy_`` behind ``y[0] = 0``, ``out=`` arguments), and the source line of the
innermost user frame is stored with the op and the written tensor's version
before and after the write.

Two ways to see those ops (``enable(backend=...)``):

* ``"kernels"`` (the default): a Python kernel for each of the ~1,200 mutating
  ATen overloads, registered on the ``PreDispatch`` dispatch key, which is the
  outermost key and is switched on only in this thread's dispatch TLS while
  tracing. Every other ATen overload gets a fallthrough on that key, so it
  never sees it (the key's own fallback would box every call's arguments:
  3-4 % of a training step). Each in-place op pays a Python round trip (~4 us
  for the internal writes of kernels, which are not recorded; ~15-20 us for a
  recorded one); a library optimizer's ``step()``, which makes several
  in-place ops per parameter, is summarised instead (see ``_OptimizerSteps``).
  ``bench/trace.py`` measures the whole. The kernel calls the op again with
  our key excluded, i.e. exactly as the caller called it, and records only
  writes that bumped a version counter (writes to fresh buffers inside
  kernels cannot break a saved tensor).
* ``"mode"``: a ``TorchDispatchMode``; every op goes through Python. Used when
  ``PreDispatch`` is taken (``torch.export`` pre-dispatch tracing) or missing.
  It sees ops below autograd, before the version bump, so ``version_after`` is
  ``version_before + 1`` per write, and fresh-buffer writes are recorded too.

What is kept is plain data plus a weak reference to the written *storage* (so
``writes_to`` can tell aliases from look-alikes), or, for a library optimizer's
step, to the parameters it moved; no tensor and no frame is kept, and the
history is a bounded deque. Numerics, grad mode and version counters are
untouched: the hooks read metadata and call the op as it was called. Trace
mode is for eager code; ``torch.compile``d regions are not traced.

Query side (what the in-place diagnosis calls): :func:`find_culprit`,
:func:`writes_to`, :func:`all_writes`.
"""

from __future__ import annotations

import contextlib
import itertools
import linecache
import os
import re
import sys
import sysconfig
import threading
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator, NamedTuple, Protocol, Sequence

import torch
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode, _get_current_dispatch_mode_stack

__all__ = [
    "DEFAULT_CAPACITY",
    "InplaceWrite",
    "all_writes",
    "clear",
    "disable",
    "enable",
    "find_culprit",
    "find_culprit_write",
    "is_enabled",
    "trace",
    "writes_to",
]

DEFAULT_CAPACITY = 4096


@dataclass(frozen=True, slots=True)
class InplaceWrite:
    """One in-place write seen while trace mode was on.

    ``filename``/``lineno``/``line``/``function`` locate the innermost frame of
    user code (not torch, site-packages, the standard library or this package);
    ``inner_*`` locate the innermost Python frame at all when that is a
    different one (e.g. ``torch/nn/functional.py`` for ``nn.ReLU(inplace=True)``),
    else they are ``None``. ``shape`` and ``dtype`` are those of the tensor the
    op wrote to, which for ``y[0] = 0`` is the view ``y[0]``; ``base_shape`` is
    then the shape of the tensor it is a view of (``y``), else ``None``.
    ``node`` is the written tensor's ``grad_fn`` class name just before the
    write (``"ExpBackward0"``), which is what autograd's message names ("output
    0 of Exp") when this write broke a saved tensor; ``None`` for views and
    tensors without a ``grad_fn``. ``argument`` is the schema's name for the
    written argument (``"self"``, ``"out"``). ``sequence`` increases with time.
    """

    filename: str | None
    lineno: int | None
    line: str
    function: str | None
    op: str
    argument: str
    version_before: int
    version_after: int
    shape: tuple[int, ...]
    dtype: str
    base_shape: tuple[int, ...] | None = None
    node: str | None = None
    inner_filename: str | None = None
    inner_lineno: int | None = None
    inner_function: str | None = None
    sequence: int = 0

    def matches_shape(self, shape: Sequence[int]) -> bool:
        """Whether the written tensor, or the tensor it is a view of, has ``shape``."""
        wanted = tuple(shape)
        return wanted == self.shape or wanted == self.base_shape


# -- where a write came from ---------------------------------------------------

class _Location(NamedTuple):
    filename: str
    lineno: int
    function: str


def _library_prefixes() -> tuple[str, ...]:
    """Directories whose frames are not the user's: torch, installed packages, stdlib, us."""
    paths = {os.path.dirname(torch.__file__), os.path.dirname(os.path.abspath(__file__))}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(name)
        if path:
            paths.add(path)
    paths |= {os.path.realpath(path) for path in paths}
    return tuple(os.path.join(path, "") for path in sorted(paths))


_LIBRARY_PREFIXES = _library_prefixes()
# Frames of the hooking machinery itself, skipped even as "innermost frame".
_INFRASTRUCTURE_FILES = frozenset({__file__, torch._ops.__file__, sys.modules[TorchDispatchMode.__module__].__file__})
# filename -> whether frames there are user code; one entry per file seen.
_IS_USER_FILE: dict[str, bool] = {}


def _is_user_file(filename: str) -> bool:
    known = _IS_USER_FILE.get(filename)
    if known is None:
        if len(_IS_USER_FILE) > 50_000:
            _IS_USER_FILE.clear()
        parts = set(filename.replace("\\", "/").split("/"))
        known = not (filename.startswith(_LIBRARY_PREFIXES) or filename.startswith("<frozen")
                     or "site-packages" in parts or "dist-packages" in parts)
        _IS_USER_FILE[filename] = known
    return known


def _locate(frame: Any) -> tuple[_Location | None, _Location | None]:
    """Innermost user frame and, if different, innermost frame, as plain data."""
    inner: _Location | None = None
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        # f_lineno decodes the line table, so it is read for two frames at most.
        if filename not in _INFRASTRUCTURE_FILES:
            if _is_user_file(filename):
                return _Location(filename, frame.f_lineno, code.co_name), inner
            if inner is None:
                inner = _Location(filename, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return None, inner


# -- what a write did ------------------------------------------------------------

# Positions and names of the arguments an op's schema writes to.
_MutatedArgs = tuple[tuple[int, str], ...]


def _mutated_arguments(schema: Any) -> _MutatedArgs:
    if not schema.is_mutable:
        return ()
    return tuple(
        (index, argument.name)
        for index, argument in enumerate(schema.arguments)
        if argument.alias_info is not None and argument.alias_info.is_write
    )


def _written_tensors(
    mutated: _MutatedArgs, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> list[tuple[str, torch.Tensor]]:
    written = []
    for index, name in mutated:
        value = args[index] if index < len(args) else kwargs.get(name)
        if isinstance(value, torch.Tensor):
            written.append((name, value))
        elif isinstance(value, (list, tuple)):  # Tensor(a!)[] as in _foreach_add_
            written.extend((name, item) for item in value if isinstance(item, torch.Tensor))
    return written


class _Before(NamedTuple):
    """A written tensor's state just before the write (no reference to the tensor)."""

    argument: str
    version: int
    base_shape: tuple[int, ...] | None
    node: str | None
    storage: StorageWeakRef | None


def _storage_ref(tensor: torch.Tensor) -> StorageWeakRef | None:
    try:
        return StorageWeakRef(tensor.untyped_storage())
    except (RuntimeError, NotImplementedError, TypeError):  # sparse, nested, ...
        return None


def _before(argument: str, tensor: torch.Tensor) -> _Before | None:
    try:
        version = tensor._version
    except RuntimeError:  # inference tensors have no version counter
        return None
    base_shape = node = None
    if tensor._is_view():
        # A view's grad_fn is not read: reading it can regenerate it (a side effect).
        base = tensor._base
        if base is not None:
            base_shape = tuple(base.shape)
    else:
        grad_fn = tensor.grad_fn
        if grad_fn is not None:
            node = type(grad_fn).__name__
    return _Before(argument, version, base_shape, node, _storage_ref(tensor))


class _Entry(NamedTuple):
    """What a hook stores: cheap to build, turned into InplaceWrite on query."""

    sequence: int
    op: Any  # OpOverload; str() only when queried
    before: _Before
    version_after: int
    shape: tuple[int, ...]
    dtype: torch.dtype
    user: _Location | None
    inner: _Location | None


class _StepEntry(NamedTuple):
    """A library optimizer's step: the parameters it moved, expanded into ``_Entry``s on query.

    Only plain numbers and weak references are taken while the step runs (it is
    the hot path of a training loop); shapes and storages are read on query.
    """

    sequence: int
    op: str  # "SGD.step"
    moved: tuple[tuple[weakref.ref, int, int], ...]  # (parameter, version before, after)
    user: _Location | None

    def expand(self) -> list[_Entry]:
        entries = []
        for ref, version_before, version_after in self.moved:
            param = ref()
            if param is None:
                continue
            before = _before("self", param)
            if before is not None:
                entries.append(_Entry(self.sequence, self.op, before._replace(version=version_before),
                                      version_after, tuple(param.shape), param.dtype, self.user, None))
        return entries


class _History:
    """Bounded, thread-safe log of writes (deque appends are atomic)."""

    def __init__(self, capacity: int) -> None:
        self.entries: deque[_Entry | _StepEntry] = deque(maxlen=capacity)
        self._counter = itertools.count(1)

    def resize(self, capacity: int) -> None:
        self.entries = deque(self.entries, maxlen=capacity)

    def add_step(self, op: str, moved: tuple[tuple[weakref.ref, int, int], ...]) -> None:
        """Record an optimizer step (called from its post-hook, two frames below the wrapper)."""
        user, _ = _locate(sys._getframe(3))
        self.entries.append(_StepEntry(next(self._counter), op, moved, user))

    def add(self, op: Any, written: list[tuple[torch.Tensor, _Before, int]]) -> None:
        """Record ``(tensor, state before, version after)`` triples written by one call of ``op``."""
        user, inner = _locate(sys._getframe(2))
        for tensor, before, version_after in written:
            self.entries.append(
                _Entry(next(self._counter), op, before, version_after, tuple(tensor.shape),
                       tensor.dtype, user, inner)
            )


# -- backend 1: Python kernels on the PreDispatch key ------------------------------

_PRE_DISPATCH = getattr(torch._C.DispatchKey, "PreDispatch", None)
_FALLTHROUGH = getattr(torch.library, "fallthrough_kernel", None)
_mutating_ops_cache: list[tuple[Any, _MutatedArgs]] | None = None
_passthrough_ops_cache: list[str] | None = None


def _scan_aten_ops() -> None:
    """Sort every ATen overload into the ones we hook and the ones we let through.

    Hooked: overloads that write to an argument and reach the dispatcher
    themselves (composite-implicit ops are left out: they never run as one
    kernel, and the ops they decompose into are seen instead). Let through:
    every other overload. Overloads that already have a ``PreDispatch`` kernel
    are left alone.
    """
    global _mutating_ops_cache, _passthrough_ops_cache
    hooked, passthrough = [], []
    for qualified in torch._C._dispatch_get_all_op_names():
        if not qualified.startswith("aten::"):
            continue
        if torch._C._dispatch_has_kernel_for_dispatch_key(qualified, "PreDispatch"):
            continue
        name, _, overload = qualified[len("aten::"):].partition(".")
        try:
            schema = torch._C._get_schema(f"aten::{name}", overload)
        except RuntimeError:
            continue
        mutated = _mutated_arguments(schema)
        if not mutated or torch._C._dispatch_has_kernel_for_dispatch_key(qualified, "CompositeImplicitAutograd"):
            passthrough.append(qualified[len("aten::"):])
            continue
        op = getattr(getattr(torch.ops.aten, name), overload or "default")
        hooked.append((op, mutated))
    _mutating_ops_cache, _passthrough_ops_cache = hooked, passthrough


def _mutating_ops() -> list[tuple[Any, _MutatedArgs]]:
    """Every ATen overload that writes to an argument and reaches the dispatcher itself."""
    if _mutating_ops_cache is None:
        _scan_aten_ops()
    return _mutating_ops_cache  # type: ignore[return-value]


def _passthrough_ops() -> list[str]:
    """Every other ATen overload (``"add.Tensor"``), registered as a ``PreDispatch`` fallthrough.

    ``PreDispatch``'s own fallback boxes each call's arguments and redispatches:
    about 0.5 us per dispatcher call, dozens of which run inside every forward
    and backward op (3-4 % of a training step, measured). An op-specific
    fallthrough takes the key out of that op's dispatch entirely.
    """
    if _passthrough_ops_cache is None:
        _scan_aten_ops()
    return _passthrough_ops_cache  # type: ignore[return-value]


class _KernelBackend:
    """Records from Python kernels registered on ``PreDispatch`` for mutating ops."""

    def __init__(self, history: _History) -> None:
        self.history = history
        self._library: Any = None
        self.optimizer_steps = _OptimizerSteps(history)

    @staticmethod
    def available() -> bool:
        return _PRE_DISPATCH is not None and not torch._C._dispatch_tls_is_dispatch_key_included(_PRE_DISPATCH)

    def start(self) -> None:
        library = torch.library.Library("aten", "IMPL")
        try:
            for op, mutated in _mutating_ops():
                library.impl(op, self._kernel(op, mutated), "PreDispatch")
            if _FALLTHROUGH is not None:
                for name in _passthrough_ops():
                    library.impl(name, _FALLTHROUGH, "PreDispatch")
        except Exception:
            library._destroy()
            raise
        self._library = library
        torch._C._dispatch_tls_set_dispatch_key_included(_PRE_DISPATCH, True)
        self.optimizer_steps.start()

    def stop(self) -> None:
        self.optimizer_steps.stop()
        torch._C._dispatch_tls_set_dispatch_key_included(_PRE_DISPATCH, False)
        library, self._library = self._library, None
        if library is not None:
            library._destroy()

    def _kernel(self, op: Any, mutated: _MutatedArgs) -> Callable[..., Any]:
        history = self.history
        # The op's own entry point, called again with our key excluded: since
        # PreDispatch is the outermost key, that is the caller's call minus us.
        # (Cheaper than a boxed redispatch, and it takes Python numbers for
        # Tensor parameters, which is how a wrapped number such as the 2 in
        # y.mul_(2) reaches a Python kernel.) The key stays off while the op
        # runs, so writes it makes internally (the per-tensor add_ of a CPU
        # _foreach_add_) are not recorded as the user's.
        call = op._op
        excluded = torch._C.DispatchKeySet(_PRE_DISPATCH)
        exclude = torch._C._ExcludeDispatchKeyGuard
        bump_disabled = torch._C._dispatch_tls_is_dispatch_key_excluded
        view_key = torch._C.DispatchKey.ADInplaceOrView

        def kernel(*args: Any, **kwargs: Any) -> Any:
            if bump_disabled(view_key):
                # Below ADInplaceOrView no version counter moves (e.g. the fill_
                # that makes a wrapped-number tensor): nothing that can break a
                # saved tensor, so nothing to record.
                with exclude(excluded):
                    return call(*args, **kwargs)
            pending = []
            for argument, tensor in _written_tensors(mutated, args, kwargs):
                before = _before(argument, tensor)
                if before is not None:
                    pending.append((tensor, before))
            with exclude(excluded):
                result = call(*args, **kwargs)
            bumped = [(t, b, t._version) for t, b in pending if t._version != b.version]
            if bumped:
                history.add(op, bumped)
            return result

        return kernel


# -- library optimizers: one record per parameter and step ------------------------------

# optimizer class -> whether its step() is user code (traced op by op)
_USER_STEP: dict[type, bool] = {}


def _defined_in_user_code(function: Any) -> bool:
    """Whether ``function``, under its decorators (``functools.wraps`` chains), is the user's."""
    for _ in range(20):
        wrapped = getattr(function, "__wrapped__", None)
        if wrapped is None:
            break
        function = wrapped
    code = getattr(function, "__code__", None)
    return code is not None and _is_user_file(code.co_filename)


def _has_closure(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return len(args) > 1 and args[1] is not None or kwargs.get("closure") is not None


class _OptimizerSteps:
    """Summarises a library optimizer's ``step()`` as one write per parameter it changed.

    A CPU ``SGD``/``Adam`` step without ``foreach`` makes several in-place ops
    per parameter (momentum, moments, the update itself), and a Python kernel
    round trip for each was most of trace mode's cost. While such a step runs,
    the kernels are paused (``PreDispatch`` left out of this thread's TLS) and,
    afterwards, each parameter whose version moved is recorded once, at the
    user's ``.step()`` line, which is the line a diagnosis blames. Writes to
    the optimizer's own state buffers are not recorded (autograd never saved
    them). Steps that run user code are traced op by op as before: a
    ``closure`` (it runs the forward and backward) and an optimizer whose
    ``step`` is defined in user code. If a step raises, the kernels stay paused
    until :func:`resume_after_error` (the IPython extension calls it after each cell), the next
    step or :func:`disable`.
    """

    def __init__(self, history: _History) -> None:
        self.history = history
        self.pending = threading.local()
        self._handles: tuple[Any, ...] = ()

    def start(self) -> None:
        from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

        self._handles = (register_optimizer_step_pre_hook(self._before_step),
                         register_optimizer_step_post_hook(self._after_step))

    def stop(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = ()
        self.resume()

    def resume(self) -> None:
        """Switch the kernels back on if a step of this thread paused them and never finished."""
        if getattr(self.pending, "params", None) is not None:
            self.pending.params = None
            torch._C._dispatch_tls_set_dispatch_key_included(_PRE_DISPATCH, True)

    def _before_step(self, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.resume()  # a previous step that raised
        if not torch._C._dispatch_tls_is_dispatch_key_included(_PRE_DISPATCH):
            return  # not the traced thread
        if _has_closure(args, kwargs):
            return
        kind = type(optimizer)
        user_step = _USER_STEP.get(kind)
        if user_step is None:
            user_step = _USER_STEP[kind] = _defined_in_user_code(kind.step)
        if user_step:
            return
        self.pending.params = [
            (param, param._version)
            for group in optimizer.param_groups
            for param in group["params"]
            if isinstance(param, torch.Tensor) and not param.is_inference()
        ]
        torch._C._dispatch_tls_set_dispatch_key_included(_PRE_DISPATCH, False)

    def _after_step(self, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        params = getattr(self.pending, "params", None)
        if params is None:
            return
        self.pending.params = None
        torch._C._dispatch_tls_set_dispatch_key_included(_PRE_DISPATCH, True)
        moved = tuple((weakref.ref(param), version, param._version)
                      for param, version in params if param._version != version)
        if moved:
            self.history.add_step(f"{type(optimizer).__name__}.step", moved)


# -- backend 2: a TorchDispatchMode -------------------------------------------------

# op -> arguments its schema writes to; () if none. Filled as ops are first seen.
_MUTATED: dict[Any, _MutatedArgs] = {}


class _RecordingMode(TorchDispatchMode):
    """Dispatch mode that records writes and otherwise just calls the op."""

    def __init__(self, history: _History) -> None:
        super().__init__()
        self.history = history
        self.recording = True

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # The default wraps __torch_dispatch__ in torch._disable_dynamo, which
        # imports torch._dynamo (seconds) and adds a wrapper call to every op.
        return False

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        kwargs = kwargs or {}
        mutated = _MUTATED.get(func)
        if mutated is None:
            mutated = _MUTATED[func] = _mutated_arguments(func._schema)
        if not mutated or not self.recording:
            return func(*args, **kwargs)
        pending = []
        for argument, tensor in _written_tensors(mutated, args, kwargs):
            before = _before(argument, tensor)
            if before is not None:
                pending.append((tensor, before))
        result = func(*args, **kwargs)
        if pending:
            # Below autograd the counter is bumped after we return: once per written argument.
            writes = {}
            for tensor, _ in pending:
                writes[id(tensor)] = writes.get(id(tensor), 0) + 1
            self.history.add(func, [(t, b, b.version + writes[id(t)]) for t, b in pending])
        return result


class _ModeBackend:
    def __init__(self, history: _History) -> None:
        self.mode = _RecordingMode(history)

    def start(self) -> None:
        self.mode.__enter__()

    def stop(self) -> None:
        self.mode.recording = False
        # Pop the mode only if it is on top: popping blindly would remove a mode
        # pushed after ours. Otherwise it stays, as a pass-through, until then.
        stack = _get_current_dispatch_mode_stack()
        if stack and stack[-1] is self.mode:
            self.mode.__exit__(None, None, None)


# -- switching -----------------------------------------------------------------------

class _Backend(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


_lock = threading.Lock()
_history = _History(DEFAULT_CAPACITY)
_backend: _Backend | None = None


def enable(capacity: int | None = None, backend: str = "auto") -> None:
    """Start recording in-place writes made by this thread (idempotent).

    The first call scans the ATen operators and registers the hooks (about
    0.2 s; later calls about 0.03 s); use
    ``enable``/``disable`` (or ``with trace():``) around a whole run, not each step.

    Args:
        capacity: how many of the latest writes to keep; ``None`` keeps the
            current setting (``DEFAULT_CAPACITY`` at first).
        backend: ``"kernels"``, ``"mode"`` or ``"auto"`` (kernels when the
            ``PreDispatch`` key is free, else the dispatch mode); see the module
            docstring.
    """
    global _backend
    if backend not in ("auto", "kernels", "mode"):
        raise ValueError(f"backend must be 'auto', 'kernels' or 'mode', not {backend!r}")
    with _lock:
        if capacity is not None and capacity != _history.entries.maxlen:
            _history.resize(capacity)
        if _backend is not None:
            return
        use_kernels = backend == "kernels" or (backend == "auto" and _KernelBackend.available())
        chosen: _Backend = _KernelBackend(_history) if use_kernels else _ModeBackend(_history)
        chosen.start()
        _backend = chosen


def disable() -> None:
    """Stop recording (idempotent). Recorded writes stay queryable until :func:`clear`."""
    global _backend
    with _lock:
        backend, _backend = _backend, None
        if backend is not None:
            backend.stop()


def is_enabled() -> bool:
    """Whether trace mode is recording."""
    return _backend is not None


def resume_after_error() -> None:
    """Switch recording back on if an optimizer step raised while it was paused (idempotent).

    The IPython hook calls this for every error; see ``_OptimizerSteps``.
    """
    backend = _backend
    if isinstance(backend, _KernelBackend):
        backend.optimizer_steps.resume()


@contextlib.contextmanager
def trace(capacity: int | None = None, backend: str = "auto") -> Iterator[None]:
    """Record in-place writes inside the ``with`` block (``with ae.trace(): ...``).

    Used inside another ``trace()`` or after :func:`enable`, it leaves trace
    mode on at exit.
    """
    was_enabled = is_enabled()
    enable(capacity, backend)
    try:
        yield
    finally:
        if not was_enabled:
            disable()


def clear() -> None:
    """Forget every recorded write."""
    _history.entries.clear()


# -- queries ---------------------------------------------------------------------------

def _public(entry: _Entry) -> InplaceWrite:
    user, inner, before = entry.user, entry.inner, entry.before
    filename, lineno, function = user if user is not None else (None, None, None)
    line = linecache.getline(filename, lineno).strip() if filename and lineno else ""
    return InplaceWrite(
        filename=filename,
        lineno=lineno,
        line=line,
        function=function,
        op=str(entry.op),
        argument=before.argument,
        version_before=before.version,
        version_after=entry.version_after,
        shape=entry.shape,
        dtype=str(entry.dtype).replace("torch.", ""),
        base_shape=before.base_shape,
        node=before.node,
        inner_filename=inner.filename if inner else None,
        inner_lineno=inner.lineno if inner else None,
        inner_function=inner.function if inner else None,
        sequence=entry.sequence,
    )


def _newest_first() -> list[_Entry]:
    entries: list[_Entry] = []
    for entry in reversed(_history.entries):
        if isinstance(entry, _StepEntry):
            entries.extend(entry.expand())
        else:
            entries.append(entry)
    return entries


def all_writes() -> list[InplaceWrite]:
    """Every recorded write still in the history, newest first."""
    return [_public(entry) for entry in _newest_first()]


def writes_to(tensor: torch.Tensor) -> list[InplaceWrite]:
    """Recorded writes to ``tensor``'s memory (itself or any view of it), newest first.

    Matching is by storage: a recorded write holds a weak reference to the
    storage it wrote, which keeps the storage's identity from being reused, so
    equal identities mean the very same memory. Writes through ``.data`` share
    the storage but not the version counter; compare versions to tell them apart.
    """
    wanted = _storage_ref(tensor)
    if wanted is None:
        return []
    return [
        _public(entry)
        for entry in _newest_first()
        if entry.before.storage is not None and entry.before.storage.cdata == wanted.cdata
    ]


def _node_stem(name: str) -> str:
    """``"ExpBackward0"`` and ``"Exp"`` both become ``"exp"`` (torch 2.13 drops the suffix)."""
    return re.sub(r"Backward\d*$", "", name).lower()


def find_culprit(
    expected_version: int,
    shape: Sequence[int] | None = None,
    current_version: int | None = None,
    node: str | None = None,
    tensor: torch.Tensor | None = None,
) -> InplaceWrite | None:
    """The write that broke a saved tensor, from the numbers in autograd's message.

    Autograd saved the tensor at ``expected_version`` ("expected version E");
    the first write after that is the one whose ``version_before`` is E, and it
    is the only one on that version counter. Other tensors may have had a write
    from version E too (each training step makes fresh activations), so the
    candidates are narrowed by the live ``tensor`` when the diagnosis has found
    it (same memory), by ``shape`` (the written tensor's, or its base's for
    ``y[0] = ...``), and by ``node`` (the written tensor's ``grad_fn`` before the
    write is the node the message names); the newest candidate wins. The node
    is a preference, not a requirement: a write that matches all else but the
    node is returned when no write matches everything.

    Args:
        expected_version: E in "expected version E instead".
        shape: the shape in the message (``[torch.FloatTensor [3, 4]]``), or
            ``None`` to accept any shape.
        current_version: V in "is at version V"; writes that end above it
            happened later and are skipped.
        node: the node the message names ("output 0 of Exp" gives ``"Exp"``).
        tensor: the saved tensor or a variable sharing its memory, if known.

    Returns:
        The culprit write, or ``None`` if trace mode did not see one.
    """
    candidates = [
        write
        for write in (writes_to(tensor) if tensor is not None else all_writes())
        if write.version_before == expected_version
        and (current_version is None or write.version_after <= current_version)
        and (shape is None or write.matches_shape(shape))
    ]
    if node is not None:
        stem = _node_stem(node)
        for write in candidates:
            if write.node is not None and _node_stem(write.node) == stem:
                return write
    return candidates[0] if candidates else None



def find_culprit_write(
    shape: str | Sequence[int] | None,
    current_version: int | None,
    expected_version: int | None,
    node: str | None = None,
    tensor: torch.Tensor | None = None,
) -> InplaceWrite | None:
    """:func:`find_culprit` taking the message's fields as parsed (shape as ``"3, 4"``).

    ``None`` when the expected version is unknown: without it no write can be
    singled out, and a guess would blame the wrong line.
    """
    if expected_version is None:
        return None
    if isinstance(shape, str):
        try:
            shape = tuple(int(size) for size in shape.replace(" ", "").split(",") if size)
        except ValueError:
            shape = None
    return find_culprit(expected_version, shape=shape, current_version=current_version, node=node, tensor=tensor)

