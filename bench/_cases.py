"""The failing scenarios the benchmarks time: the demo notebook's seeds and the core variants.

Each case is ``(name, setup_cells, failing_cell)``; ``setup_cells`` run first (untimed).
"""

from __future__ import annotations

PRELUDE = "import torch\nfrom torch import nn\ntorch.manual_seed(0)"

CASES: list[tuple[str, list[str], str]] = [
    ("argmax_training_loop", [
        "X_train = torch.randn(64, 4)\ny_train = torch.randint(0, 3, (64,))\nmodel = nn.Linear(4, 3)\n"
        "loss_fn = nn.L1Loss()\noptimiser = torch.optim.SGD(model.parameters(), lr=0.1)"],
     "for epoch in range(3):\n    model.train()\n    train_logits = model(X_train)\n"
     "    train_preds_probs = torch.softmax(train_logits, dim=1).argmax(dim=1).type(torch.float32)\n"
     "    loss = loss_fn(train_preds_probs, y_train.float())\n    optimiser.zero_grad()\n"
     "    loss.backward()\n    optimiser.step()"),
    ("item_then_backward", ["x = torch.tensor([1.0], requires_grad=True)\ny = torch.sin(x)\nz = y.item()"],
     "z.backward()"),
    ("no_grad_loss", ["net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))\n"
                      "inputs, targets = torch.randn(16, 4), torch.randn(16, 1)\nwith torch.no_grad():\n"
                      "    preds = net(inputs)\n    val_loss = nn.functional.mse_loss(preds, targets)"],
     "val_loss.backward()"),
    ("inference_mode", ["net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))\n"
                        "inputs = torch.randn(16, 4)\nwith torch.inference_mode():\n"
                        "    scores = net(inputs)\n    inf_loss = scores.pow(2).mean()"],
     "inf_loss.backward()"),
    ("detach", ["x = torch.randn(3, requires_grad=True)\ny = (x * 2).detach()\nloss = y.sum()"], "loss.backward()"),
    ("data_attribute", ["x = torch.randn(3, requires_grad=True)\ny = (x * 2).data\nloss = y.sum()"], "loss.backward()"),
    ("tensor_rewrap", ["x = torch.randn(3, requires_grad=True)\nloss = torch.tensor((x * 2).sum().item())"],
     "loss.backward()"),
    ("frozen_parameters", ["m = nn.Linear(3, 1)\nfor p in m.parameters():\n    p.requires_grad = False\n"
                           "loss = m(torch.randn(2, 3)).sum()"], "loss.backward()"),
    ("inplace_augmented", ["a = torch.randn(3, requires_grad=True)\nb = a.exp()\nb += 1"], "b.sum().backward()"),
    ("inplace_method", ["a = torch.randn(3, requires_grad=True)\nb = a.sigmoid()\nb.mul_(2)"], "b.sum().backward()"),
    ("inplace_setitem", ["a = torch.randn(3, requires_grad=True)\nb = a.exp()\nb[0] = 0"], "b.sum().backward()"),
    ("inplace_module", ["class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                        "        self.fc = nn.Linear(4, 4)\n        self.act = nn.ReLU(inplace=True)\n"
                        "    def forward(self, x):\n        h = torch.sigmoid(self.fc(x))\n        return self.act(h)\n"
                        "net = Net()\nout = net(torch.randn(2, 4))"], "out.sum().backward()"),
    ("non_scalar", ["w = torch.ones(2, requires_grad=True)\nout = w + 2"], "out.backward()"),
    ("reduction_none", ["pred = torch.randn(4, requires_grad=True)\ncrit = nn.MSELoss(reduction='none')\n"
                        "loss = crit(pred, torch.zeros(4))"], "loss.backward()"),
    ("second_backward", ["x = torch.randn(3, requires_grad=True)\ny = (x.exp() * x).sum()\ny.backward()"],
     "y.backward()"),
    ("rnn_hidden_state", ["cell = nn.RNNCell(4, 8)\nsequence = torch.randn(5, 1, 4)\nh = torch.zeros(1, 8)"],
     "for t in range(5):\n    h = cell(sequence[t], h)\n    step_loss = h.pow(2).mean()\n    step_loss.backward()"),
    ("gan_shared_fake", ["G = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))\n"
                         "D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))\n"
                         "opt_g = torch.optim.Adam(G.parameters(), lr=1e-3)\n"
                         "opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)\nbce = nn.BCEWithLogitsLoss()\n"
                         "real, noise = torch.randn(8, 2), torch.randn(8, 2)\n"
                         "ones, zeros = torch.ones(8, 1), torch.zeros(8, 1)"],
     "fake = G(noise)\nd_loss = bce(D(real), ones) + bce(D(fake), zeros)\nopt_d.zero_grad()\nd_loss.backward()\n"
     "opt_d.step()\ng_loss = bce(D(fake), ones)\nopt_g.zero_grad()\ng_loss.backward()\nopt_g.step()"),
    ("leaf_inplace", ["w = torch.randn(3, requires_grad=True)"], "w += 1"),
    ("not_autograd_shape_error", [], "torch.ones(2) @ torch.ones(3)"),
]


def test_suite_cases() -> list[tuple[str, list[str], str]]:
    """Every raising scenario of the test suite (core variants and real cases) in this format.

    Cases that need a magic (trace mode) are left out: without the extension
    loaded their setup cannot run.
    """
    import sys
    from pathlib import Path

    tests = str(Path(__file__).resolve().parent.parent / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from cases import all_cases  # type: ignore[import-not-found]
    from test_core import CASES as CORE  # type: ignore[import-not-found]

    found: list[tuple[str, list[str], str]] = []
    for name, cells in [(c.name, list(c.cells)) for c in CORE] + [(c.name, list(c.cells)) for c in all_cases()]:
        if any(cell.lstrip().startswith("%") for cell in cells):
            continue
        found.append((name, cells[:-1], cells[-1]))
    return found
