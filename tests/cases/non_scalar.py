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
]
