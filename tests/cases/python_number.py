"""python-number (core kind): 'float' object has no attribute 'backward'."""

from . import Case

CASES = [
    Case(
        "loss_item_backward",
        "reproduction of the common forum error 'float object has no attribute backward'",
        ["import torch\nw = torch.randn(3, requires_grad=True)",
         "loss = (w ** 2).sum().item()", "loss.backward()"],
        "python-number", "item", "loss", "loss = (w ** 2).sum().item()", error="AttributeError",
    ),
    Case(
        "running_loss_accumulated",
        "reproduction: running_loss += loss.item() then running_loss.backward()",
        ["import torch\nw = torch.randn(3, requires_grad=True)\nrunning = 0.0",
         "for _ in range(3):\n    step_loss = (w * 2).sum()\n    running += step_loss.item()", "running.backward()"],
        "python-number", "item", "running", "running += step_loss.item()", error="AttributeError",
    ),
    Case(
        "math_exp_of_loss",
        "reproduction: math.exp applied to a tensor loss",
        ["import torch\nimport math\nw = torch.randn(3, requires_grad=True)", "base = (w * w).sum()\nloss = math.exp(base)",
         "loss.backward()"],
        "python-number", "python_math", "loss", "loss = math.exp(base)", error="AttributeError",
    ),
    Case(
        "float_in_loss_helper",
        "reproduction: a loss helper that returns float(...) (Chinese tutorial readers' report)",
        ["import torch\ndef mse(p, y):\n    return float(((p - y) ** 2).mean())",
         "w = torch.randn(3, requires_grad=True)\nloss = mse(w * 2, torch.ones(3))", "loss.backward()"],
        "python-number", "python_math", "loss", "return float(((p - y) ** 2).mean())", error="AttributeError",
    ),
    Case(
        'pn_tolist_then_python_sum',
        'forum pattern: predictions converted with .tolist() and an MSE written with Python sum()',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.set_grad_enabled(True)",
         'class MLP(nn.Module):\n    def __init__(self, d_in=4, d_hidden=8, d_out=1):\n        super().__init__()\n        self.fc1 = nn.Linear(d_in, d_hidden)\n        self.fc2 = nn.Linear(d_hidden, d_out)\n    def forward(self, x):\n        return self.fc2(torch.relu(self.fc1(x)))\nmodel = MLP()',
         'x = torch.randn(16, 4)\ny = torch.randn(16, 1)\nlabels = torch.randint(0, 3, (16,))',
         'preds = model(x).squeeze(1).tolist()\ntargets = y.squeeze(1).tolist()',
         'loss = sum((p - t) ** 2 for p, t in zip(preds, targets)) / len(preds)',
         'loss.backward()'],
        'python-number', 'tolist', 'preds', 'preds = model(x).squeeze(1).tolist()', error='AttributeError',
    ),
    Case(
        'pn_sum_of_item_list',
        'forum pattern: total_loss = sum([l.item() for l in losses]) for a multi-head model',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.set_grad_enabled(True)",
         'heads = nn.ModuleList([nn.Linear(4, 1) for _ in range(3)])\nx = torch.randn(16, 4)\ny = torch.randn(16, 1)\nlabels = torch.randint(0, 3, (16,))',
         'losses = [F.mse_loss(h(x), y) for h in heads]\ntotal_loss = sum([l.item() for l in losses])',
         'total_loss.backward()'],
        'python-number', 'item', 'total_loss', 'total_loss = sum([l.item() for l in losses])', error='AttributeError',
    ),
]
