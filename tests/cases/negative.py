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
]
