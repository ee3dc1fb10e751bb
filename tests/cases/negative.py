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
]
