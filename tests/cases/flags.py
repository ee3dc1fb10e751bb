"""requires-grad-nonleaf and dtype-no-grad: setting requires_grad where it cannot be set."""

from . import Case

_RT = "import torch\nfrom torch import nn\nimport torch.nn.functional as F\nimport warnings\nwarnings.simplefilter('ignore')"

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
    Case(
        "freeze_embedding_rows",
        "red-team reproduction of the forum pattern https://discuss.pytorch.org/t/freeze-only-some-rows-of-an-embedding (requires_grad set on a slice of a parameter: the slice is a view, the parameter is the leaf)",
        [_RT + "\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.emb = nn.Embedding(200, 8)\nmodel = M()",
         "model.emb.weight[:100].requires_grad = False"],
        "requires-grad-nonleaf", "nonleaf_flag", "model.emb.weight", "model.emb.weight[:100].requires_grad = False",
        note="the fix is a gradient mask (register_hook) or zeroing weight.grad[:100]; writing into the slice would be an in-place write to a leaf",
    ),
    Case(
        "freeze_slice_with_method",
        "red-team reproduction of the forum pattern 'freeze part of a weight' spelled with requires_grad_(False) on a slice of a plain leaf",
        [_RT + "\nw = torch.randn(5, 3, requires_grad=True)", "w[:2].requires_grad_(False)"],
        "requires-grad-nonleaf", "nonleaf_flag", "w", "w[:2].requires_grad_(False)",
    ),
    Case(
        "arange_positions_requires_grad_kw",
        "red-team reproduction of the forum pattern 'torch.arange(n, requires_grad=True)' (integer arange, n a live int inside a helper)",
        [_RT, "def make_positions(n):\n    positions = torch.arange(n, requires_grad=True)\n    return positions",
         "pos = make_positions(5)"],
        "dtype-no-grad", "integer_tensor", "positions", "positions = torch.arange(n, requires_grad=True)",
    ),
    Case(
        "parameter_from_arange_in_init",
        "red-team reproduction of the forum pattern nn.Parameter(torch.arange(n)) in a module __init__ (raised inside Parameter.__new__)",
        [_RT + "\nclass PosBias(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n"
         "        self.idx = nn.Parameter(torch.arange(n))\n    def forward(self, x):\n        return x + self.idx",
         "pb = PosBias(4)"],
        "dtype-no-grad", "integer_tensor", "self.idx", "self.idx = nn.Parameter(torch.arange(n))",
    ),
    Case(
        "from_numpy_int_array",
        "red-team reproduction of the forum pattern torch.from_numpy(int64 array).requires_grad_() (message spelled 'only Tensors of floating point dtype')",
        [_RT + "\nimport numpy as np\narr = np.array([[1, 2], [3, 4]])", "x = torch.from_numpy(arr).requires_grad_()"],
        "dtype-no-grad", "integer_tensor", "x", "x = torch.from_numpy(arr).requires_grad_()",
    ),
    Case(
        "parameter_of_helper_result",
        "red-team reproduction of the forum pattern nn.Parameter(helper()) where the helper returns an integer tensor: the dtype cannot be read, the message says it is not floating point, nothing points to bool",
        [_RT, "def make():\n    return torch.arange(3)", "p = nn.Parameter(make())"],
        "dtype-no-grad", "integer_tensor", "p", "p = nn.Parameter(make())",
    ),
    Case(
        'g_requires_grad_false_on_scaled_embedding',
        "pytorch/pytorch test/test_autograd.py::TestAutograd.test_requires_grad_ (z = x * y; z.requires_grad_(False) raises); recast as 'freezing' a scaled embedding output inside forward",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)",
         'class TokenEmbedding(nn.Module):\n    def __init__(self, vocab, d):\n        super().__init__()\n        self.emb = nn.Embedding(vocab, d)\n        self.d = d\n    def forward(self, ids):\n        x = self.emb(ids) * math.sqrt(self.d)\n        x.requires_grad_(False)\n        return x',
         'embed = TokenEmbedding(20, 8)\nids = torch.tensor([[1, 4, 7], [2, 2, 0]])',
         'e = embed(ids)'],
        'requires-grad-nonleaf', 'nonleaf_flag', 'x', 'x.requires_grad_(False)',
    ),
    Case(
        'g_one_hot_soft_targets_requires_grad',
        'pytorch/pytorch test/test_autograd.py::TestAutogradDeviceType.test_set_requires_grad_only_for_floats (a = torch.ones(1, dtype=int); a.requires_grad = True raises); recast as learnable soft labels from one_hot',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)",
         'labels = torch.tensor([0, 2, 1, 1])\nlogits = torch.randn(4, 3, requires_grad=True)',
         '# learnable soft labels, initialised from the hard ones\nsoft_targets = F.one_hot(labels, num_classes=3)\nsoft_targets.requires_grad = True'],
        'dtype-no-grad', 'integer_tensor', 'soft_targets', 'soft_targets.requires_grad = True',
    ),
    Case(
        'h_pinn_boundary_points_flag_on_computed_tensor',
        'https://github.com/erfanhamdi/pinn-torch/issues/1 (x_b_lower = 2*numpy.pi*torch.exp(-t_b); x_b_lower.requires_grad = True # doing this make an error); t_b requires grad from the data cell',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torch.optim as optim\nimport numpy as np\nimport random\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nnp.random.seed(0)\nrandom.seed(0)\ntorch.set_grad_enabled(True)",
         'model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))\noptimizer = optim.Adam(model.parameters(), lr=1e-3)',
         '# boundary times (also differentiated in the initial-condition loss)\nt_b = torch.rand(20, requires_grad=True)',
         'def derivative(dy, x, order=1):\n    for i in range(order):\n        dy = torch.autograd.grad(dy, x, grad_outputs=torch.ones_like(dy), create_graph=True, retain_graph=True)[0]\n    return dy\n\ndef mse_b(model, t_b):\n    x_b_lower = 2*np.pi*torch.exp(-t_b)  # as in the equation\n    x_b_lower.requires_grad = True\n    h_b_lower = model(torch.stack((x_b_lower, t_b), axis = 1))\n    h_u_b_lower_x = derivative(h_b_lower[:, 0], x_b_lower, 1)\n    return (h_u_b_lower_x ** 2).mean()',
         'optimizer.zero_grad()\nloss = mse_b(model, t_b)\nloss.backward()'],
        'requires-grad-nonleaf', 'nonleaf_flag', 'x_b_lower', 'x_b_lower.requires_grad = True',
    ),
]
