"""The ten non-core kinds in a real InteractiveShell, raised from the places users hit them:
torch.autograd.grad, optimizer.step(closure), an nn.Module.forward defined in a cell, and a
function called from a cell. Each asserts kind, cause, the variable most to blame and the line."""

from __future__ import annotations

import pytest

from cases import fresh_shell
from conftest import run_cells


@pytest.fixture
def ip2(loaded):
    fresh_shell(loaded)
    yield loaded
    loaded.run_cell("import torch\ntorch.autograd.set_detect_anomaly(False)")


def check(ip, cells, kind, cause, variable, line, **facts):
    run = run_cells(ip, cells)
    assert run.error is not None, "the last cell did not raise"
    d = run.diagnosis
    assert d is not None, f"no diagnosis for {run.error!r}"
    assert (d.kind, d.cause) == (kind, cause), (d.kind, d.cause, d.variables, d.line, d.explanation)
    assert d.variables[0] == variable, d.variables
    assert (d.line or "").strip() == line, (d.line, d.lineno)
    assert d.lineno is not None and d.filename
    assert d.fix.strip() and d.explanation.strip()
    for name, expected in facts.items():
        assert d.facts.get(variable, {}).get(name) == expected, d.facts
    return d


PREAMBLE = "import torch\nfrom torch import nn\nimport warnings\nwarnings.simplefilter('ignore')"


# -- leaf-inplace --------------------------------------------------------------------
def test_leaf_update_inside_optimizer_closure(ip2):
    d = check(ip2, [
        PREAMBLE + "\nw = nn.Parameter(torch.randn(3))\nopt = torch.optim.SGD([w], lr=0.1)",
        "def closure():\n    opt.zero_grad()\n    loss = (w ** 2).sum()\n    loss.backward()\n"
        "    w.sub_(0.01 * w.grad)\n    return loss",
        "opt.step(closure)",
    ], "leaf-inplace", "parameter_update", "w", "w.sub_(0.01 * w.grad)", is_leaf=True)
    assert "with torch.no_grad():" in d.fix and "w.sub_(0.01 * w.grad)" in d.fix


def test_leaf_write_in_forward_of_cell_module(ip2):
    check(ip2, [
        PREAMBLE + "\nclass Scale(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.g = nn.Parameter(torch.ones(4))\n    def forward(self, x):\n        self.g.clamp_(min=0)\n"
        "        return x * self.g",
        "m = Scale()\ny = m(torch.randn(2, 4))",
    ], "leaf-inplace", "leaf_write", "self.g", "self.g.clamp_(min=0)")


def test_view_of_leaf_in_function(ip2):
    d = check(ip2, [
        PREAMBLE + "\nW = torch.randn(3, 3, requires_grad=True)",
        "def zero_diag(M):\n    d = M.diagonal()\n    d.zero_()\n    return M",
        "zero_diag(W)",
    ], "leaf-inplace", "view_of_leaf_write", "d", "d.zero_()")
    assert d.variables[:2] == ("d", "M")


# -- view-inplace --------------------------------------------------------------------
def test_multi_output_view_in_function(ip2):
    d = check(ip2, [
        PREAMBLE + "\nx = torch.randn(4, 2, requires_grad=True)",
        "def halves(t):\n    a, b = (t * 2).unbind(1)\n    a.mul_(3)\n    return a + b",
        "out = halves(x)",
    ], "view-inplace", "multi_output_view", "a", "a.mul_(3)")
    assert "a = a.mul(3)" in d.fix


def test_view_from_no_grad_across_cells(ip2):
    d = check(ip2, [
        PREAMBLE + "\nemb = nn.Embedding(10, 4)",
        "with torch.no_grad():\n    row = emb.weight[0]",
        "row.add_(1.0)",
    ], "view-inplace", "view_from_no_grad", "row", "row.add_(1.0)")
    assert "emb.weight" in d.explanation


# -- requires-grad-nonleaf / dtype-no-grad ---------------------------------------------
def test_nonleaf_flag_in_forward(ip2):
    check(ip2, [
        PREAMBLE + "\nclass Enc(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(3, 3)\n    def forward(self, x):\n        h = self.fc(x)\n"
        "        h.requires_grad = False\n        return h",
        "enc = Enc()\nz = enc(torch.randn(2, 3))",
    ], "requires-grad-nonleaf", "nonleaf_flag", "h", "h.requires_grad = False", is_leaf=False)


def test_integer_tensor_in_function(ip2):
    check(ip2, [
        PREAMBLE,
        "def make_targets(n):\n    y = torch.arange(n)\n    y.requires_grad_()\n    return y",
        "t = make_targets(4)",
    ], "dtype-no-grad", "integer_tensor", "y", "y.requires_grad_()", dtype="int64")


def test_bool_tensor_literal(ip2):
    check(ip2, [PREAMBLE, "keep = torch.tensor([True, False, True], requires_grad=True)"],
          "dtype-no-grad", "bool_tensor", "keep", "keep = torch.tensor([True, False, True], requires_grad=True)")


# -- inference-tensor -----------------------------------------------------------------------
def test_inference_tensor_inside_optimizer_closure(ip2):
    check(ip2, [
        PREAMBLE + "\nmodel = nn.Linear(3, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)",
        "with torch.inference_mode():\n    batch = torch.randn(5, 3)",
        "def closure():\n    opt.zero_grad()\n    loss = model(batch).pow(2).mean()\n    loss.backward()\n    return loss",
        "opt.step(closure)",
    ], "inference-tensor", "inference_mode_tensor", "batch", "batch = torch.randn(5, 3)", is_inference=True)


def test_inference_view_written_in_place(ip2):
    check(ip2, [
        PREAMBLE + "\nwith torch.inference_mode():\n    table = torch.zeros(4, 4)",
        "first = table[0]", "first.fill_(1.0)",
    ], "inference-tensor", "inference_mode_tensor", "table", "table = torch.zeros(4, 4)")


def test_requires_grad_on_inference_tensor_from_decorated_loader(ip2):
    check(ip2, [
        PREAMBLE + "\n@torch.inference_mode()\ndef load_weights():\n    return torch.randn(4, 4)",
        "W = load_weights()", "W.requires_grad_()",
    ], "inference-tensor", "inference_mode_tensor", "W", "W = load_weights()")


# -- numpy-requires-grad --------------------------------------------------------------------
def test_numpy_in_forward(ip2):
    d = check(ip2, [
        PREAMBLE + "\nclass Logger(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(3, 2)\n    def forward(self, x):\n        h = self.fc(x)\n"
        "        self.last = h.numpy()\n        return h",
        "net = Logger()\nout = net(torch.randn(2, 3))",
    ], "numpy-requires-grad", "needs_detach", "h", "self.last = h.numpy()")
    assert "h.detach().cpu().numpy()" in d.fix


def test_numpy_of_expression(ip2):
    d = check(ip2, [PREAMBLE + "\nw = torch.randn(3, requires_grad=True)", "vals = (w * 2).numpy()"],
              "numpy-requires-grad", "needs_detach", "w", "vals = (w * 2).numpy()")
    assert ".detach().cpu().numpy()" in d.fix


def test_numpy_after_cpu_in_plotting_helper(ip2):
    d = check(ip2, [
        PREAMBLE + "\nmodel = nn.Linear(1, 1)\nxs = torch.linspace(0, 1, 5).unsqueeze(1)",
        "def to_plot(t):\n    return t.squeeze().cpu().numpy()",
        "ys = to_plot(model(xs))",
    ], "numpy-requires-grad", "needs_detach", "t", "return t.squeeze().cpu().numpy()")
    assert "t.squeeze().detach().cpu().numpy()" in d.fix


# -- unused-input / no-grad-input / grad-shape-mismatch (torch.autograd.grad) ----------------
def test_unused_input_index_maps_to_name_in_function(ip2):
    d = check(ip2, [
        PREAMBLE,
        "def grads(f, a, b):\n    out = f(a)\n    return torch.autograd.grad(out.sum(), [a, b])",
        "p = torch.randn(3, requires_grad=True)\nq = torch.randn(3, requires_grad=True)",
        "ga, gb = grads(torch.sin, p, q)",
    ], "unused-input", "not_in_graph", "b", "return torch.autograd.grad(out.sum(), [a, b])")
    assert "allow_unused=True" in d.fix


def test_unused_input_from_tuple_variable(ip2):
    check(ip2, [
        PREAMBLE + "\nx = torch.randn(2, requires_grad=True)\ny = torch.randn(2, requires_grad=True)",
        "inputs = (y, x)\nloss = (x ** 3).sum()",
        "g = torch.autograd.grad(loss, inputs)",
    ], "unused-input", "not_in_graph", "y", "g = torch.autograd.grad(loss, inputs)")


def test_unused_parameter_from_list_of_parameters(ip2):
    check(ip2, [
        PREAMBLE + "\nnet = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))\nhead = nn.Linear(2, 1)",
        "loss = head(torch.randn(3, 2)).sum()",
        "grads = torch.autograd.grad(loss, list(net.parameters()) + [p for p in head.parameters()])",
    ], "unused-input", "not_in_graph", "net[0].weight",
        "grads = torch.autograd.grad(loss, list(net.parameters()) + [p for p in head.parameters()])")


def test_no_grad_input_in_gradient_penalty_function(ip2):
    check(ip2, [
        PREAMBLE + "\nD = nn.Linear(4, 1)",
        "def penalty(real, fake):\n    eps = torch.rand(real.size(0), 1)\n    mix = eps * real + (1 - eps) * fake\n"
        "    score = D(mix)\n    g, = torch.autograd.grad(score.sum(), mix, create_graph=True)\n"
        "    return ((g.norm(dim=1) - 1) ** 2).mean()",
        "gp = penalty(torch.randn(8, 4), torch.randn(8, 4))",
    ], "no-grad-input", "input_without_grad", "mix", "mix = eps * real + (1 - eps) * fake", requires_grad=False)


def test_no_grad_input_frozen_parameter_blames_the_freeze(ip2):
    check(ip2, [
        PREAMBLE + "\nm = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))",
        "for p in m[0].parameters():\n    p.requires_grad = False",
        "loss = m(torch.randn(3, 2)).sum()",
        "g = torch.autograd.grad(loss, m.parameters())",
    ], "no-grad-input", "input_without_grad", "m[0].weight", "p.requires_grad = False")


def test_shape_mismatch_autograd_backward(ip2):
    d = check(ip2, [
        PREAMBLE + "\nx = torch.randn(2, 3, requires_grad=True)\nout = x.exp()",
        "torch.autograd.backward([out], [torch.ones(3)])",
    ], "grad-shape-mismatch", "gradient_argument", "out", "torch.autograd.backward([out], [torch.ones(3)])")
    assert "[2, 3]" in d.title and "[3]" in d.title


def test_shape_mismatch_grad_outputs_list(ip2):
    check(ip2, [
        PREAMBLE + "\nx = torch.randn(3, requires_grad=True)\nu = x.exp()\nv = x.sin()",
        "g = torch.autograd.grad([u, v], x, grad_outputs=[torch.ones(2), torch.ones(3)])",
    ], "grad-shape-mismatch", "gradient_argument", "u",
        "g = torch.autograd.grad([u, v], x, grad_outputs=[torch.ones(2), torch.ones(3)])")


# -- nan-in-backward ---------------------------------------------------------------------------
def test_nan_from_sqrt_in_cell_forward(ip2):
    d = check(ip2, [
        PREAMBLE + "\ntorch.autograd.set_detect_anomaly(True)\n"
        "class Dist(nn.Module):\n    def forward(self, x, y):\n        diff = x - y\n"
        "        return torch.sqrt((diff ** 2).sum(dim=1))",
        "m = Dist()\na = torch.ones(2, 3, requires_grad=True)\nd = m(a, torch.ones(2, 3))",
        "d.sum().backward()",
    ], "nan-in-backward", "sqrt_at_zero", "diff", "return torch.sqrt((diff ** 2).sum(dim=1))")
    assert "1e-12" in d.fix


def test_nan_from_log_in_optimizer_closure(ip2):
    check(ip2, [
        PREAMBLE + "\ntorch.autograd.set_detect_anomaly(True)\nlogits = nn.Parameter(torch.tensor([0.0, 0.0]))\n"
        "opt = torch.optim.SGD([logits], lr=0.1)\nmask = torch.tensor([1.0, 0.0])",
        "def closure():\n    opt.zero_grad()\n    probs = torch.softmax(logits, 0) * mask\n"
        "    loss = -(probs * torch.log(probs)).sum()\n    loss.backward()\n    return loss",
        "opt.step(closure)",
    ], "nan-in-backward", "log_of_nonpositive", "probs", "loss = -(probs * torch.log(probs)).sum()")


def test_nan_in_data_fed_to_cell_model(ip2):
    check(ip2, [
        PREAMBLE + "\ntorch.autograd.set_detect_anomaly(True)\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n"
        "    def forward(self, x):\n        return torch.sin(self.fc(x))",
        "net = Net()\ndata = torch.tensor([[1.0, float('nan')], [0.5, 0.5]])",
        "loss = net(data).sum()\nloss.backward()",
    ], "nan-in-backward", "nan_input", "data", "return torch.sin(self.fc(x))")


def test_nan_division_by_zero_found_without_forward_traceback(ip2):
    check(ip2, [
        PREAMBLE + "\nw = torch.zeros(3, requires_grad=True)",
        "norm = w.abs().sum()\nunit = w / norm\nloss = unit.sum()",
        "with torch.autograd.detect_anomaly():\n    loss.backward()",
    ], "nan-in-backward", "division_by_zero", "norm", "unit = w / norm")
