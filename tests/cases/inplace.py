"""inplace-modified (core kind): a tensor saved for backward was modified in place."""

from . import Case

CASES = [
    Case(
        "exp_then_plus_equal",
        "verified-facts.md: y = x.exp(); y += 1 (exp saves its result)",
        ["import torch\nx = torch.randn(3, requires_grad=True)", "y = x.exp()\ny += 1", "y.sum().backward()"],
        "inplace-modified", "augmented_assignment", "y", "y += 1",
    ),
    Case(
        "sigmoid_then_setitem",
        "reproduction of the forum pattern 'modified by an inplace operation ... SigmoidBackward'",
        ["import torch\nx = torch.randn(4, requires_grad=True)",
         "s = torch.sigmoid(x)\ns[0] = 0.0", "s.sum().backward()"],
        "inplace-modified", "setitem", "s", "s[0] = 0.0",
    ),
    Case(
        "relu_inplace_module_after_sigmoid",
        "reproduction: nn.ReLU(inplace=True) after a sigmoid in a cell-defined model",
        ["import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n        self.act = nn.ReLU(inplace=True)\n    def forward(self, x):\n        h = torch.sigmoid(self.fc(x))\n        return self.act(h)",
         "net = Net()\nout = net(torch.randn(2, 4))", "out.sum().backward()"],
        "inplace-modified", "inplace_module", "net.act", "self.act = nn.ReLU(inplace=True)",
    ),
    Case(
        "sigmoid_mul_inplace_method",
        "reproduction: y = torch.sigmoid(x); y.mul_(2) (sigmoid saves its result)",
        ["import torch\nx = torch.randn(4, requires_grad=True)", "y = torch.sigmoid(x)\ny.mul_(2)", "y.sum().backward()"],
        "inplace-modified", "inplace_method", "y", "y.mul_(2)",
    ),
    Case(
        "gan_discriminator_step_before_generator_backward",
        "reproduction of GAN reports (torch>=1.5): optD.step() between d_loss.backward(retain_graph=True) and g_loss.backward()",
        ["import torch\nfrom torch import nn\nG = nn.Linear(2, 2)\nD = nn.Linear(2, 1)\noptD = torch.optim.SGD(D.parameters(), lr=0.1)",
         "fake = G(torch.randn(4, 2))\nd_loss = D(fake).mean()\ng_loss = -D(fake).mean()",
         "d_loss.backward(retain_graph=True)\noptD.step()", "g_loss.backward()"],
        "inplace-modified", "optimizer_step", "optD", "optD.step()",
    ),
    Case(
        "setitem_after_relu_in_forward",
        "reproduction of the forum pattern: masking a column of a ReLU output in place inside forward",
        ["import torch\nimport torch.nn.functional as F\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc1 = nn.Linear(4, 4)\n    def forward(self, x):\n        x = F.relu(self.fc1(x))\n        x[:, 0] = 0\n        return x",
         "net = Net()\nout = net(torch.randn(3, 4))", "out.sum().backward()"],
        "inplace-modified", "setitem", "x", "x[:, 0] = 0",
    ),
    Case(
        "inplace_inside_train_step_function",
        "reproduction: the in-place write inside a train_step() helper called from a cell",
        ["import torch\nw = torch.randn(4, requires_grad=True)",
         "def train_step(w):\n    h = torch.tanh(w)\n    h += 0.1\n    loss = h.sum()\n    loss.backward()\n    return loss",
         "train_step(w)"],
        "inplace-modified", "augmented_assignment", "h", "h += 0.1",
    ),
]
