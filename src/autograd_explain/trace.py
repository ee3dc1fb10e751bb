"""Trace mode: remember where each in-place write to a tensor happened.

Autograd's in-place error says *that* a saved tensor changed ("is at version 2;
expected version 1") but not *where*. While trace mode is on, a
``TorchDispatchMode`` sees every ATen op below autograd, including the ones a
``TorchFunctionMode`` never sees (``F.relu(x, inplace=True)``, the ``copy_``
behind ``y[0] = 0``, ``out=`` arguments). For each op whose schema writes to an
argument (``alias_info.is_write``) it stores the source line of the innermost
user frame, the op, and the written tensor's version before the write.

What is kept is plain data plus a weak reference to the written *storage* (so
``writes_to`` can tell aliases apart from look-alikes); no tensor and no frame is
kept, and the history is a bounded deque. Numerics, grad mode and version
counters are untouched: the mode only reads metadata and calls the op as is.

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
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterator, NamedTuple, Sequence

import torch
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = [
    "DEFAULT_CAPACITY",
    "InplaceWrite",
    "all_writes",
    "clear",
    "disable",
    "enable",
    "find_culprit",
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
    tensors without a ``grad_fn``.
    ``version_after`` is ``version_before + 1`` per time the op writes the
    tensor (autograd bumps the counter once per written argument).
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


# -- recording ---------------------------------------------------------------

class _Location(NamedTuple):
    filename: str
    lineno: int
    function: str


class _Entry(NamedTuple):
    """What the dispatch hook stores: cheap to build, turned into InplaceWrite on query."""

    sequence: int
    op: Any  # torch._ops.OpOverload; str() only when queried
    argument: str
    version_before: int
    bumps: int
    shape: tuple[int, ...]
    dtype: torch.dtype
    base_shape: tuple[int, ...] | None
    node: str | None
    storage: StorageWeakRef | None
    user: _Location | None
    inner: _Location | None


_MutatedArgs = tuple[tuple[int, str], ...]

# op -> positions and names of the arguments its schema writes to; () if none.
_MUTATED: dict[Any, _MutatedArgs] = {}


def _mutated_arguments(func: Any) -> _MutatedArgs:
    schema = func._schema
    if not schema.is_mutable:
        return ()
    return tuple(
        (index, argument.name)
        for index, argument in enumerate(schema.arguments)
        if argument.alias_info is not None and argument.alias_info.is_write
    )


def _library_prefixes() -> tuple[str, ...]:
    """Directories whose frames are not the user's: torch, installed packages, stdlib, us."""
    paths = {os.path.dirname(torch.__file__), os.path.dirname(os.path.abspath(__file__))}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(name)
        if path:
            paths.add(path)
    return tuple(os.path.join(os.path.realpath(p), "") for p in paths) + tuple(
        os.path.join(p, "") for p in paths
    )


_LIBRARY_PREFIXES = _library_prefixes()
# Frames of the dispatch machinery itself, skipped even as "innermost frame".
_INFRASTRUCTURE_FILES = frozenset(
    {__file__, torch._ops.__file__, torch.utils._python_dispatch.__file__}
)
# filename -> True if frames there are user code; bounded by the number of files seen.
_IS_USER_FILE: dict[str, bool] = {}


def _is_user_file(filename: str) -> bool:
    known = _IS_USER_FILE.get(filename)
    if known is None:
        if len(_IS_USER_FILE) > 50_000:
            _IS_USER_FILE.clear()
        known = not (filename.startswith(_LIBRARY_PREFIXES) or filename.startswith("<frozen"))
        _IS_USER_FILE[filename] = known
    return known


def _locate(frame: Any) -> tuple[_Location | None, _Location | None]:
    """Innermost user frame and, if different, innermost frame, as plain data."""
    inner: _Location | None = None
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if filename in _INFRASTRUCTURE_FILES:
            frame = frame.f_back
            continue
        here = _Location(filename, frame.f_lineno, code.co_name)
        if _is_user_file(filename):
            return here, inner
        if inner is None:
            inner = here
        frame = frame.f_back
    return None, inner


def _written_tensors(
    mutated: _MutatedArgs, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Iterator[tuple[str, torch.Tensor]]:
    for index, name in mutated:
        value = args[index] if index < len(args) else kwargs.get(name)
        if isinstance(value, torch.Tensor):
            yield name, value
        elif isinstance(value, (list, tuple)):  # Tensor(a!)[] as in _foreach_add_
            for item in value:
                if isinstance(item, torch.Tensor):
                    yield name, item


_Described = tuple[int, "tuple[int, ...] | None", "str | None", "StorageWeakRef | None"]


def _describe(tensor: torch.Tensor) -> _Described | None:
    """Version, base shape, grad_fn name and storage reference of a tensor about to be written."""
    try:
        version = tensor._version
    except RuntimeError:  # inference tensors have no version counter
        return None
    base_shape = None
    node = None
    if tensor._is_view():
        # A view's grad_fn is not read: reading it can regenerate it (a side effect).
        base = tensor._base
        if base is not None:
            base_shape = tuple(base.shape)
    else:
        grad_fn = tensor.grad_fn
        if grad_fn is not None:
            node = type(grad_fn).__name__
    try:
        storage: StorageWeakRef | None = StorageWeakRef(tensor.untyped_storage())
    except (RuntimeError, NotImplementedError, TypeError):  # sparse, nested, ...
        storage = None
    return version, base_shape, node, storage


class _Recorder(TorchDispatchMode):
    """Dispatch mode that records writes and otherwise just calls the op."""

    def __init__(self, history: deque[_Entry]) -> None:
        super().__init__()
        self.history = history
        self.recording = True
        self._counter = itertools.count(1)

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # The default wraps __torch_dispatch__ in torch._disable_dynamo, which
        # imports torch._dynamo (seconds) and adds a wrapper call to every op.
        return False

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        if kwargs is None:
            kwargs = {}
        mutated = _MUTATED.get(func)
        if mutated is None:
            mutated = _MUTATED[func] = _mutated_arguments(func)
        if not mutated or not self.recording:
            return func(*args, **kwargs)
        pending = self._before(mutated, args, kwargs)
        result = func(*args, **kwargs)
        if pending:  # recorded only once the op succeeded
            self._commit(func, pending)
        return result

    def _before(
        self, mutated: _MutatedArgs, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> list[tuple[str, torch.Tensor, _Described]]:
        pending = []
        for name, tensor in _written_tensors(mutated, args, kwargs):
            described = _describe(tensor)
            if described is not None:
                pending.append((name, tensor, described))
        return pending

    def _commit(self, func: Any, pending: list[Any]) -> None:
        user, inner = _locate(sys._getframe())
        writes_per_tensor: dict[int, int] = {}
        for _, tensor, _ in pending:
            writes_per_tensor[id(tensor)] = writes_per_tensor.get(id(tensor), 0) + 1
        for name, tensor, (version, base_shape, node, storage) in pending:
            self.history.append(
                _Entry(next(self._counter), func, name, version, writes_per_tensor[id(tensor)],
                       tuple(tensor.shape), tensor.dtype, base_shape, node, storage, user, inner)
            )


# -- switching ---------------------------------------------------------------

_lock = threading.Lock()
_history: deque[_Entry] = deque(maxlen=DEFAULT_CAPACITY)
_recorder: _Recorder | None = None


def enable(capacity: int | None = None) -> None:
    """Start recording in-place writes made by this thread (idempotent).

    Args:
        capacity: how many of the latest writes to keep; ``None`` keeps the
            current setting (``DEFAULT_CAPACITY`` at first).
    """
    global _recorder, _history
    with _lock:
        if capacity is not None and capacity != _history.maxlen:
            _history = deque(_history, maxlen=capacity)
            if _recorder is not None:
                _recorder.history = _history
        if _recorder is not None:
            return
        _recorder = _Recorder(_history)
        _recorder.__enter__()


def disable() -> None:
    """Stop recording (idempotent). Recorded writes stay queryable until :func:`clear`."""
    global _recorder
    with _lock:
        recorder, _recorder = _recorder, None
    if recorder is None:
        return
    recorder.recording = False
    # Only pop the mode if it is on top: popping blindly would remove a mode
    # someone pushed after us. Otherwise it stays as a pass-through until then.
    stack = torch.utils._python_dispatch._get_current_dispatch_mode_stack()
    if stack and stack[-1] is recorder:
        recorder.__exit__(None, None, None)


def is_enabled() -> bool:
    """Whether trace mode is recording."""
    return _recorder is not None


@contextlib.contextmanager
def trace(capacity: int | None = None) -> Iterator[None]:
    """Record in-place writes inside the ``with`` block (``with ae.trace(): ...``).

    Nested use, or use while :func:`enable` is in effect, leaves the outer
    state as it was on exit.
    """
    was_enabled = is_enabled()
    enable(capacity)
    try:
        yield
    finally:
        if not was_enabled:
            disable()


def clear() -> None:
    """Forget every recorded write."""
    _history.clear()


# -- queries -----------------------------------------------------------------

def _public(entry: _Entry) -> InplaceWrite:
    user, inner = entry.user, entry.inner
    filename, lineno, function = user if user is not None else (None, None, None)
    line = linecache.getline(filename, lineno).strip() if filename and lineno else ""
    return InplaceWrite(
        filename=filename,
        lineno=lineno,
        line=line,
        function=function,
        op=str(entry.op),
        argument=entry.argument,
        version_before=entry.version_before,
        version_after=entry.version_before + entry.bumps,
        shape=entry.shape,
        dtype=str(entry.dtype).replace("torch.", ""),
        base_shape=entry.base_shape,
        node=entry.node,
        inner_filename=inner.filename if inner else None,
        inner_lineno=inner.lineno if inner else None,
        inner_function=inner.function if inner else None,
        sequence=entry.sequence,
    )


def _newest_first() -> list[_Entry]:
    return list(reversed(_history))


def all_writes() -> list[InplaceWrite]:
    """Every recorded write still in the history, newest first."""
    return [_public(entry) for entry in _newest_first()]


def _storage_ref(tensor: torch.Tensor) -> StorageWeakRef | None:
    try:
        return StorageWeakRef(tensor.untyped_storage())
    except (RuntimeError, NotImplementedError, TypeError):
        return None


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
    return [_public(e) for e in _newest_first() if e.storage is not None and e.storage.cdata == wanted.cdata]


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
