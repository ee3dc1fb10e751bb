"""Ordinary errors that are not autograd problems: no diagnosis."""

from . import Case

CASES = [
    Case("matmul_shape_mismatch", "ordinary shape error",
         ["import torch\na = torch.randn(2, 3)\nb = torch.randn(4, 5)", "c = a @ b"], None),
    Case("name_error", "ordinary NameError", ["import torch", "y = undefined_tensor * 2"], None, error="NameError"),
    Case("linear_wrong_features", "ordinary module shape error",
         ["import torch\nfrom torch import nn\nfc = nn.Linear(3, 2)", "out = fc(torch.randn(4, 5))"], None),
    Case("attribute_typo", "a tensor attribute typo is not a python-number error",
         ["import torch\nx = torch.randn(3, requires_grad=True)", "x.backwards()"], None, error="AttributeError"),
    Case("dtype_mismatch_matmul", "ordinary dtype error",
         ["import torch\na = torch.randn(2, 2)\nb = torch.ones(2, 2, dtype=torch.float64)", "c = a @ b"], None),
    Case("index_out_of_range", "ordinary IndexError",
         ["import torch\nx = torch.randn(3)", "v = x[5]"], None, error="IndexError"),
    Case(
        'neg_harmless_inplace_then_indexerror',
        'negative: y = x * 2; y += 1 (harmless) then an IndexError on a loss history list',
        ['import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\nx = torch.randn(3, requires_grad=True)',
         'y = x * 2\ny += 1\nloss = y.sum()\nloss.backward()\nhistory = [loss.item()]',
         'print(history[3])'],
        None, None, None, None, error='IndexError',
    ),
    Case(
        'neg_inplace_relu_then_target_batch_mismatch',
        'negative: inplace ReLU model then a cross_entropy batch-size mismatch (ValueError)',
        ['import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\nnet = nn.Sequential(nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Linear(8, 3))',
         'out = net(torch.randn(4, 4))\nloss = F.cross_entropy(out, torch.tensor([0, 1, 2]))'],
        None, None, None, None, error='ValueError',
    ),
    Case(
        'neg_broken_inplace_never_backwarded_then_shape_error',
        'negative: a setitem on a sigmoid output (would break backward) followed by an ordinary matmul shape error',
        ['import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\nw = torch.randn(4, 5, requires_grad=True)',
         'h = torch.sigmoid(w)\nh[0] = 0',
         'proj = h @ torch.randn(4, 2)'],
        None, None, None, None,
    ),
    Case(
        'neg_forgot_to_call_criterion',
        "forum: loss = criterion (not called) -> 'MSELoss' object has no attribute 'backward'",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.set_grad_enabled(True)",
         'model = nn.Linear(4, 1)\ncriterion = nn.MSELoss()\nx = torch.randn(16, 4)\ny = torch.randn(16, 1)\nlabels = torch.randint(0, 3, (16,))',
         'out = model(x)\nloss = criterion\nloss.backward()'],
        None, None, None, None, error='AttributeError',
    ),
    Case(
        'neg_batch_dict_keyerror',
        'ordinary KeyError in a training step',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.set_grad_enabled(True)",
         "model = nn.Linear(4, 3)\nbatch = {'inputs': torch.randn(8, 4), 'labels': torch.randint(0, 3, (8,))}",
         "loss = F.cross_entropy(model(batch['inputs']), batch['label'])\nloss.backward()"],
        None, None, None, None, error='KeyError',
    ),
    Case(
        'neg_cat_size_mismatch_in_forward',
        'ordinary shape error inside a cell-defined forward',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.set_grad_enabled(True)",
         'class Fuse(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = nn.Linear(4, 8)\n        self.b = nn.Linear(4, 8)\n    def forward(self, x1, x2):\n        return torch.cat([self.a(x1), self.b(x2)], dim=1)',
         'fuse = Fuse()\nout = fuse(torch.randn(8, 4), torch.randn(6, 4))\nout.sum().backward()'],
        None, None, None, None,
    ),
]
