"""non-scalar-backward (core kind): grad can be implicitly created only for scalar outputs."""

from . import Case

CASES = [
    Case(
        "reduction_none_loss",
        "reproduction: nn.MSELoss(reduction='none') followed by loss.backward()",
        ["import torch\nfrom torch import nn\ncrit = nn.MSELoss(reduction='none')\nmodel = nn.Linear(3, 1)",
         "loss = crit(model(torch.randn(5, 3)), torch.randn(5, 1))", "loss.backward()"],
        "non-scalar-backward", "reduction_none", "loss", "loss = crit(model(torch.randn(5, 3)), torch.randn(5, 1))",
    ),
    Case(
        "vector_output_backward",
        "torch autograd tutorial: y = x * 2 then y.backward() without a gradient",
        ["import torch\nx = torch.randn(3, requires_grad=True)", "y = x * 2", "y.backward()"],
        "non-scalar-backward", "unreduced_output", "y", "y = x * 2",
    ),
    Case(
        "complex_output_backward",
        "reproduction: backward() on a complex scalar (grad can be implicitly created only for real scalar outputs)",
        ["import torch\nz = torch.randn(3, dtype=torch.cfloat, requires_grad=True)", "s = (z * z).sum()", "s.backward()"],
        "non-scalar-backward", "complex_output", "s", "s = (z * z).sum()",
    ),
    Case(
        "autograd_grad_non_scalar",
        "reproduction: torch.autograd.grad(y, x) on a vector y without grad_outputs",
        ["import torch\nx = torch.randn(4, requires_grad=True)", "y = x ** 2", "dy, = torch.autograd.grad(y, x)"],
        "non-scalar-backward", "unreduced_output", "y", "y = x ** 2",
    ),
    Case(
        'ns_reduction_none_hard_mining',
        "forum pattern: online hard example mining with F.cross_entropy(..., reduction='none').topk",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.set_grad_enabled(True)",
         'model = nn.Linear(4, 3)\nx = torch.randn(16, 4)\ny = torch.randn(16, 1)\nlabels = torch.randint(0, 3, (16,))',
         "per_sample = F.cross_entropy(model(x), labels, reduction='none')\nhard = per_sample.topk(4).values",
         'hard.backward()'],
        'non-scalar-backward', 'reduction_none', 'hard', 'hard = per_sample.topk(4).values',
    ),
    Case(
        'ns_sum_over_wrong_dim',
        'forum pattern: reducing over the feature dim only, leaving the batch dim',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.set_grad_enabled(True)",
         'model = nn.Linear(4, 3)\nx = torch.randn(16, 4)\ntarget = torch.randn(16, 3)',
         'loss = ((model(x) - target) ** 2).sum(dim=1)',
         'loss.backward()'],
        'non-scalar-backward', 'unreduced_output', 'loss', 'loss = ((model(x) - target) ** 2).sum(dim=1)',
    ),
    Case(
        'ns_stacked_task_losses',
        'forum pattern: multi-task losses stacked but not summed',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.set_grad_enabled(True)",
         'heads = nn.ModuleList([nn.Linear(4, 1) for _ in range(3)])\nx = torch.randn(16, 4)\ny = torch.randn(16, 1)\nlabels = torch.randint(0, 3, (16,))',
         'task_losses = [F.mse_loss(h(x), y) for h in heads]\ntotal = torch.stack(task_losses)',
         'total.backward()'],
        'non-scalar-backward', 'unreduced_output', 'total', 'total = torch.stack(task_losses)',
    ),
]
