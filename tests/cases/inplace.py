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
]
