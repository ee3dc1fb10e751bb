"""view-inplace: in-place writes to views autograd cannot rebase."""

from . import Case

CASES = [
    Case(
        "chunk_clamp_inplace_in_forward",
        "https://github.com/toshikwa/gail-airl-ppo.pytorch/issues/13 (log_stds.clamp_ after chunk)",
        [
            "import torch\nfrom torch import nn\nclass Policy(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.net = nn.Linear(4, 4)\n    def forward(self, states):\n        means, log_stds = self.net(states).chunk(2, dim=-1)\n        log_stds.clamp_(-20, 2)\n        return means, log_stds",
            "policy = Policy()\nmeans, log_stds = policy(torch.randn(3, 4))",
        ],
        "view-inplace", "multi_output_view", "log_stds", "log_stds.clamp_(-20, 2)",
    ),
    Case(
        "chunk_scale_flow",
        "https://github.com/pytorch/pytorch/issues/46820 (u, v = flow.chunk(2, dim=1); v *= v_scale)",
        ["import torch\nflow = torch.randn(1, 2, 4, 4, requires_grad=True) * 1.0\nv_scale = 0.5",
         "u, v = flow.chunk(2, dim=1)\nv *= v_scale"],
        "view-inplace", "multi_output_view", "v", "v *= v_scale",
    ),
    Case(
        "split_with_sizes_add",
        "https://github.com/williamSYSU/TextGAN-PyTorch/pull/69 (SplitWithSizesBackward0, reduced)",
        ["import torch\nh = torch.randn(2, 6, requires_grad=True) * 2",
         "gates, cell = h.split([4, 2], dim=1)", "cell += 1"],
        "view-inplace", "multi_output_view", "cell", "cell += 1",
    ),
    Case(
        "iterate_rows_inplace",
        "reproduction: iterating over a tensor (unbind) and normalising each row in place",
        ["import torch\nx = torch.randn(3, 4, requires_grad=True)\ny = x * 2",
         "for row in y:\n    row.div_(row.norm())"],
        "view-inplace", "multi_output_view", "row", "row.div_(row.norm())",
    ),
    Case(
        "view_made_in_no_grad",
        "pytorch/pytorch test/cpp/api/inference_mode.cpp (ASSERT_THROWS_WITH 'A view was created in no_grad mode and is being modified inplace'), in Python",
        ["import torch\nbase = torch.randn(4, 4, requires_grad=True)\nb = base * 1",
         "with torch.no_grad():\n    top = b[:2]", "top.mul_(2)"],
        "view-inplace", "view_from_no_grad", "top", "top.mul_(2)",
    ),
    Case(
        "custom_function_returns_view",
        "https://github.com/pytorch/pytorch/pull/39299 (the custom-Function view+inplace check in torch/csrc/autograd/variable.cpp), reproduced",
        [
            "import torch\nclass Identity(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        return x.view_as(x)\n    @staticmethod\n    def backward(ctx, g):\n        return g",
            "a = torch.randn(3, requires_grad=True) * 1\nout = Identity.apply(a)",
            "out.add_(1)",
        ],
        "view-inplace", "custom_function_view", "out", "out.add_(1)",
    ),
    Case(
        "base_modified_after_split",
        "reproduction of the 'its base or another view of its base has been modified inplace' variant (raised where the view is used)",
        ["import torch\nx = torch.randn(4, requires_grad=True) * 1", "p, q = x.split(2)", "x.mul_(2)",
         "loss = (p * 2).sum()"],
        "view-inplace", "multi_output_view", "x", "x.mul_(2)",
    ),
    Case(
        'g_gradient_reversal_view_clamped_inplace',
        "pytorch/pytorch test/test_autograd.py::TestAutograd.test_inplace_not_requires_grad (MyFn returns inp.view_as(inp); in-place on it raises 'This view was created inside a custom Function'); recast as the DANN gradient-reversal layer",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)\nclass GradReverse(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, alpha):\n        ctx.alpha = alpha\n        return x.view_as(x)\n    @staticmethod\n    def backward(ctx, grad_output):\n        return grad_output.neg() * ctx.alpha, None",
         'class DANN(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.feature = nn.Sequential(nn.Linear(6, 8), nn.ReLU())\n        self.label_head = nn.Linear(8, 2)\n        self.domain_head = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))\n    def forward(self, x, alpha):\n        feat = self.feature(x)\n        rev = GradReverse.apply(feat, alpha)\n        rev.clamp_(-5.0, 5.0)\n        return self.label_head(feat), self.domain_head(rev)',
         'net = DANN()\nxs = torch.randn(4, 6)',
         'class_logits, domain_logits = net(xs, 0.3)'],
        'view-inplace', 'custom_function_view', 'rev', 'rev.clamp_(-5.0, 5.0)',
    ),
    Case(
        'g_vit_qkv_unbind_scale_inplace',
        'pytorch/pytorch test/test_autograd.py::TestAutograd.test_inplace_on_view_multiple_outputs (v1 = x.unbind(); v1[0].mul_(2) raises); recast as a timm-style ViT attention with q *= self.scale',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)",
         'class Attention(nn.Module):\n    def __init__(self, dim, num_heads=2):\n        super().__init__()\n        self.num_heads = num_heads\n        head_dim = dim // num_heads\n        self.scale = head_dim ** -0.5\n        self.qkv = nn.Linear(dim, dim * 3)\n        self.proj = nn.Linear(dim, dim)\n    def forward(self, x):\n        B, N, C = x.shape\n        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)\n        q, k, v = qkv.unbind(0)\n        q *= self.scale\n        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)\n        x = (attn @ v).transpose(1, 2).reshape(B, N, C)\n        return self.proj(x)',
         'attn = Attention(8)\ntokens = torch.randn(2, 5, 8)',
         'out = attn(tokens)'],
        'view-inplace', 'multi_output_view', 'q', 'q *= self.scale',
    ),
    Case(
        'j_chunk_then_functional_relu_inplace',
        "GLU-style forward: a, b = h.chunk(2); a = F.relu(a, inplace=True) -> 'Output 0 of Split is a view ...'",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)",
         'class GLU(nn.Module):\n    def __init__(self, d):\n        super().__init__()\n        self.proj = nn.Linear(d, 2 * d)\n    def forward(self, x):\n        h = self.proj(x)\n        a, b = h.chunk(2, dim=-1)\n        a = F.relu(a, inplace=True)\n        return a * torch.sigmoid(b)',
         'glu = GLU(4)\nx = torch.randn(3, 4)',
         'out = glu(x)'],
        'view-inplace', 'multi_output_view', 'a', 'a = F.relu(a, inplace=True)',
    ),
    Case(
        'j_view_of_embedding_row_made_in_no_grad',
        'a view of a leaf parameter row taken under no_grad (to inspect it), zeroed later with grad on -> the view-inplace no_grad message, not the leaf-inplace one',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)",
         'emb = nn.Embedding(10, 4)',
         'with torch.no_grad():\n    pad_vec = emb.weight[0]\nprint(pad_vec.norm())',
         'pad_vec.zero_()  # make the padding row zero'],
        'view-inplace', 'view_from_no_grad', 'pad_vec', 'pad_vec.zero_()  # make the padding row zero',
    ),
]
