"""The core kinds, from the seeds and the variants of issue 3, in a real IPython shell.

Each case runs its cells as separate notebook cells (the cause is often in an
earlier cell than the one that raises) and checks kind, cause, the culprit
variable, the blamed line's text, that IPython's traceback is still printed
and that the panel names the variable.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from conftest import run_cells


@dataclass(frozen=True)
class Case:
    name: str
    cells: tuple[str, ...]
    kind: str
    cause: str
    variable: str
    line: str


SEED_001_SETUP = """
import torch
import torch.nn as nn
torch.manual_seed(0)
class SimpleModel(nn.Module):
    def __init__(self, input_dim, num_classes):
        super().__init__()
        self.linear = nn.Linear(input_dim, num_classes)
    def forward(self, x):
        return self.linear(x)
X_train = torch.randn(32, 10)
y_train = torch.randint(0, 3, (32,)).float()
model = SimpleModel(10, 3)
loss_fn = nn.L1Loss()
optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
"""

SEED_001_LOOP = """
for epoch in range(3):
    model.train()
    train_logits = model(X_train)
    train_preds_probs = torch.softmax(train_logits, dim=1).argmax(dim=1).type(torch.float32)
    loss = loss_fn(train_preds_probs, y_train)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
"""

CASES = [
    # -- no-grad-fn --------------------------------------------------------------
    Case("seed001_argmax_in_training_loop", (SEED_001_SETUP, SEED_001_LOOP), "no-grad-fn",
         "non_differentiable_op", "train_preds_probs",
         "train_preds_probs = torch.softmax(train_logits, dim=1).argmax(dim=1).type(torch.float32)"),
    Case("seed000_no_grad_block", ("import torch\nx = torch.tensor([1.0], requires_grad=True)\ny = torch.sin(x)",
                                   "with torch.no_grad():\n    z = y * 2", "z.backward()"),
         "no-grad-fn", "no_grad", "z", "z = y * 2"),
    Case("inference_mode_forward", ("import torch\nimport torch.nn as nn\nnet = nn.Linear(4, 1)\nx = torch.randn(8, 4)",
                                    "with torch.inference_mode():\n    out = net(x)",
                                    "loss = out.pow(2).mean()\nloss.backward()"),
         "no-grad-fn", "inference_mode", "out", "out = net(x)"),
    Case("detach_in_earlier_cell", ("import torch\nw = torch.randn(3, requires_grad=True)",
                                    "h = (w * 3).detach()", "loss = (h ** 2).sum()", "loss.backward()"),
         "no-grad-fn", "detach", "h", "h = (w * 3).detach()"),
    Case("data_attribute", ("import torch\nw = torch.randn(3, requires_grad=True)\nv = w.exp().data\nloss = v.sum()",
                            "loss.backward()"),
         "no-grad-fn", "data_attribute", "v", "v = w.exp().data"),
    Case("item_rewrapped", ("import torch\nx = torch.randn(5, requires_grad=True)\ns = x.pow(2).sum().item()",
                            "loss = torch.tensor(s)\nloss.backward()"),
         "no-grad-fn", "item", "s", "s = x.pow(2).sum().item()"),
    Case("numpy_roundtrip", ("import torch\nx = torch.randn(5, requires_grad=True)\na = (x * 2).detach().numpy()",
                             "t = torch.from_numpy(a)\nt.sum().backward()"),
         "no-grad-fn", "numpy_roundtrip", "a", "a = (x * 2).detach().numpy()"),
    Case("detach_item_rewrapped", ("import torch\nw = torch.randn(3, requires_grad=True)\n"
                                   "loss = torch.tensor((w ** 2).sum().detach().item())", "loss.backward()"),
         "no-grad-fn", "item", "loss", "loss = torch.tensor((w ** 2).sum().detach().item())"),
    Case("detach_then_numpy_in_separate_lines", ("import torch\nx = torch.randn(5, requires_grad=True)\nd = (x * 2).detach()\n"
                                                 "a = d.numpy()\nt = torch.from_numpy(a)", "t.sum().backward()"),
         "no-grad-fn", "detach", "d", "d = (x * 2).detach()"),
    Case("tensor_rewrap_of_list", ("import torch\np = torch.randn(2, requires_grad=True)\nq = p * 3",
                                   "r = torch.tensor([q[0], q[1]])", "r.sum().backward()"),
         "no-grad-fn", "tensor_rewrap", "r", "r = torch.tensor([q[0], q[1]])"),
    Case("comparison_mask", ("import torch\nx = torch.randn(6, requires_grad=True)\nmask = (x > 0).float()",
                             "loss = mask.sum()\nloss.backward()"),
         "no-grad-fn", "non_differentiable_op", "mask", "mask = (x > 0).float()"),
    Case("frozen_parameters", ("import torch\nimport torch.nn as nn\nmodel = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))",
                               "for p in model.parameters():\n    p.requires_grad = False",
                               "x = torch.randn(2, 4)\nloss = model(x).sum()\nloss.backward()"),
         "no-grad-fn", "frozen_parameters", "model", "p.requires_grad = False"),
    Case("inputs_without_grad", ("import torch\nx = torch.ones(3)\ny = x ** 2", "loss = y.sum()\nloss.backward()"),
         "no-grad-fn", "inputs_without_grad", "x", "x = torch.ones(3)"),
    Case("requires_grad_set_after_use", ("import torch\nx = torch.randn(3)\ny = x * 2", "x.requires_grad = True",
                                         "y.sum().backward()"),
         "no-grad-fn", "inputs_without_grad", "x", "x = torch.randn(3)"),
    Case("set_grad_enabled_false", ("import torch\nw = torch.randn(3, requires_grad=True)\ntorch.set_grad_enabled(False)",
                                    "out = (w * 2).sum()",
                                    "torch.set_grad_enabled(True)\nout.backward()"),
         "no-grad-fn", "grad_disabled", "out", "out = (w * 2).sum()"),
    Case("no_grad_decorated_function", ("import torch\nw = torch.randn(3, requires_grad=True)\n"
                                        "@torch.no_grad()\ndef predict(v):\n    return v * 2",
                                        "pred = predict(w)\npred.sum().backward()"),
         "no-grad-fn", "no_grad", "pred", "pred = predict(w)"),
    Case("inside_train_function", ("import torch\nw = torch.randn(3, requires_grad=True)",
                                   "def train(weights):\n    out = weights * 2\n    score = out.argmax()\n"
                                   "    loss = score.float()\n    loss.backward()\n",
                                   "train(w)"),
         "no-grad-fn", "non_differentiable_op", "score", "score = out.argmax()"),
    Case("argmax_inside_forward", ("import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n"
                                   "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)\n"
                                   "    def forward(self, x):\n        h = self.fc(x)\n        probs = h.softmax(-1)\n"
                                   "        labels = probs.argmax(-1)\n        return labels.float()\nnet = Net()",
                                   "out = net(torch.randn(3, 4))\nloss = out.mean()", "loss.backward()"),
         "no-grad-fn", "non_differentiable_op", "labels", "labels = probs.argmax(-1)"),
    Case("eval_under_no_grad_then_backward", ("import torch\nimport torch.nn as nn\nmodel = nn.Linear(3, 1)\nx = torch.randn(4, 3)",
                                              "model.eval()\nwith torch.no_grad():\n    preds = model(x)\nloss = preds.pow(2).mean()",
                                              "loss.backward()"),
         "no-grad-fn", "no_grad", "preds", "preds = model(x)"),
    # -- python-number -----------------------------------------------------------
    Case("seed000_item_then_backward", ("import torch\nx = torch.tensor([1.0], requires_grad=True)\ny = torch.sin(x)",
                                        "z = y.item()", "z.backward()"),
         "python-number", "item", "z", "z = y.item()"),
    Case("detach_item_then_backward", ("import torch\nx = torch.tensor([1.0], requires_grad=True)\ny = torch.sin(x)\n"
                                       "z = y.detach().item()\nz.backward()",),
         "python-number", "item", "z", "z = y.detach().item()"),
    Case("python_math", ("import torch, math\nx = torch.tensor(2.0, requires_grad=True)\nloss = math.exp(x)",
                         "loss.backward()"),
         "python-number", "python_math", "loss", "loss = math.exp(x)"),
    Case("item_into_list_then_numpy_mean", ("import torch, numpy as np\nw = torch.randn(3, requires_grad=True)\nlosses = []",
                                            "for i in range(3):\n    losses.append((w * i).sum().item())\nloss = np.mean(losses)",
                                            "loss.backward()"),
         "python-number", "item", "losses", "losses.append((w * i).sum().item())"),
    Case("running_total_of_items", ("import torch\nw = torch.randn(3, requires_grad=True)\ntotal_loss = 0",
                                    "for i in range(3):\n    loss = (w * i).sum()\n    total_loss += loss.item()",
                                    "total_loss.backward()"),
         "python-number", "item", "total_loss", "total_loss += loss.item()"),
    # -- inplace-modified --------------------------------------------------------
    Case("exp_then_augassign", ("import torch\nx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x.exp()",
                                "y += 1", "y.sum().backward()"),
         "inplace-modified", "augmented_assignment", "y", "y += 1"),
    Case("inplace_method", ("import torch\na = torch.randn(4, requires_grad=True)\nb = torch.sigmoid(a)",
                            "c = b * 3\nb.mul_(2)", "c.sum().backward()"),
         "inplace-modified", "inplace_method", "b", "b.mul_(2)"),
    Case("setitem", ("import torch\na = torch.randn(4, requires_grad=True)\nb = a.tanh()",
                     "b[0] = 0.0", "b.sum().backward()"),
         "inplace-modified", "setitem", "b", "b[0] = 0.0"),
    Case("out_argument", ("import torch\nw = torch.randn(3, requires_grad=True)\na = torch.randn(3)\nz = w * a",
                          "torch.exp(torch.randn(3), out=a)", "z.sum().backward()"),
         "inplace-modified", "out_argument", "a", "torch.exp(torch.randn(3), out=a)"),
    Case("relu_inplace_module", ("import torch\nimport torch.nn as nn\n"
                                 "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                                 "        self.fc = nn.Linear(4, 4)\n        self.act = nn.Sigmoid()\n"
                                 "        self.relu = nn.ReLU(inplace=True)\n"
                                 "    def forward(self, x):\n        return self.relu(self.act(self.fc(x)))\n"
                                 "net = Net()",
                                 "out = net(torch.randn(2, 4))\nout.sum().backward()"),
         "inplace-modified", "inplace_module", "net.relu", "self.relu = nn.ReLU(inplace=True)"),
    Case("inplace_in_forward", ("import torch\nimport torch.nn as nn\n"
                                "class Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                                "        self.fc = nn.Linear(3, 3)\n"
                                "    def forward(self, x):\n        h = torch.sigmoid(self.fc(x))\n"
                                "        h += 1\n        return h\n"
                                "block = Block()",
                                "out = block(torch.randn(2, 3))\nout.sum().backward()"),
         "inplace-modified", "augmented_assignment", "h", "h += 1"),
    Case("inplace_module_inside_sequential", ("import torch\nimport torch.nn as nn\n"
                                              "net = nn.Sequential(nn.Linear(3, 3), nn.Sigmoid(), nn.ReLU(inplace=True))",
                                              "out = net(torch.randn(2, 3))", "out.sum().backward()"),
         "inplace-modified", "inplace_module", "net[2]",
         "net = nn.Sequential(nn.Linear(3, 3), nn.Sigmoid(), nn.ReLU(inplace=True))"),
    Case("inplace_write_inside_a_helper", ("import torch\ndef scale_(t, k):\n    t.mul_(k)\n    return t\n"
                                           "x = torch.randn(3, requires_grad=True)\ny = x.exp()",
                                           "scale_(y, 2)", "y.sum().backward()"),
         "inplace-modified", "inplace_method", "t", "t.mul_(k)"),
    Case("trace_mode_names_the_line_in_library_code", ("%autograd_explain trace on",
                                                       "import torch\nimport torch.nn.functional as F\n"
                                                       "x = torch.randn(4, requires_grad=True)\nh = torch.sigmoid(x)",
                                                       "double = torch.Tensor.mul_\ndouble(h, 2)",
                                                       "%autograd_explain trace off",
                                                       "h.sum().backward()"),
         "inplace-modified", "inplace_method", "h", "double(h, 2)"),
    Case("argmax_inside_the_loss_call", ("import torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 3)\nloss_fn = nn.MSELoss()\n"
                                         "x = torch.randn(5, 4)\ny = torch.randn(5)",
                                         "p = model(x)", "loss_fn(p.argmax(1).float(), y).backward()"),
         "no-grad-fn", "non_differentiable_op", "p", "loss_fn(p.argmax(1).float(), y).backward()"),
    Case("detach_inside_the_raising_expression", ("import torch\nx = torch.randn(3, requires_grad=True)",
                                                  "y = x * 2", "(y.detach() * 3).sum().backward()"),
         "no-grad-fn", "detach", "y", "(y.detach() * 3).sum().backward()"),
    Case("optimizer_step_between_backwards", ("import torch\nimport torch.nn as nn\nnetD = nn.Linear(4, 1)\nnetG = nn.Linear(2, 4)\n"
                                              "optD = torch.optim.SGD(netD.parameters(), lr=0.1)\nz = torch.randn(5, 2)",
                                              "fake = netG(z)\nout = netD(fake)\nlossD = out.mean()\nlossG = -out.mean()\n"
                                              "lossD.backward(retain_graph=True)\noptD.step()",
                                              "lossG.backward()"),
         "inplace-modified", "optimizer_step", "optD", "optD.step()"),
    Case("optimizer_step_with_trace_mode", ("import torch\nimport torch.nn as nn\nnetD = nn.Linear(4, 1)\nnetG = nn.Linear(2, 4)\n"
                                            "optD = torch.optim.Adam(netD.parameters())\n"
                                            "optG = torch.optim.Adam(netG.parameters())\nz = torch.randn(5, 2)",
                                            "%autograd_explain trace on",
                                            "fake = netG(z)\nout = netD(fake)\nlossD = out.mean()\nlossG = -out.mean()\n"
                                            "lossD.backward(retain_graph=True)",
                                            "optG.step()", "optD.step()", "%autograd_explain trace off",
                                            "lossG.backward()"),
         "inplace-modified", "optimizer_step", "optD", "optD.step()"),
    # -- non-scalar-backward -----------------------------------------------------
    Case("seed003_vector_backward", ("import torch\nx = torch.ones(2, requires_grad=True)\nz = x + 2", "z.backward()"),
         "non-scalar-backward", "unreduced_output", "z", "z = x + 2"),
    Case("reduction_none", ("import torch\nimport torch.nn as nn\ncriterion = nn.MSELoss(reduction='none')\n"
                            "pred = torch.randn(4, requires_grad=True)\ntarget = torch.zeros(4)",
                            "loss = criterion(pred, target)", "loss.backward()"),
         "non-scalar-backward", "reduction_none", "loss", "loss = criterion(pred, target)"),
    Case("complex_output", ("import torch\nx = torch.randn(3, dtype=torch.cfloat, requires_grad=True)\n"
                            "c = (x * x).sum()", "c.backward()"),
         "non-scalar-backward", "complex_output", "c", "c = (x * x).sum()"),
    # -- backward-twice ----------------------------------------------------------
    Case("second_backward_in_new_cell", ("import torch\nx = torch.randn(3, requires_grad=True)\ny = (x.exp() * 2).sum()",
                                         "y.backward()", "y.backward()"),
         "backward-twice", "second_backward", "y", "y.backward()"),
    Case("rnn_hidden_state", ("import torch\nimport torch.nn as nn\ncell = nn.RNNCell(4, 8)\n"
                              "opt = torch.optim.SGD(cell.parameters(), lr=0.1)\nh = torch.zeros(1, 8)\n"
                              "xs = torch.randn(5, 1, 4)",
                              "for x in xs:\n    h = cell(x, h)\n    loss = h.pow(2).sum()\n"
                              "    opt.zero_grad()\n    loss.backward()\n    opt.step()"),
         "backward-twice", "state_carried_across_iterations", "h", "h = cell(x, h)"),
    Case("graph_made_before_the_loop", ("import torch\nimport torch.nn as nn\nemb = nn.Embedding(10, 4)\nlin = nn.Linear(4, 1)\n"
                                        "x = torch.tensor([1, 2, 3])\ne = emb(x)\nopt = torch.optim.SGD(lin.parameters(), lr=0.1)",
                                        "for i in range(3):\n    loss = lin(e).sum()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()"),
         "backward-twice", "shared_subgraph", "e", "e = emb(x)"),
    Case("running_loss_tensor", ("import torch\nw = torch.randn(3, requires_grad=True)\ntotal = 0",
                                 "for i in range(3):\n    loss = (w * i).sum()\n    total += loss\n    total.backward()"),
         "backward-twice", "state_carried_across_iterations", "total", "total += loss"),
    Case("function_called_twice", ("import torch\nw = torch.randn(3, requires_grad=True)\nloss = (w.exp()).sum()",
                                    "def train():\n    loss.backward()", "train()", "train()"),
         "backward-twice", "second_backward", "loss", "loss.backward()"),
    Case("rerun_cell_carries_hidden_state", ("import torch\nimport torch.nn as nn\ncell = nn.RNNCell(3, 3)\nh = torch.zeros(1, 3)",
                                             "x = torch.randn(1, 3)\nh = cell(x, h)\nloss = h.sum()\nloss.backward()",
                                             "x = torch.randn(1, 3)\nh = cell(x, h)\nloss = h.sum()\nloss.backward()"),
         "backward-twice", "state_carried_across_iterations", "h", "h = cell(x, h)"),
    Case("hidden_state_attribute_in_forward", ("import torch\nimport torch.nn as nn\nclass Stateful(nn.Module):\n"
                                               "    def __init__(self):\n        super().__init__()\n        self.rnn = nn.RNNCell(3, 3)\n"
                                               "        self.hidden = torch.zeros(1, 3)\n    def forward(self, x):\n"
                                               "        self.hidden = self.rnn(x, self.hidden)\n        return self.hidden.sum()\n"
                                               "model = Stateful()",
                                               "for step in range(3):\n    loss = model(torch.randn(1, 3))\n    loss.backward()"),
         "backward-twice", "state_carried_across_iterations", "model.hidden", "self.hidden = self.rnn(x, self.hidden)"),
    Case("lstm_tuple_state", ("import torch\nimport torch.nn as nn\nlstm = nn.LSTM(3, 4)\nh = torch.zeros(1, 1, 4)\n"
                              "c = torch.zeros(1, 1, 4)\nxs = torch.randn(4, 1, 1, 3)",
                              "for x in xs:\n    out, (h, c) = lstm(x, (h, c))\n    loss = out.sum()\n    loss.backward()"),
         "backward-twice", "state_carried_across_iterations", "h", "out, (h, c) = lstm(x, (h, c))"),
    Case("gan_shared_fake", ("import torch\nimport torch.nn as nn\nG = nn.Linear(2, 4)\nD = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())\n"
                             "bce = nn.BCELoss()\nz = torch.randn(8, 2)\nreal = torch.randn(8, 4)",
                             "fake = G(z)\nloss_d = bce(D(real), torch.ones(8, 1)) + bce(D(fake), torch.zeros(8, 1))\n"
                             "loss_d.backward()",
                             "loss_g = bce(D(fake), torch.ones(8, 1))\nloss_g.backward()"),
         "backward-twice", "shared_subgraph", "fake",
         "loss_d = bce(D(real), torch.ones(8, 1)) + bce(D(fake), torch.zeros(8, 1))"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_core_case(ip, case: Case) -> None:
    run = run_cells(ip, list(case.cells))
    assert run.error is not None, "the case must raise"
    d = run.diagnosis
    assert d is not None, f"no diagnosis; output:\n{run.stdout}\n{run.stderr}"
    assert (d.kind, d.cause) == (case.kind, case.cause), d
    assert d.variables and d.variables[0] == case.variable, d.variables
    assert d.line == case.line
    assert "Traceback" in run.stdout or type(run.error).__name__ in run.stdout
    assert type(run.error).__name__ in run.stdout
    panel = run.stdout.split(type(run.error).__name__)[-1]
    assert case.variable in panel, "the panel must name the culprit"
    assert d.lineno is not None and d.filename is not None


USER_MODULE = '''
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        logits = self.fc(x)
        preds = logits.argmax(dim=1)
        return preds.float()


def compute_loss(pred, target):
    diff = (pred - target).detach()
    return diff.pow(2).mean()
'''


@pytest.mark.parametrize("cells, variable, line", [
    (("import torch\nfrom ae_user_model import Classifier\nmodel = Classifier()",
      "out = model(torch.randn(5, 4))\nloss = out.mean()", "loss.backward()"),
     "preds", "preds = logits.argmax(dim=1)"),
    (("import torch\nfrom ae_user_model import compute_loss\nw = torch.randn(3, requires_grad=True)",
      "loss = compute_loss(w * 2, torch.zeros(3))", "loss.backward()"),
     "diff", "diff = (pred - target).detach()"),
], ids=["forward_in_user_file", "loss_function_in_user_file"])
def test_cut_inside_the_users_own_module_file(ip, tmp_path, monkeypatch, cells, variable, line) -> None:
    (tmp_path / "ae_user_model.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "ae_user_model", raising=False)
    run = run_cells(ip, list(cells))
    d = run.diagnosis
    assert d is not None and d.kind == "no-grad-fn", run.stderr
    assert (d.variables[0], d.line) == (variable, line)
    assert d.filename == str(tmp_path / "ae_user_model.py")


def test_explain_called_from_a_cell_reads_the_earlier_cells(ip) -> None:
    """``ae.explain(exc, globals())`` in a notebook finds the cause in an earlier cell too."""
    run_cells(ip, ["import torch\nimport autograd_explain as ae\nw = torch.randn(3, requires_grad=True)",
                   "h = (w * 3).detach()",
                   "try:\n    h.sum().backward()\nexcept RuntimeError as exc:\n    found = ae.explain(exc, globals())"])
    found = ip.user_ns["found"]
    assert (found.cause, found.variables[0], found.line) == ("detach", "h", "h = (w * 3).detach()")
