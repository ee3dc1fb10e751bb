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
    Case(
        "frozen_backbone_all_params",
        "reproduction of fine-tuning reports: every parameter frozen, then loss.backward()",
        ["import torch\nfrom torch import nn\nmodel = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))",
         "for p in model.parameters():\n    p.requires_grad = False",
         "loss = model(torch.randn(3, 4)).sum()\nloss.backward()"],
        "no-grad-fn", "frozen_parameters", "model", "p.requires_grad = False",
    ),
    Case(
        "set_grad_enabled_false_earlier_cell",
        "reproduction: torch.set_grad_enabled(False) left on by an evaluation cell",
        ["import torch\nfrom torch import nn\nnet = nn.Linear(3, 1)", "torch.set_grad_enabled(False)",
         "pred = net(torch.randn(4, 3))\nloss = pred.pow(2).mean()", "loss.backward()"],
        "no-grad-fn", "grad_disabled", "pred", "pred = net(torch.randn(4, 3))",
        extra={"teardown": "torch.set_grad_enabled(True)"},
    ),
    Case(
        "stack_of_numbers",
        "verified-facts.md: torch.tensor([t1, t2]) of tensors that require grad drops the graph",
        ["import torch\nimport warnings\nwarnings.simplefilter('ignore')\na = torch.randn(2, requires_grad=True)",
         "l1 = a.sum()\nl2 = (a ** 2).sum()\ntotal = torch.tensor([l1, l2]).sum()", "total.backward()"],
        "no-grad-fn", "tensor_rewrap", "total", "total = torch.tensor([l1, l2]).sum()",
    ),
    Case(
        "no_grad_decorated_helper",
        "reproduction: a @torch.no_grad() predict() helper reused in the training loop",
        ["import torch\nfrom torch import nn\nmodel = nn.Linear(3, 2)\n@torch.no_grad()\ndef predict(m, x):\n    return m(x)",
         "pred = predict(model, torch.randn(4, 3))\nloss = pred.pow(2).mean()", "loss.backward()"],
        "no-grad-fn", "no_grad", "pred", "pred = predict(model, torch.randn(4, 3))",
    ),
    Case(
        "tensor_of_argmax_in_forward",
        "reproduction: forward returns torch.tensor(out.argmax(1), dtype=torch.float)",
        ["import torch\nimport warnings\nwarnings.simplefilter('ignore')\nfrom torch import nn\nclass Clf(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 3)\n    def forward(self, x):\n        out = self.fc(x)\n        cls = out.argmax(1)\n        return cls.float()",
         "clf = Clf()\nloss = (clf(torch.randn(5, 4)) - 1).pow(2).mean()", "loss.backward()"],
        "no-grad-fn", "non_differentiable_op", "cls", "cls = out.argmax(1)",
    ),
    Case(
        "autograd_grad_of_no_grad_output",
        "reproduction: torch.autograd.grad on an output computed under no_grad (raised from autograd.grad)",
        ["import torch\nw = torch.randn(3, requires_grad=True)",
         "with torch.no_grad():\n    energy = (w ** 2).sum()", "g, = torch.autograd.grad(energy, w)"],
        "no-grad-fn", "no_grad", "energy", "energy = (w ** 2).sum()",
    ),
    Case(
        "detach_inside_optimizer_closure",
        "reproduction: LBFGS-style closure whose loss goes through .detach() (raised inside optimizer.step(closure))",
        ["import torch\nfrom torch import nn\nmodel = nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\nx, y = torch.randn(6, 2), torch.randn(6, 1)",
         "def closure():\n    opt.zero_grad()\n    pred = model(x).detach()\n    loss = ((pred - y) ** 2).mean()\n    loss.backward()\n    return loss",
         "opt.step(closure)"],
        "no-grad-fn", "detach", "pred", "pred = model(x).detach()",
    ),
]
