"""unused-input, no-grad-input and grad-shape-mismatch: the arguments of autograd.grad / backward."""

from . import Case

CASES = [
    Case(
        "grad_wrt_unused_tensor",
        "reproduction of torch.autograd.grad's allow_unused check (message seen in verified-facts.md: 'The differentiated Tensor at index 1 ...')",
        ["import torch\nx = torch.randn(3, requires_grad=True)\nz = torch.randn(3, requires_grad=True)",
         "y = (x ** 2).sum()", "gx, gz = torch.autograd.grad(y, [x, z])"],
        "unused-input", "not_in_graph", "z", "gx, gz = torch.autograd.grad(y, [x, z])",
    ),
    Case(
        "pinn_input_rebound",
        "reproduction of PINN forum reports: the input re-made with requires_grad after the output was computed",
        ["import torch\nfrom torch import nn\nnet = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))\nt = torch.linspace(0, 1, 5).unsqueeze(1)",
         "u = net(t).sum()", "t = t.clone().requires_grad_()", "du = torch.autograd.grad(u, t)"],
        "unused-input", "not_in_graph", "t", "t = t.clone().requires_grad_()",
    ),
    Case(
        "grad_wrt_frozen_head_param",
        "reproduction: autograd.grad over model.parameters() where one layer is not used by forward",
        [
            "import torch\nfrom torch import nn\nclass Two(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = nn.Linear(2, 2)\n        self.unused = nn.Linear(2, 2)\n    def forward(self, x):\n        return self.a(x)",
            "m = Two()\nloss = m(torch.randn(4, 2)).sum()",
            "grads = torch.autograd.grad(loss, m.parameters())",
        ],
        "unused-input", "not_in_graph", "m.unused.weight", "grads = torch.autograd.grad(loss, m.parameters())",
    ),
    Case(
        "grad_input_without_grad",
        "reproduction of torch.autograd.grad's input check ('One of the differentiated Tensors does not require grad')",
        ["import torch\nx = torch.randn(3, requires_grad=True)\nnoise = torch.randn(3)",
         "y = (x * noise).sum()", "gx, gn = torch.autograd.grad(y, [x, noise])"],
        "no-grad-input", "input_without_grad", "noise", "noise = torch.randn(3)",
    ),
    Case(
        "gradient_penalty_input_no_grad",
        "reproduction of WGAN-GP reports: the interpolates not marked requires_grad before autograd.grad",
        ["import torch\nfrom torch import nn\nD = nn.Linear(4, 1)\nreal, fake = torch.randn(8, 4), torch.randn(8, 4)",
         "alpha = torch.rand(8, 1)\ninterp = alpha * real + (1 - alpha) * fake\nscore = D(interp)",
         "g = torch.autograd.grad(score.sum(), interp, create_graph=True)"],
        "no-grad-input", "input_without_grad", "interp", "interp = alpha * real + (1 - alpha) * fake",
    ),
    Case(
        "backward_gradient_wrong_shape",
        "torch docs / forum: y.backward(torch.ones(...)) with a gradient of the wrong shape",
        ["import torch\nx = torch.randn(3, requires_grad=True)\ny = x * 2", "y.backward(torch.ones(2))"],
        "grad-shape-mismatch", "gradient_argument", "y", "y.backward(torch.ones(2))",
    ),
    Case(
        "autograd_grad_outputs_wrong_shape",
        "reproduction: grad_outputs= with the batch dimension dropped",
        ["import torch\nx = torch.randn(4, 3, requires_grad=True)\nout = x.sin()\nv = torch.ones(3)",
         "g, = torch.autograd.grad(out, x, grad_outputs=v)"],
        "grad-shape-mismatch", "gradient_argument", "out", "g, = torch.autograd.grad(out, x, grad_outputs=v)",
    ),
    Case(
        "pinn_x_without_requires_grad",
        "red-team reproduction of the forum pattern (PINN): collocation points from linspace never marked requires_grad, differentiated inside a loss function",
        ["import torch\nfrom torch import nn\nnet = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))",
         "x = torch.linspace(0, 1, 50).unsqueeze(1)",
         "def pde_loss(net, x):\n    u = net(x)\n    u_x = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)[0]\n"
         "    return (u_x - torch.cos(x)).pow(2).mean()",
         "loss = pde_loss(net, x)"],
        "no-grad-input", "input_without_grad", "x", "x = torch.linspace(0, 1, 50).unsqueeze(1)",
    ),
    Case(
        "pinn_points_through_method",
        "red-team reproduction of the forum pattern (PINN) with the points passed under another name through two methods",
        ["import torch\nfrom torch import nn\nnet = nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 1))\n"
         "class Solver:\n    def residual(self, x):\n        u = net(x)\n        return torch.autograd.grad(u.sum(), x)[0]\n"
         "    def loss(self, pts):\n        return self.residual(pts).pow(2).mean()",
         "grid = torch.linspace(0, 1, 5).unsqueeze(1)\ns = Solver()", "l = s.loss(grid)"],
        "no-grad-input", "input_without_grad", "grid", "grid = torch.linspace(0, 1, 5).unsqueeze(1)",
    ),
    Case(
        'e_maml_deepcopy_meta_grad',
        'https://github.com/vmikulik/maml-pytorch/issues/2 (deepcopy of the model for the inner loop instead of the parameterised model; meta_grad = torch.autograd.grad(meta_loss, model.parameters()) -> appears to not have been used in the graph)',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\nimport copy",
         'model = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 1))\ncriterion = nn.MSELoss()\ninner_lr = 0.01\nx_spt, y_spt = torch.randn(5, 1), torch.randn(5, 1)\nx_qry, y_qry = torch.randn(5, 1), torch.randn(5, 1)',
         'temp_model = copy.deepcopy(model)\nloss = criterion(temp_model(x_spt), y_spt)\ngrads = torch.autograd.grad(loss, temp_model.parameters())\nwith torch.no_grad():\n    for p, g in zip(temp_model.parameters(), grads):\n        p -= inner_lr * g',
         'meta_loss = criterion(temp_model(x_qry), y_qry)\nmeta_grads = torch.autograd.grad(meta_loss, model.parameters())'],
        'unused-input', 'not_in_graph', 'model[0].weight', 'temp_model = copy.deepcopy(model)',
    ),
    Case(
        'unused_input_grad_of_a_cloned_leaf',
        "forum pattern: a working copy `w_fast = w.clone().detach().requires_grad_()` is updated and used; torch.autograd.grad is then asked about the original `w`",
        ["import torch\ntorch.manual_seed(0)\nw = torch.randn(3, requires_grad=True)\nx = torch.randn(4, 3)",
         "w_fast = w.clone().detach().requires_grad_()",
         "loss = (x @ w_fast).pow(2).mean()\ng, = torch.autograd.grad(loss, [w])"],
        'unused-input', 'not_in_graph', 'w', 'w_fast = w.clone().detach().requires_grad_()',
    ),
]
