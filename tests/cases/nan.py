"""nan-in-backward: anomaly mode's "Function 'XBackward0' returned nan values"."""

from . import Case

_ANOMALY = "import torch\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.autograd.set_detect_anomaly(True)"

CASES = [
    Case(
        "euclidean_distance_sqrt_zero",
        "https://github.com/open-mmlab/mmrotate/issues/205 (sqrt of a zero distance: inf gradient times 0 gives nan; reduced). Note: the older https://github.com/pytorch/pytorch/issues/2421 (x.norm() at 0) no longer gives nan on torch 2.13 (grad is 0), so it is not a case",
        [_ANOMALY, "a = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)\nb = torch.tensor([[1., 2.], [0., 0.]])",
         "dist = torch.sqrt(((a - b) ** 2).sum(dim=1))\nloss = dist.sum()", "loss.backward()"],
        "nan-in-backward", "sqrt_at_zero", "a", "dist = torch.sqrt(((a - b) ** 2).sum(dim=1))",
        extra={"teardown": "torch.autograd.set_detect_anomaly(False)"},
    ),
    Case(
        "entropy_log_zero",
        "reproduction of the entropy p * log(p) with p = 0 (forum 'nan in backward of log')",
        [_ANOMALY, "p = torch.tensor([0.0, 0.5, 0.5], requires_grad=True)",
         "entropy = -(p * torch.log(p)).sum()", "entropy.backward()"],
        "nan-in-backward", "log_of_nonpositive", "p", "entropy = -(p * torch.log(p)).sum()",
        extra={"teardown": "torch.autograd.set_detect_anomaly(False)"},
    ),
    Case(
        "normalise_by_zero_sum",
        "reproduction: x / x.sum() with an all-zero row (division by zero)",
        [_ANOMALY, "x = torch.tensor([0., 0.], requires_grad=True)\ns = x.sum()",
         "ratio = x / s\nratio.sum().backward()"],
        "nan-in-backward", "division_by_zero", "s", "ratio = x / s",
        extra={"teardown": "torch.autograd.set_detect_anomaly(False)"},
    ),
    Case(
        "nan_in_data",
        "reproduction: a nan in the input data (anomaly mode names SinBackward0)",
        [_ANOMALY, "data = torch.tensor([float('nan'), 1.0])\nw = torch.ones(2, requires_grad=True)",
         "out = torch.sin(w * data).sum()", "out.backward()"],
        "nan-in-backward", "nan_input", "data", "out = torch.sin(w * data).sum()",
        extra={"teardown": "torch.autograd.set_detect_anomaly(False)"},
    ),
    Case(
        "anomaly_only_around_backward",
        "reproduction: detect_anomaly() wrapped around backward only (no forward traceback recorded)",
        ["import torch\nimport warnings\nwarnings.simplefilter('ignore')\nx = torch.zeros(3, requires_grad=True)",
         "r = torch.sqrt(x)\nloss = (r * 0).sum()",
         "with torch.autograd.detect_anomaly():\n    loss.backward()"],
        "nan-in-backward", "sqrt_at_zero", "x", "r = torch.sqrt(x)",
    ),
    Case(
        "pairwise_distance_pow_half_diagonal",
        "red-team reproduction of the forum pattern 'nan gradient with pairwise distance': d2.pow(0.5) with a zero diagonal; anomaly mode names the PowBackward0 of diff ** 2, not the one of the root",
        [_ANOMALY, "def energy(pos):\n    diff = pos[:, None, :] - pos[None, :, :]\n    d2 = (diff ** 2).sum(-1)\n"
         "    dist = d2.pow(0.5)\n    return (1.0 / (dist + 1.0)).sum()",
         "pos = torch.randn(4, 3, requires_grad=True)",
         "e = energy(pos)\ne.backward()"],
        "nan-in-backward", "sqrt_at_zero", "d2", "dist = d2.pow(0.5)",
        extra={"teardown": "torch.autograd.set_detect_anomaly(False)"},
    ),
    Case(
        "log_power_spectrogram_silence",
        "red-team reproduction of the forum pattern 'log-power spectrogram gives nan': log(|spec| ** 2) with silent bins in a cell-defined module, backward on an unnamed expression",
        [_ANOMALY + "\nfrom torch import nn\nclass LogPower(nn.Module):\n    def forward(self, spec):\n"
         "        power = spec.abs() ** 2\n        return torch.log(power)",
         "spec = torch.tensor([[0.0, 1.0, 2.0], [3.0, 0.0, 1.0]], requires_grad=True)\nlp = LogPower()",
         "lp(spec).mean().backward()"],
        "nan-in-backward", "log_of_nonpositive", "power", "return torch.log(power)",
        extra={"teardown": "torch.autograd.set_detect_anomaly(False)"},
    ),
    Case(
        "log_power_anomaly_around_backward_only",
        "red-team reproduction of the forum pattern 'log-power spectrogram gives nan' with detect_anomaly() around the backward only (no forward traceback recorded)",
        ["import torch\nimport warnings\nwarnings.simplefilter('ignore')\nfrom torch import nn\n"
         "class LogPower(nn.Module):\n    def forward(self, spec):\n        power = spec.abs() ** 2\n        return torch.log(power)",
         "spec = torch.tensor([[0.0, 1.0], [3.0, 0.0]], requires_grad=True)\nlp = LogPower()",
         "with torch.autograd.detect_anomaly():\n    lp(spec).mean().backward()"],
        "nan-in-backward", "log_of_nonpositive", "power", "return torch.log(power)",
    ),
    Case(
        'e_gradient_magnitude_sqrt_pow_backward',
        'https://openillumi.com/en/en-fix-pytorch-cpu-nan-powbackward0 (self.grad_mag = torch.sqrt(self.grad_x**2 + self.grad_y**2) on a flat region; anomaly mode names PowBackward0)',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.autograd.set_detect_anomaly(True)",
         'class EdgeLoss(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.kx = torch.tensor([[[[-1., 0., 1.]]]])\n        self.ky = torch.tensor([[[[-1.], [0.], [1.]]]])\n    def forward(self, img):\n        self.grad_x = F.conv2d(img, self.kx, padding=(0, 1))\n        self.grad_y = F.conv2d(img, self.ky, padding=(1, 0))\n        self.grad_mag = torch.sqrt(self.grad_x**2 + self.grad_y**2)\n        return self.grad_mag.mean()',
         'img = torch.ones(1, 1, 6, 6, requires_grad=True)\nedge = EdgeLoss()',
         'loss = edge(img)\nloss.backward()'],
        'nan-in-backward', 'sqrt_at_zero', 'self.grad_x', 'self.grad_mag = torch.sqrt(self.grad_x**2 + self.grad_y**2)',
        extra={"teardown": "torch.autograd.set_detect_anomaly(False)"},
    ),
    Case(
        'k_log_of_softmax_underflow',
        "https://huggingface.co/datasets/nvidia/Nemotron-CC-Math-v1 ('About Log and Softmax': torch.log(probability) with NLLLoss gives nan; use log_softmax) reduced: a softmax that underflows to exactly 0",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nnp.random.seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)\ntorch.autograd.set_detect_anomaly(True)",
         'def nll_from_probs(logits, target):\n    probs = torch.softmax(logits, dim=1)\n    log_probs = torch.log(probs)\n    return F.nll_loss(log_probs, target)',
         'logits = torch.tensor([[0.0, 200.0, 0.0], [1.0, 2.0, 3.0]], requires_grad=True)\ntarget = torch.tensor([1, 2])',
         'loss = nll_from_probs(logits, target)\nloss.backward()'],
        'nan-in-backward', 'log_of_nonpositive', 'probs', 'log_probs = torch.log(probs)',
        extra={'teardown': 'torch.autograd.set_detect_anomaly(False)'},
    ),
    Case(
        'k_rmse_loss_at_perfect_fit',
        'https://discuss.pytorch.org/t/why-do-we-use-rmse-instead-of-mse/99010 (RMSE = sqrt(MSE)) pattern: sqrt of an MSE that is exactly 0 (zero-initialised model on zero targets)',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nnp.random.seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)\ntorch.autograd.set_detect_anomaly(True)",
         'model = nn.Linear(3, 1)\nnn.init.zeros_(model.weight)\nnn.init.zeros_(model.bias)\ncriterion = nn.MSELoss()',
         'x = torch.randn(8, 3)\ny = torch.zeros(8, 1)',
         'mse = criterion(model(x), y)\nloss = torch.sqrt(mse)',
         'loss.backward()'],
        'nan-in-backward', 'sqrt_at_zero', 'mse', 'loss = torch.sqrt(mse)',
        extra={'teardown': 'torch.autograd.set_detect_anomaly(False)'},
    ),
    Case(
        'k_attention_entropy_masked_softmax',
        'forum pattern: attention-entropy regulariser -(p * log p) on a softmax with -inf masked keys (exact zeros); detect_anomaly only around backward',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nnp.random.seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)",
         'scores = torch.randn(2, 4, requires_grad=True)\nkey_mask = torch.tensor([[True, True, False, False], [True, True, True, True]])',
         "attn = torch.softmax(scores.masked_fill(~key_mask, float('-inf')), dim=-1)\nent = -(attn * torch.log(attn)).sum(-1).mean()",
         'with torch.autograd.detect_anomaly():\n    ent.backward()'],
        'nan-in-backward', 'log_of_nonpositive', 'attn', 'ent = -(attn * torch.log(attn)).sum(-1).mean()',
    ),
]
