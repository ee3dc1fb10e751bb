"""Trace mode records in-place writes with the user's line, and changes nothing else."""

from __future__ import annotations

import gc
import inspect
import weakref
from typing import Iterator

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from autograd_explain import tracing as trace

BACKENDS = ["kernels", "mode"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    trace.disable()
    trace.clear()
    yield request.param
    trace.disable()
    trace.clear()


def _line_of(marker: str) -> int:
    """Line number in this file of the line ending with ``# <marker>``."""
    lines, start = inspect.getsourcelines(inspect.getmodule(_line_of))  # type: ignore[arg-type]
    for offset, text in enumerate(lines):
        if text.rstrip().endswith(f"# {marker}"):
            return start + offset if start else offset + 1
    raise AssertionError(marker)


def _only_write(op: str) -> trace.InplaceWrite:
    writes = [w for w in trace.all_writes() if w.op == op]
    assert len(writes) == 1, trace.all_writes()
    return writes[0]


def test_augmented_assignment(backend: str) -> None:
    x = torch.randn(3, 4, requires_grad=True)
    with trace.trace(backend=backend):
        y = x.exp()
        y += 1  # iadd
    write = _only_write("aten.add_.Tensor")
    assert (write.filename, write.lineno) == (__file__, _line_of("iadd"))
    assert write.line == "y += 1  # iadd"
    assert write.function == "test_augmented_assignment"
    assert (write.version_before, write.version_after) == (0, 1) == (0, y._version)
    assert write.shape == (3, 4) and write.dtype == "float32"
    assert write.node == "ExpBackward0" and write.argument == "self"
    assert write.inner_filename is None


def test_inplace_method(backend: str) -> None:
    y = torch.ones(5)
    with trace.trace(backend=backend):
        y.mul_(2)  # mul_
    write = _only_write("aten.mul_.Tensor")
    assert write.lineno == _line_of("mul_")
    assert (write.version_before, write.version_after) == (0, 1)


def test_setitem_records_view_and_base_shape(backend: str) -> None:
    y = torch.zeros(3, 4)
    with trace.trace(backend=backend):
        y[0] = 1  # setitem
    (write,) = [w for w in trace.all_writes() if w.lineno == _line_of("setitem")]
    assert write.shape == (4,) and write.base_shape == (3, 4)
    assert write.matches_shape((3, 4))
    assert write.version_after == y._version == 1


def test_out_argument(backend: str) -> None:
    x, y = torch.randn(2, 2), torch.empty(2, 2)
    with trace.trace(backend=backend):
        torch.exp(x, out=y)  # out=
    write = _only_write("aten.exp.out")
    assert write.argument == "out" and write.lineno == _line_of("out=")
    assert write.version_after == y._version


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc(x))  # module relu


def test_inplace_module_blames_the_users_forward(backend: str) -> None:
    net = _Net()
    with trace.trace(backend=backend):
        net(torch.randn(2, 4))
    write = _only_write("aten.relu_.default")
    assert (write.filename, write.lineno) == (__file__, _line_of("module relu"))
    assert write.function == "forward"
    assert write.inner_filename is not None and write.inner_filename.endswith("functional.py")
    assert write.node == "AddmmBackward0"


def test_functional_inplace_relu(backend: str) -> None:
    x = torch.randn(3, requires_grad=True)
    with trace.trace(backend=backend):
        h = x * 2
        F.relu(h, inplace=True)  # F.relu
    write = _only_write("aten.relu_.default")
    assert write.lineno == _line_of("F.relu")


def test_nothing_recorded_when_disabled(backend: str) -> None:
    y = torch.ones(3)
    with trace.trace(backend=backend):
        pass
    y += 1
    y.mul_(2)
    y[0] = 0
    assert trace.all_writes() == []
    assert not trace.is_enabled()


def test_enable_disable_and_nesting(backend: str) -> None:
    trace.enable(backend=backend)
    assert trace.is_enabled()
    with trace.trace():
        pass
    assert trace.is_enabled()  # the inner block leaves the outer state alone
    trace.disable()
    trace.disable()
    assert not trace.is_enabled()


def test_keeps_no_tensor_alive(backend: str) -> None:
    with trace.trace(backend=backend):
        y = torch.randn(100, requires_grad=True).exp()
        y.add_(1)
        y[3] = 0
    ref = weakref.ref(y)
    del y
    gc.collect()
    assert ref() is None
    assert len(trace.all_writes()) >= 2  # the records outlive the tensor


def test_grad_mode_numerics_and_versions_unchanged(backend: str) -> None:
    def run() -> tuple[torch.Tensor, torch.Tensor, int, bool]:
        torch.manual_seed(0)
        x = torch.randn(4, 3, requires_grad=True)
        y = x.exp() * 2
        y.mul_(0.5)
        y[0] = 3
        z = torch.empty(4, 3)
        torch.sin(x.detach(), out=z)
        (y * z).sum().backward()
        assert x.grad is not None
        return y.detach(), x.grad, y._version, torch.is_grad_enabled()

    plain = run()
    with torch.no_grad():
        with trace.trace(backend=backend):
            assert not torch.is_grad_enabled()
    with trace.trace(backend=backend):
        traced = run()
    assert torch.equal(plain[0], traced[0]) and torch.equal(plain[1], traced[1])
    assert plain[2:] == traced[2:]
    assert torch.is_grad_enabled()


def test_errors_pass_through_unchanged(backend: str) -> None:
    leaf = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        with trace.trace(backend=backend):
            leaf.add_(1)
    assert not trace.is_enabled()


def test_find_culprit_from_the_error_message(backend: str) -> None:
    x = torch.randn(3, 4, requires_grad=True)
    with trace.trace(backend=backend):
        other = torch.randn(3, 4, requires_grad=True) * 1
        y = x.exp()
        y += 1  # culprit
        other.add_(1)  # same shape, same version, newer, but not an Exp output
        with pytest.raises(RuntimeError, match="expected version 0") as info:
            y.sum().backward()
    assert "output 0 of Exp" in str(info.value)
    found = trace.find_culprit(0, shape=(3, 4), current_version=1, node="Exp")
    assert found is not None and found.lineno == _line_of("culprit")
    by_tensor = trace.find_culprit(0, tensor=y)
    assert by_tensor is not None and by_tensor.lineno == _line_of("culprit")
    assert trace.find_culprit(7, shape=(3, 4)) is None


def test_writes_to_matches_views_not_lookalikes(backend: str) -> None:
    with trace.trace(backend=backend):
        y = torch.zeros(2, 3)
        twin = torch.zeros(2, 3)
        y[1].fill_(2)  # view write
        twin.add_(1)
    lines = [w.lineno for w in trace.writes_to(y)]
    assert lines == [_line_of("view write")]
    assert [w.op for w in trace.writes_to(twin)] == ["aten.add_.Tensor"]


def test_foreach_and_random_inplace_ops_are_recorded(backend: str) -> None:
    params = [torch.zeros(2), torch.zeros(3)]
    with trace.trace(backend=backend):
        torch._foreach_add_(params, 1.0)  # foreach
        params[0].uniform_()  # random
    foreach = [w for w in trace.all_writes() if w.lineno == _line_of("foreach")]
    assert sorted(w.shape for w in foreach) == [(2,), (3,)]
    assert [w.op for w in trace.all_writes() if w.lineno == _line_of("random")] == ["aten.uniform_.default"]


def test_history_is_bounded(backend: str) -> None:
    y = torch.zeros(1)
    with trace.trace(capacity=5, backend=backend):
        for _ in range(20):
            y.add_(1)
    writes = trace.all_writes()
    assert len(writes) == 5
    assert [w.version_before for w in writes] == [19, 18, 17, 16, 15]  # newest first
    trace.enable(capacity=trace.DEFAULT_CAPACITY)
    trace.disable()


def test_kernels_are_removed_on_disable() -> None:
    trace.enable(backend="kernels")
    assert torch._C._dispatch_has_kernel_for_dispatch_key("aten::add_.Tensor", "PreDispatch")
    trace.disable()
    assert not torch._C._dispatch_tls_is_dispatch_key_included(torch._C.DispatchKey.PreDispatch)
    assert not torch._C._dispatch_has_kernel_for_dispatch_key("aten::add_.Tensor", "PreDispatch")


def test_other_ops_fall_through_the_key_while_tracing_and_not_after() -> None:
    # A fallthrough shows in the dispatch table as "fallthrough registered at ...";
    # without it the op uses the key's boxed fallback ("[backend fallback]").
    def pre_dispatch_entry(op: str) -> str:
        lines = torch._C._dispatch_dump_table(op).splitlines()
        return next(line for line in lines if line.startswith("PreDispatch:"))

    trace.enable(backend="kernels")
    try:
        assert "fallthrough" in pre_dispatch_entry("aten::add.Tensor")
        assert "fallthrough" not in pre_dispatch_entry("aten::add_.Tensor")  # our kernel
    finally:
        trace.disable()
    assert "backend fallback" in pre_dispatch_entry("aten::add.Tensor")


def test_find_culprit_write_takes_the_parsed_message_fields(backend: str) -> None:
    with trace.trace(backend=backend):
        y = torch.randn(2, 3, requires_grad=True).sigmoid()
        y.mul_(2)  # parsed fields
        scalar = torch.randn((), requires_grad=True).exp()
        scalar.add_(1)
    write = trace.find_culprit_write("2, 3", 1, 0)
    assert write is not None and write.lineno == _line_of("parsed fields")
    assert trace.find_culprit_write("", 1, 0, node="Exp").op == "aten.add_.Tensor"  # 0-dim: "[]"
    assert trace.find_culprit_write("2, 3", 1, None) is None


def _many_inplace_ops() -> tuple[torch.Tensor, ...]:
    torch.manual_seed(0)
    y, out = torch.randn(4, 5), torch.empty(4, 5)
    mask = y > 0
    ints, half = torch.zeros(4, 5, dtype=torch.int32), torch.randn(4, 5).half()
    y.clamp_(min=0.1)
    y.pow_(2)
    y.div_(3)
    y.sub_(1, alpha=2)
    y.masked_fill_(mask, 0.5)
    y.index_fill_(1, torch.tensor([0, 2]), -1.0)
    y.addcmul_(y, y, value=0.1)
    y.lerp_(torch.ones(4, 5), 0.3)
    y[mask] = 1.0
    y[:, 0] += 1
    torch.add(y, 1, out=out)
    y.copy_(out)
    ints += 3
    ints.mul_(2)
    ints.fmod_(4)
    half.mul_(1.5)
    half += 2.25
    y.bernoulli_(0.5)
    return y, out, ints, half, torch.rand(3)


def test_many_ops_same_values_dtypes_and_random_stream(backend: str) -> None:
    plain = _many_inplace_ops()
    with trace.trace(backend=backend):
        traced = _many_inplace_ops()
    for a, b in zip(plain, traced):
        assert a.dtype == b.dtype and torch.equal(a, b)
    assert len(trace.all_writes()) >= 18


# -- library optimizers: one record per parameter, at the user's .step() line --------

@pytest.fixture
def fresh() -> Iterator[None]:
    trace.disable()
    trace.clear()
    yield
    trace.disable()
    trace.clear()

def _sgd_model() -> tuple[nn.Linear, torch.optim.SGD]:
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def test_library_optimizer_step_is_one_write_per_parameter(fresh: None) -> None:
    model, optimizer = _sgd_model()
    with trace.trace(backend="kernels"):
        model(torch.randn(2, 4)).sum().backward()
        before = model.weight._version
        optimizer.step()  # sgd-step
    writes = trace.all_writes()
    assert {w.op for w in writes} == {"SGD.step"}, writes
    assert sorted(w.shape for w in writes) == sorted(tuple(p.shape) for p in model.parameters())
    for write in writes:
        assert (write.filename, write.lineno) == (__file__, _line_of("sgd-step"))
        assert (write.version_before, write.version_after) == (before, before + 1)
        assert write.inner_filename is None and write.node is None
    # The record matches the parameter's memory, as a per-op record would.
    assert [w.op for w in trace.writes_to(model.weight)] == ["SGD.step"]


def test_optimizer_step_traced_equals_plain(fresh: None) -> None:
    def run(traced: bool) -> list[torch.Tensor]:
        model, optimizer = _sgd_model()
        context = trace.trace(backend="kernels") if traced else _nothing()
        with context:
            for _ in range(3):
                optimizer.zero_grad()
                model(torch.ones(2, 4)).pow(2).sum().backward()
                optimizer.step()
        return [p.detach().clone() for p in model.parameters()] + [
            optimizer.state[p]["momentum_buffer"].clone() for p in model.parameters()]

    plain, traced = run(False), run(True)
    assert all(torch.equal(a, b) for a, b in zip(plain, traced))


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_step_with_closure_is_traced_op_by_op(fresh: None) -> None:
    model, optimizer = _sgd_model()
    inputs = torch.randn(2, 4)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        hidden = model(inputs)
        hidden.mul_(2)  # in-closure
        loss = hidden.sum()
        loss.backward()
        return loss

    with trace.trace(backend="kernels"):
        optimizer.step(closure)
    lines = {w.lineno for w in trace.all_writes() if w.op == "aten.mul_.Tensor"}
    assert _line_of("in-closure") in lines
    assert "SGD.step" not in {w.op for w in trace.all_writes()}


class _HandWrittenSGD(torch.optim.Optimizer):
    def __init__(self, params: object) -> None:
        super().__init__(params, {"lr": 0.1})

    @torch.no_grad()
    def step(self, closure: object = None) -> None:
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    param.add_(param.grad, alpha=-group["lr"])  # hand-written-update


def test_optimizer_written_by_the_user_is_traced_op_by_op(fresh: None) -> None:
    model = nn.Linear(4, 3)
    optimizer = _HandWrittenSGD(model.parameters())
    with trace.trace(backend="kernels"):
        model(torch.randn(2, 4)).sum().backward()
        optimizer.step()
    writes = trace.all_writes()
    assert len(writes) == 2 and {w.lineno for w in writes} == {_line_of("hand-written-update")}


def _interrupt(optimizer: object, args: object, kwargs: object) -> None:
    raise RuntimeError("interrupted")


def test_a_step_that_raises_pauses_tracing_until_resumed(fresh: None) -> None:
    model, optimizer = _sgd_model()
    model(torch.randn(2, 4)).sum().backward()
    optimizer.register_step_pre_hook(_interrupt)  # runs after ours: the step dies mid-way
    with trace.trace(backend="kernels"):
        with pytest.raises(RuntimeError):
            optimizer.step()
        y = torch.zeros(3)
        y.add_(1)  # while-paused
        assert trace.all_writes() == []
        trace.resume_after_error()
        y.add_(1)  # after-resume
        assert [w.lineno for w in trace.all_writes()] == [_line_of("after-resume")]
    assert not torch._C._dispatch_tls_is_dispatch_key_included(torch._C.DispatchKey.PreDispatch)


def test_disable_after_a_raising_step_leaves_the_dispatch_key_off(fresh: None) -> None:
    model, optimizer = _sgd_model()
    model(torch.randn(2, 4)).sum().backward()
    optimizer.register_step_pre_hook(_interrupt)
    trace.enable(backend="kernels")
    with pytest.raises(RuntimeError):
        optimizer.step()
    trace.disable()
    key = torch._C.DispatchKey.PreDispatch
    assert not torch._C._dispatch_tls_is_dispatch_key_included(key)
    from torch.optim import optimizer as optimizer_module

    assert not optimizer_module._global_optimizer_pre_hooks
    assert not optimizer_module._global_optimizer_post_hooks


def test_in_ipython_the_next_cell_records_again_after_a_step_died(ip) -> None:
    cells = [
        "%autograd_explain trace on",
        "import torch\nmodel = torch.nn.Linear(4, 3)\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "def interrupt(*args):\n    raise KeyboardInterrupt\n"
        "optimizer.register_step_pre_hook(interrupt)\n"
        "model(torch.randn(2, 4)).sum().backward()",
        "optimizer.step()",
        "y = torch.zeros(3)\ny.add_(1)",
    ]
    trace.clear()
    results = [ip.run_cell(cell, store_history=True) for cell in cells]
    try:
        assert isinstance(results[2].error_in_exec, KeyboardInterrupt)
        assert results[3].error_in_exec is None
        newest = trace.all_writes()[0]
        assert (newest.op, newest.line) == ("aten.add_.Tensor", "y.add_(1)")
    finally:
        ip.run_line_magic("autograd_explain", "trace off")
        trace.clear()


def test_optimizer_records_keep_no_parameter_alive(fresh: None) -> None:
    model, optimizer = _sgd_model()
    with trace.trace(backend="kernels"):
        model(torch.randn(2, 4)).sum().backward()
        optimizer.step()
    assert len(trace.all_writes()) == 2
    weight = weakref.ref(model.weight)
    del model, optimizer
    gc.collect()
    assert weight() is None
    assert trace.all_writes() == []  # records of freed parameters are dropped, not broken
