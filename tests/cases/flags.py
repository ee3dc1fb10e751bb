"""requires-grad-nonleaf and dtype-no-grad: setting requires_grad where it cannot be set."""

from . import Case

CASES = [
    Case(
        "nonleaf_after_to_device",
        "https://discuss.pytorch.org/t/how-to-define-a-leaf-tensor-in-pytorch-0-4-1/28461 (requires_grad set before .cuda()/.to() makes a non-leaf; reduced, .to(float64) stands for .cuda())",
        ["import torch\nx = torch.randn(4, 3, requires_grad=True).to(torch.float64)",
         "x.requires_grad = False"],
        "requires-grad-nonleaf", "nonleaf_flag", "x", "x.requires_grad = False",
    ),
    Case(
        "nonleaf_requires_grad_false_on_output",
        "reproduction: freezing a layer's output instead of detaching it",
        ["import torch\nfrom torch import nn\nenc = nn.Linear(4, 4)\nfeat = enc(torch.randn(2, 4))",
         "feat.requires_grad_(False)"],
        "requires-grad-nonleaf", "nonleaf_flag", "feat", "feat.requires_grad_(False)",
    ),
    Case(
        "nonleaf_in_function",
        "reproduction: the flag changed inside a helper called from a cell",
        ["import torch\ndef features(x):\n    h = x * 2\n    h.requires_grad = False\n    return h",
         "x = torch.randn(3, requires_grad=True)", "f = features(x)"],
        "requires-grad-nonleaf", "nonleaf_flag", "h", "h.requires_grad = False",
    ),
    Case(
        "scaled_init_then_flag",
        "https://discuss.pytorch.org/t/how-to-define-a-leaf-tensor-in-pytorch-0-4-1/28461 (w = randn(..., requires_grad=True) * 0.01 is not a leaf; reduced)",
        ["import torch\nw = torch.randn(3, 1, requires_grad=True) * 0.01", "w.requires_grad = True"],
        "requires-grad-nonleaf", "nonleaf_flag", "w", "w.requires_grad = True",
    ),
    Case(
        "int_tensor_literal",
        "https://github.com/pytorch/pytorch/issues/53466 (torch.tensor([1], requires_grad=True) from the enable_grad docs)",
        ["import torch", "x = torch.tensor([1, 2, 3], requires_grad=True)"],
        "dtype-no-grad", "integer_tensor", "x", "x = torch.tensor([1, 2, 3], requires_grad=True)",
    ),
    Case(
        "arange_requires_grad_",
        "https://github.com/pytorch/pytorch/pull/7034 (requires_grad_() on an integer tensor; message spelled 'only Tensors of floating point dtype')",
        ["import torch\nt = torch.arange(10)", "t.requires_grad_()"],
        "dtype-no-grad", "integer_tensor", "t", "t.requires_grad_()",
    ),
    Case(
        "labels_require_grad",
        "reproduction: class labels (long) given requires_grad in a multi-cell notebook",
        ["import torch\nlabels = torch.tensor([0, 2, 1])", "logits = torch.randn(3, 4, requires_grad=True)",
         "labels.requires_grad = True"],
        "dtype-no-grad", "integer_tensor", "labels", "labels.requires_grad = True",
    ),
    Case(
        "bool_mask_parameter",
        "reproduction: a learnable mask built from a bool tensor",
        ["import torch\nfrom torch import nn\nmask = torch.ones(4, 4) > 0", "m = nn.Parameter(mask)"],
        "dtype-no-grad", "bool_tensor", "mask", "m = nn.Parameter(mask)",
    ),
    Case(
        "max_indices_require_grad",
        "https://github.com/pytorch/pytorch/issues/95110 (requires_grad = True on the LongTensor of indices from torch.max)",
        ["import torch\nout = torch.randn(3, 4, requires_grad=True)", "_, idx = torch.max(out, 1)",
         "idx.requires_grad = True"],
        "dtype-no-grad", "integer_tensor", "idx", "idx.requires_grad = True",
    ),
    Case(
        "randint_requires_grad",
        "reproduction: torch.randint(..., requires_grad=True)",
        ["import torch", "idx = torch.randint(0, 10, (5,), requires_grad=True)"],
        "dtype-no-grad", "integer_tensor", "idx", "idx = torch.randint(0, 10, (5,), requires_grad=True)",
    ),
]
