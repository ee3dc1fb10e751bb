"""no-grad-fn (core kind): element 0 of tensors does not require grad and does not have a grad_fn."""

from . import Case

CASES = [
    Case(
        "argmax_into_loss",
        "reproduction of the classic forum report: loss computed on argmax predictions",
        ["import torch\nfrom torch import nn\nmodel = nn.Linear(4, 3)\nx = torch.randn(8, 4)\ny = torch.randint(0, 3, (8,))",
         "logits = model(x)\npred = logits.argmax(dim=1)",
         "loss = (pred.float() - y.float()).pow(2).mean()\nloss.backward()"],
        "no-grad-fn", "non_differentiable_op", "pred", "pred = logits.argmax(dim=1)",
    ),
    Case(
        "forward_in_no_grad_cell",
        "reproduction: evaluation cell's no_grad block reused for training (multi-cell)",
        ["import torch\nfrom torch import nn\nmodel = nn.Linear(4, 1)\nx, y = torch.randn(8, 4), torch.randn(8, 1)",
         "with torch.no_grad():\n    out = model(x)",
         "loss = ((out - y) ** 2).mean()", "loss.backward()"],
        "no-grad-fn", "no_grad", "out", "out = model(x)",
    ),
    Case(
        "detach_in_forward",
        "reproduction: a module's forward detaches its hidden features",
        ["import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n    def forward(self, x):\n        h = self.fc(x).detach()\n        return h.sum(dim=1)",
         "net = Net()\nloss = net(torch.randn(2, 4)).mean()", "loss.backward()"],
        "no-grad-fn", "detach", "h", "h = self.fc(x).detach()",
    ),
    Case(
        "tensor_rewrap_of_item",
        "reproduction of the Chinese tutorial pattern loss = torch.tensor(loss.item())",
        ["import torch\nw = torch.randn(3, requires_grad=True)\nx = torch.randn(3)",
         "raw = (w * x).sum()\nloss = torch.tensor(raw.item())", "loss.backward()"],
        "no-grad-fn", "item", "loss", "loss = torch.tensor(raw.item())",
    ),
]
