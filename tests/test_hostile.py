"""``ae.explain`` and the hook under hostile input.

Promises checked in every case: no exception escapes; the hook still shows the
original traceback; no user code runs (tripwire objects record every dunder,
property, ``__getattr__`` and ``__torch_function__`` call); no tensor's
``_version``, ``requires_grad`` or ``.grad`` changes; grad mode, inference
mode, anomaly mode and RNG states are unchanged; nothing (tensor or frame) is
kept alive afterwards.
"""

from __future__ import annotations

import contextlib
import gc
import io
import random
import subprocess
import sys
import textwrap
import warnings
import weakref
from pathlib import Path

import pytest
import torch

import autograd_explain as ae
import autograd_explain._ipython as ae_ipython
import autograd_explain.pipeline as pipeline

from conftest import run_cells

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------
# Tripwires: objects whose every hook records the call (and raises when armed).
# --------------------------------------------------------------------------------------

CALLS: list[str] = []
ARMED = [False]


class TripwireError(Exception):
    pass


def _trip(what: str):
    CALLS.append(what)
    raise TripwireError(what)


class TripwireMeta(type):
    def __instancecheck__(cls, obj):
        if ARMED[0]:
            _trip("__instancecheck__")
        return type.__instancecheck__(cls, obj)

    def __subclasscheck__(cls, sub):
        if ARMED[0]:
            _trip("__subclasscheck__")
        return type.__subclasscheck__(cls, sub)


def _dunder(name: str, unarmed):
    def method(self, *args, **kwargs):
        if ARMED[0]:
            _trip(name)
        return unarmed(self, *args, **kwargs)
    method.__name__ = name
    return method


class Tripwire(metaclass=TripwireMeta):
    """Behaves like a harmless model/config while disarmed; every hook trips when armed."""

    def __init__(self, key_hash: int | None = None) -> None:
        object.__setattr__(self, "_key_hash", key_hash)

    def __getattribute__(self, name):
        if ARMED[0]:
            _trip(f"__getattribute__({name})")
        return object.__getattribute__(self, name)

    def __getattr__(self, name):
        if ARMED[0]:
            _trip(f"__getattr__({name})")
        if name.startswith("__"):
            raise AttributeError(name)
        return Tripwire()

    @property
    def prop(self):
        if ARMED[0]:
            _trip("property prop")
        return torch.zeros(3)

    @property
    def __class__(self):  # isinstance() falls back to this
        if ARMED[0]:
            _trip("__class__")
        return Tripwire

    __call__ = _dunder("__call__", lambda self, *a, **k: torch.zeros(3))
    __getitem__ = _dunder("__getitem__", lambda self, key: torch.zeros(3))
    __iter__ = _dunder("__iter__", lambda self: iter([torch.zeros(3)]))
    __len__ = _dunder("__len__", lambda self: 1)
    __repr__ = _dunder("__repr__", lambda self: "Tripwire()")
    __str__ = _dunder("__str__", lambda self: "Tripwire()")
    __format__ = _dunder("__format__", lambda self, spec: "Tripwire()")
    __bool__ = _dunder("__bool__", lambda self: True)
    __eq__ = _dunder("__eq__", lambda self, other: self is other)
    __ne__ = _dunder("__ne__", lambda self, other: self is not other)
    __hash__ = _dunder("__hash__", lambda self: object.__getattribute__(self, "_key_hash") or id(self))
    __contains__ = _dunder("__contains__", lambda self, item: False)
    __dir__ = _dunder("__dir__", lambda self: [])
    __float__ = _dunder("__float__", lambda self: 0.0)
    __index__ = _dunder("__index__", lambda self: 0)
    __array__ = _dunder("__array__", lambda self, *a, **k: None)
    __mul__ = _dunder("__mul__", lambda self, other: torch.zeros(3))
    __rmul__ = _dunder("__rmul__", lambda self, other: torch.zeros(3))
    __add__ = _dunder("__add__", lambda self, other: torch.zeros(3))
    __radd__ = _dunder("__radd__", lambda self, other: torch.zeros(3))

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if ARMED[0]:
            _trip("__torch_function__")
        return NotImplemented


class CountingTensor(torch.Tensor):
    """A tensor subclass that counts its ``__torch_function__`` calls."""

    calls = [0]

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.calls[0] += 1
        return super().__torch_function__(func, types, args, kwargs or {})


@contextlib.contextmanager
def armed():
    CALLS.clear()
    ARMED[0] = True
    try:
        yield CALLS
    finally:
        ARMED[0] = False


# --------------------------------------------------------------------------------------
# State that explaining must not change
# --------------------------------------------------------------------------------------

def _raw(getter, t):
    with torch._C.DisableTorchFunctionSubclass(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # .grad of a non-leaf warns
        return getter.__get__(t)


def tensor_state(t: torch.Tensor):
    state = []
    for getter in (torch._C.TensorBase._version, torch._C.TensorBase.requires_grad):
        try:
            state.append(_raw(getter, t))
        except Exception as error:  # some layouts have no version counter
            state.append(type(error).__name__)
    grad = _raw(torch._C.TensorBase.grad, t)
    state.append(None if grad is None else (id(grad), _raw(torch._C.TensorBase._version, grad)))
    return tuple(state)


def _tensors_in(values, depth=0):
    for value in list(values):
        if issubclass(type(value), torch.Tensor):
            yield value
        elif issubclass(type(value), torch.nn.Module):
            yield from value._parameters.values() if type(value._parameters) is dict else ()
            for child in value._modules.values():
                yield from _tensors_in([child], depth + 1)
        elif type(value) in (list, tuple) and depth < 2:
            yield from _tensors_in(value, depth + 1)


def global_state():
    return (
        torch.is_grad_enabled(), torch.is_inference_mode_enabled(), torch.is_anomaly_enabled(),
        torch.get_rng_state().tolist(), random.getstate(), torch.get_default_dtype(),
        torch.are_deterministic_algorithms_enabled(), sys.getrecursionlimit(),
    )


def snapshot(namespace) -> tuple:
    tensors = [t for t in _tensors_in(v for k, v in list(namespace.items()) if type(k) is str) if t is not None]
    return global_state(), {id(t): tensor_state(t) for t in tensors}


def frame_namespaces(exc):
    tb = exc.__traceback__
    while tb is not None:
        yield tb.tb_frame.f_locals
        tb = tb.tb_next


def explain_checked(exc, namespace=None, **kwargs):
    """ae.explain with every promise checked (tripwires armed during the call)."""
    spaces = [namespace] if namespace is not None else []
    spaces += [dict(ns) for ns in frame_namespaces(exc)]
    before = [snapshot(ns) for ns in spaces]
    with armed() as calls, warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        result = ae.explain(exc, namespace, **kwargs)
    assert calls == [], f"user code ran during explain: {calls}"
    assert not warned, f"explain emitted warnings: {[str(w.message)[:100] for w in warned]}"
    assert [snapshot(ns) for ns in spaces] == before, "explain changed a tensor or global state"
    assert result is None or isinstance(result, ae.Diagnosis)
    return result


@pytest.fixture
def guarded(monkeypatch):
    """Wrap the hook's analysis: arm tripwires and compare state around it; collect violations."""
    violations: list[str] = []
    calls: list[tuple] = []
    original = ae_ipython.explain_or_error

    def wrapper(evalue, user_ns, **kwargs):
        before = snapshot(user_ns)
        with armed() as tripped:
            result = original(evalue, user_ns, **kwargs)
        if tripped:
            violations.append(f"user code ran: {list(tripped)}")
        if snapshot(user_ns) != before:
            violations.append("state changed")
        calls.append(result)
        return result

    monkeypatch.setattr(ae_ipython, "explain_or_error", wrapper)
    return violations, calls


def assert_traceback_shown(run, message_fragment: str):
    output = run.stdout + run.stderr
    assert "Traceback" in output or "Error" in output, output[:500]
    assert message_fragment in output, output[:2000]


# --------------------------------------------------------------------------------------
# Hostile namespaces through the real hook
# --------------------------------------------------------------------------------------

HOSTILE_SETUP = """
x = torch.randn(3, requires_grad=True)
with torch.no_grad():
    pred = model(x)
    y = cfg.prop * x + scale
feat = net.head(x)
item = batch[0]
loss = crit(pred, y) + pred.sum()
"""


def _inject_tripwires(ip):
    for name in ("model", "cfg", "scale", "net", "batch", "crit"):
        ip.user_ns[name] = Tripwire()


def test_tripwire_self_check():
    """The tripwires really trip on the operations explain must avoid."""
    wire = Tripwire()
    for probe in (repr, len, bool, hash, lambda w: w.anything, lambda w: w.prop, lambda w: w == 1,
                  lambda w: isinstance(w, torch.Tensor), lambda w: isinstance(w, int)):
        with armed() as calls:
            with pytest.raises(TripwireError):
                probe(wire)
        assert calls


def test_hostile_namespace_through_hook(ip, guarded):
    violations, calls = guarded
    _inject_tripwires(ip)
    run = run_cells(ip, ["import torch", HOSTILE_SETUP, "loss.backward()"])
    assert isinstance(run.error, RuntimeError)
    assert_traceback_shown(run, "does not require grad")
    assert calls, "the hook did not analyse the error"
    assert not violations, violations
    assert "unavailable" not in run.stderr


def test_hostile_objects_as_the_culprit(ip, guarded):
    violations, _ = guarded
    _inject_tripwires(ip)
    cells = ["import torch", "x = torch.randn(3, requires_grad=True)\nz = model(x)\nw = cfg.prop\nv = batch[0]",
             "z.backward()"]
    run = run_cells(ip, cells)
    assert run.error is not None
    assert not violations, violations
    for cell in ("w.backward()", "v.sum().backward()", "model(x).sum().backward()", "cfg.prop.backward()"):
        run = run_cells(ip, [cell])
        assert run.error is not None
        assert not violations, (cell, violations)


def test_non_string_keys_and_hash_collisions(ip, guarded):
    violations, _ = guarded
    _inject_tripwires(ip)
    # keys whose hash collides with the names explain looks up: a lookup would call their __eq__
    for name in ("x", "pred", "y", "loss", "model", "torch"):
        ip.user_ns[Tripwire(key_hash=hash(name))] = 1
    ip.user_ns[1] = torch.randn(2)
    ip.user_ns[(1, 2)] = "tuple key"
    ip.user_ns[None] = None
    run = run_cells(ip, ["import torch", HOSTILE_SETUP, "loss.backward()"])
    assert isinstance(run.error, RuntimeError)
    assert not violations, violations
    for key in [k for k in ip.user_ns if type(k) is not str]:
        del ip.user_ns[key]


TENSOR_ZOO = {
    "meta": "torch.empty(4, device='meta', requires_grad=True)",
    "sparse": "torch.sparse_coo_tensor([[0, 1]], [1.0, 2.0], (3,), requires_grad=True)",
    "complex": "torch.randn(3, dtype=torch.complex64, requires_grad=True)",
    "subclass": "torch.randn(3).as_subclass(CountingTensor).requires_grad_()",
    "huge": "torch.zeros(1).expand(2 ** 40).requires_grad_()",
    "huge_meta": "torch.empty(2 ** 45, device='meta', requires_grad=True)",
    "zero_dim": "torch.tensor(1.0, requires_grad=True)",
    "empty": "torch.empty(0, requires_grad=True)",
    "parameter": "torch.nn.Parameter(torch.randn(3))",
    "double": "torch.randn(3, dtype=torch.float64, requires_grad=True)",
}

ERROR_CELLS = {
    "no_grad": ("with torch.no_grad():\n    y = t * 2", "y.sum().backward()"),
    "detach": ("y = t.detach() * 2", "y.sum().backward()"),
    "inplace": ("y = t.exp()\ny.add_(1)", "y.sum().backward()"),
    "nonscalar": ("y = t * 2", "y.backward()"),
    "twice": ("y = (t * t).sum()\ny.backward()", "y.backward()"),
    "item": ("y = t.sum().item()", "y.backward()"),
}


# Huge tensors only meet errors that do not touch their data (user code that sums
# 2**40 elements would take minutes by itself); explaining must not touch it either.
VIEW_ERROR_CELLS = {
    "detach": ("y = t.detach()[:3]", "y.backward()"),
    "nonscalar": ("y = t[:5]", "y.backward()"),
    "no_grad_view": ("with torch.no_grad():\n    y = t[1:]", "y.backward()"),
}


@pytest.mark.parametrize("kind", sorted(TENSOR_ZOO))
def test_tensor_zoo_through_hook(ip, guarded, kind):
    violations, calls = guarded
    ip.user_ns["CountingTensor"] = CountingTensor
    run_cells(ip, ["import torch", f"t = {TENSOR_ZOO[kind]}"])
    for name, (setup, failing) in (VIEW_ERROR_CELLS if kind.startswith("huge") else ERROR_CELLS).items():
        try:
            ip.run_cell(setup, store_history=True)
        except Exception:
            continue
        CountingTensor.calls[0] = 0
        calls.clear()
        before_tf = CountingTensor.calls[0]
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            result = ip.run_cell(failing, store_history=True)
        text = out.getvalue()
        assert "Custom TB Handler failed" not in text, (kind, name, text[-2000:])
        if result.error_in_exec is not None:
            assert type(result.error_in_exec).__name__ in text, (kind, name, text[-2000:])
        assert not violations, (kind, name, violations)
        if kind == "subclass" and result.error_in_exec is not None:
            # the failing cell itself calls __torch_function__; explaining it must add nothing
            explained_calls = CountingTensor.calls[0] - before_tf
            CountingTensor.calls[0] = 0
            ip.run_line_magic("unload_ext", "autograd_explain")
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                ip.run_cell(setup, store_history=True)
                CountingTensor.calls[0] = 0
                ip.run_cell(failing, store_history=True)
            ip.run_line_magic("load_ext", "autograd_explain")
            assert explained_calls == CountingTensor.calls[0], (name, explained_calls, CountingTensor.calls[0])


def test_ten_thousand_variables(ip, guarded):
    violations, _ = guarded
    for i in range(10_000):
        ip.user_ns[f"t{i}"] = torch.zeros(2, requires_grad=bool(i % 2))
    for i in range(200):
        ip.user_ns[f"wire{i}"] = Tripwire()
    run = run_cells(ip, ["import torch", "x = torch.randn(3, requires_grad=True)\nwith torch.no_grad():\n    y = x * 2",
                         "y.sum().backward()"])
    assert not violations, violations
    assert run.diagnosis is not None and run.diagnosis.kind == "no-grad-fn"
    assert run.diagnosis.variables[0] == "y"


# --------------------------------------------------------------------------------------
# Hostile exceptions through ae.explain directly
# --------------------------------------------------------------------------------------

NO_GRAD = "element 0 of tensors does not require grad and does not have a grad_fn"
INPLACE = ("one of the variables needed for gradient computation has been modified by an inplace operation: "
           "[torch.FloatTensor [3]], which is output 0 of Exp, is at version 1; expected version 0 instead.")
MESSAGES = [
    NO_GRAD, INPLACE, "grad can be implicitly created only for scalar outputs",
    "Trying to backward through the graph a second time",
    "a leaf Variable that requires grad is being used in an in-place operation.",
    "Only Tensors of floating point and complex dtype can require gradients",
    "Function 'LogBackward0' returned nan values in its 0th output.",
    "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of torch.Size([]).",
    "The differentiated Tensor at index 1 appears to not have been used in the graph",
    "One of the differentiated Tensors does not require grad",
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
    "Inference tensors cannot be saved for backward.",
    "you can only change requires_grad flags of leaf variables.",
]


class StrRaises(RuntimeError):
    def __str__(self):
        _trip("exception __str__")

    def __repr__(self):
        _trip("exception __repr__")


class ArgsProperty(RuntimeError):
    @property
    def args(self):
        _trip("exception args property")


@pytest.mark.parametrize("message", MESSAGES)
def test_exceptions_without_traceback(message):
    for exc in (RuntimeError(message), StrRaises(message), ArgsProperty(message), AttributeError(message)):
        explain_checked(exc, {"x": torch.randn(2, requires_grad=True), "wire": Tripwire()})
        explain_checked(exc)


@pytest.mark.parametrize("exc", [
    RuntimeError(), RuntimeError(""), RuntimeError(None), RuntimeError(42), RuntimeError(NO_GRAD, 1, 2),
    RuntimeError(b"element 0 of tensors does not require grad"), RuntimeError(Tripwire()),
    AttributeError("'float' object has no attribute 'backward'"),
    AttributeError("'Tripwire' object has no attribute 'backward'"),
    AttributeError(), KeyboardInterrupt(), SystemExit(1), GeneratorExit(), StopIteration(), MemoryError(),
    RecursionError(NO_GRAD), ValueError(NO_GRAD), BaseException(NO_GRAD),
    RuntimeError(NO_GRAD * 10_000), RuntimeError("\x00" + NO_GRAD + "\udcff"),
    RuntimeError(INPLACE[:60]), RuntimeError(INPLACE[:130]), RuntimeError(INPLACE.replace("3", "3, 99999999999999999999")),
    RuntimeError(INPLACE.replace("version 1", "version -1")),
    RuntimeError(INPLACE.replace("Exp", "Exp" * 5000)),
], ids=repr)
def test_odd_exceptions(exc):
    namespace = {"x": torch.randn(2, requires_grad=True), "wire": Tripwire(), 3: 4}
    explain_checked(exc, namespace)
    explain_checked(exc)


def test_exception_chains_and_cycles():
    exc = RuntimeError(NO_GRAD)
    other = RuntimeError(INPLACE)
    exc.__cause__ = other
    other.__context__ = exc  # a cycle
    explain_checked(exc, {})


def test_garbled_messages_hypothesis():
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    fragments = st.sampled_from(MESSAGES + [m[: len(m) // 2] for m in MESSAGES] + [m[len(m) // 2:] for m in MESSAGES])
    text = st.one_of(
        st.text(max_size=200),
        st.builds(lambda a, b, c: a + b + c, st.text(max_size=30), fragments, st.text(max_size=30)),
        st.builds(lambda parts: " ".join(parts), st.lists(fragments, max_size=4)),
    )
    namespace = {"x": torch.randn(2, requires_grad=True), "y": torch.randn(2), "wire": Tripwire()}

    @hypothesis.settings(max_examples=150, deadline=None, database=None)
    @hypothesis.given(message=text, cls=st.sampled_from([RuntimeError, AttributeError, StrRaises]))
    def check(message, cls):
        explain_checked(cls(message), namespace)

    check()


def test_hostile_namespace_hypothesis():
    """Random namespaces (odd keys, tripwires, odd tensors) with a real autograd error."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    values = st.sampled_from([
        lambda: Tripwire(), lambda: torch.randn(2, requires_grad=True), lambda: torch.empty(3, device="meta"),
        lambda: torch.randn(2, dtype=torch.complex64), lambda: [Tripwire()], lambda: {"a": Tripwire()},
        lambda: torch.nn.Linear(2, 2), lambda: 1.5, lambda: None, lambda: torch.zeros(1).expand(2 ** 40),
    ])
    keys = st.one_of(st.sampled_from(["x", "y", "loss", "model", "out", "w"]),
                     st.text(min_size=1, max_size=8), st.integers(), st.none())

    def failing(namespace):
        x = torch.randn(3, requires_grad=True)
        with torch.no_grad():
            out = x * 2
        loss = out.sum()
        try:
            loss.backward()
        except RuntimeError as error:
            return error
        raise AssertionError("no error")

    @hypothesis.settings(max_examples=60, deadline=None, database=None)
    @hypothesis.given(st.dictionaries(keys, values, max_size=12))
    def check(spec):
        namespace = {key: make() for key, make in spec.items()}
        exc = failing(namespace)
        explain_checked(exc, namespace)
        explain_checked(exc)

    check()


# --------------------------------------------------------------------------------------
# KeyboardInterrupt during analysis, nothing kept alive
# --------------------------------------------------------------------------------------

def test_keyboard_interrupt_during_analysis(ip, monkeypatch):
    import autograd_explain.rules as rules

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rules, "run_rule", interrupted)
    assert ae.explain(RuntimeError(NO_GRAD), {}) is None
    run = run_cells(ip, ["import torch\nx = torch.randn(2, requires_grad=True)\nwith torch.no_grad():\n    y = x * 2",
                         "y.sum().backward()"])
    assert_traceback_shown(run, "does not require grad")
    assert "unavailable" in run.stderr
    assert "Custom TB Handler failed" not in run.stdout + run.stderr
    assert run.stderr.count("\n") <= 2, run.stderr
    monkeypatch.undo()
    # the hook is still installed and works
    run = run_cells(ip, ["y.sum().backward()"])
    assert run.diagnosis is not None and run.diagnosis.kind == "no-grad-fn"


def test_analysis_error_keeps_the_hook(ip, monkeypatch):
    import autograd_explain.rules as rules

    def broken(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(rules, "run_rule", broken)
    run = run_cells(ip, ["import torch\nx = torch.randn(2, requires_grad=True)\ny = x * 2", "y.backward()"])
    assert_traceback_shown(run, "only for scalar outputs")
    assert "unavailable" in run.stderr
    monkeypatch.undo()
    assert run_cells(ip, ["y.backward()"]).diagnosis is not None


class Sentinel:
    pass


def _failing_in_a_function(kind: str):
    sentinel = Sentinel()
    x = torch.randn(3, requires_grad=True)
    if kind == "no_grad":
        with torch.no_grad():
            y = x * 2
        target = y.sum()
    elif kind == "inplace":
        y = x.exp()
        y += 1
        target = y.sum()
    else:
        y = x * 2
        target = y
    refs = [weakref.ref(sentinel), weakref.ref(x), weakref.ref(y), weakref.ref(target)]
    try:
        target.backward()
    except RuntimeError as error:
        return error, refs
    raise AssertionError("no error")


@pytest.mark.parametrize("kind", ["no_grad", "inplace", "nonscalar"])
def test_nothing_kept_alive_by_explain(kind):
    exc, refs = _failing_in_a_function(kind)
    diagnosis = explain_checked(exc)
    assert diagnosis is not None and diagnosis.variables
    del exc
    gc.collect()
    alive = [r() for r in refs if r() is not None]
    assert not alive, f"kept alive: {[type(a).__name__ for a in alive]}"
    assert diagnosis.kind  # the diagnosis itself is still usable


def _drop_ipython_references(ip) -> None:
    """What IPython itself keeps of the last error (so that only our references remain)."""
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            setattr(sys, name, None)
    ip.last_execution_result = None
    for formatter in (ip.InteractiveTB, getattr(ip, "SyntaxTB", None)):
        if formatter is not None and hasattr(formatter, "tb"):
            formatter.tb = None


def _alive_after_failing_step(ip) -> list[str]:
    ip.user_ns["Sentinel"] = Sentinel
    cells = ["import torch, weakref\nrefs = []",
             "def step():\n    s = Sentinel()\n    x = torch.randn(3, requires_grad=True)\n"
             "    y = x.exp()\n    y += 1\n    refs.extend([weakref.ref(s), weakref.ref(x), weakref.ref(y)])\n"
             "    y.sum().backward()",
             "step()"]
    run = run_cells(ip, cells)
    assert run.error is not None
    refs = ip.user_ns["refs"]
    del run
    _drop_ipython_references(ip)
    gc.collect()
    return [type(r()).__name__ for r in refs if r() is not None]


def test_nothing_kept_alive_by_the_hook(ip):
    diagnosis_before = pipeline.last()
    alive = _alive_after_failing_step(ip)
    assert pipeline.last() is not diagnosis_before, "the hook did not explain the error"
    assert not alive, f"kept alive after the hook: {alive}"
    # control: without the extension the same clean-up frees everything too
    ip.run_line_magic("unload_ext", "autograd_explain")
    try:
        assert not _alive_after_failing_step(ip)
    finally:
        ip.run_line_magic("load_ext", "autograd_explain")


# --------------------------------------------------------------------------------------
# A 100k-node graph, in a subprocess (a crash must not take pytest down)
# --------------------------------------------------------------------------------------

BIG_GRAPH = textwrap.dedent("""
    import gc, sys, io, contextlib
    import torch
    import autograd_explain as ae
    from IPython.core.interactiveshell import InteractiveShell

    N = 100_000
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "autograd_explain")
    cells = [
        "import torch\\nx = torch.randn(4, requires_grad=True)\\na = x.exp()\\ny = a\\n"
        "for _ in range(%d):\\n    y = y * 1.0\\na += 1" % N,
        "y.sum().backward()",
        "with torch.no_grad():\\n    z = y * 2\\nz.sum().backward()",
    ]
    for cell in cells:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            shell.run_cell(cell, store_history=True)
        d = ae.last()
        print("hook:", d and (d.kind, d.cause, d.variables), flush=True)
    # explain() on a fresh error of the same graph, then free everything
    try:
        shell.user_ns["y"].sum().backward()
    except RuntimeError as error:
        d = ae.explain(error, shell.user_ns, shell=shell)
        print("explain:", d and (d.kind, d.cause, d.variables), flush=True)
        del error
    try:
        from autograd_explain.graph import gradgraph
    except Exception:
        gradgraph = None
    if gradgraph is not None:
        drawing = gradgraph(shell.user_ns["y"])
        svg = drawing._repr_mimebundle_().get("image/svg+xml", "") if hasattr(drawing, "_repr_mimebundle_") else ""
        print("gradgraph svg bytes:", len(svg), flush=True)
        del drawing
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            setattr(sys, name, None)
    shell.reset(new_session=False)
    del d
    gc.collect()
    print("freed", flush=True)
""")


@pytest.mark.slow
def test_hundred_thousand_node_graph_does_not_crash(tmp_path):
    script = tmp_path / "big_graph.py"
    script.write_text(BIG_GRAPH)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240,
                            cwd=str(tmp_path))
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"
    assert "freed" in result.stdout, result.stdout + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("hook: None"), lines  # the setup cell
    assert lines[1].startswith("hook: ('inplace-modified'"), lines
    assert lines[2].startswith("hook: ('no-grad-fn'"), lines


# --------------------------------------------------------------------------------------
# User code reachable from saved tensors, modes and metaclasses (red-team round J)
# --------------------------------------------------------------------------------------

def test_checkpointed_forward_is_not_rerun_and_unpack_hooks_not_called(ip):
    """Probing saved tensors must skip slots with user unpack hooks: activation checkpointing
    would re-run the user's forward (moving BatchNorm's running statistics), and a
    ``saved_tensors_hooks`` unpack hook is user code."""
    ip.user_ns["CALLS"] = calls = []
    run = run_cells(ip, [
        "import torch, torch.nn as nn\nfrom torch.utils.checkpoint import checkpoint\n"
        "class Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.bn = nn.BatchNorm1d(4)\n"
        "    def forward(self, x):\n        CALLS.append('forward')\n        return torch.tanh(self.bn(x))\n"
        "block = Block()\nw = torch.randn(4, requires_grad=True)\n"
        "c = checkpoint(block, torch.randn(8, 4) * w, use_reentrant=False)\n"
        "with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: CALLS.append('unpack') or t):\n"
        "    hooked = torch.tanh(w) * w\n"
        "s = torch.sigmoid(w)\ns.mul_(2)\nloss = c.sum() + hooked.sum() + s.sum()\n"
        "batches = int(block.bn.num_batches_tracked)",
        "loss.backward()",
    ])
    assert run.diagnosis is not None and run.diagnosis.kind == "inplace-modified", run.diagnosis
    assert run.diagnosis.variables[0] == "s", run.diagnosis.variables
    assert calls == ["forward"], calls  # the one forward of the setup cell, no recompute, no unpack
    assert int(ip.user_ns["block"].bn.num_batches_tracked) == ip.user_ns["batches"]


def test_torch_function_mode_sees_only_the_users_calls(ip):
    ip.user_ns["CALLS"] = calls = []
    ip.run_cell("import torch\nfrom torch.overrides import TorchFunctionMode\n"
                "class Log(TorchFunctionMode):\n    def __torch_function__(self, f, t, a=(), k=None):\n"
                "        CALLS.append(getattr(f, '__name__', str(f)))\n        return f(*a, **(k or {}))\n"
                "x = torch.randn(3, requires_grad=True)\ny = x.exp()\ny.add_(1)\nmode = Log()\nmode.__enter__()",
                store_history=True)
    try:
        before = len(calls)
        run = run_cells(ip, ["y.sum().backward()"])
    finally:
        ip.run_cell("mode.__exit__(None, None, None)")
    assert run.diagnosis is not None and run.diagnosis.kind == "inplace-modified"
    assert calls[before:] == ["sum", "backward"], calls[before:]


def test_metaclass_and_getattribute_of_user_classes_not_called(ip):
    ip.user_ns["CALLS"] = calls = []
    run_cells(ip, [
        "import torch, torch.nn as nn\n"
        "class Meta(type):\n    def __getattribute__(cls, n):\n        CALLS.append(n)\n        return type.__getattribute__(cls, n)\n"
        "class Net(nn.Module, metaclass=Meta):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(3, 3)\n"
        "    def forward(self, x):\n        return self.fc(x)\n"
        "class Cfg:\n    def __getattribute__(self, n):\n        CALLS.append(n)\n        return object.__getattribute__(self, n)\n"
        "cfg = Cfg()\nnet = Net()\nwith torch.no_grad():\n    out = net(torch.randn(2, 3))\n"
        "CALLS.clear()",
        "out.sum().backward()",
    ])
    assert calls == [], calls


def test_first_panel_keeps_pythons_random_stream(tmp_path):
    """The terminal renderer imports rich lazily, whose import draws random bits: the user's
    seeded ``random`` stream must be as if nothing had happened (a fresh process, rich not loaded)."""
    script = tmp_path / "rng.py"
    script.write_text(textwrap.dedent("""
        import io, contextlib, random, sys
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        shell.run_line_magic("load_ext", "autograd_explain")
        assert "rich" not in sys.modules
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            shell.run_cell("import random, torch\\nrandom.seed(0)\\nx = torch.randn(3, requires_grad=True)\\n"
                           "with torch.no_grad():\\n    y = x * 2", store_history=True)
            shell.run_cell("y.sum().backward()", store_history=True)
            shell.run_cell("v = random.random()", store_history=True)
        random.seed(0)
        print(shell.user_ns["v"] == random.random(), "rich" in sys.modules)
    """))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                            cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["True", "True"], result.stdout + result.stderr[-2000:]
