"""python-number (core kind): 'float' object has no attribute 'backward'."""

from . import Case

CASES = [
    Case(
        "loss_item_backward",
        "reproduction of the common forum error 'float object has no attribute backward'",
        ["import torch\nw = torch.randn(3, requires_grad=True)",
         "loss = (w ** 2).sum().item()", "loss.backward()"],
        "python-number", "item", "loss", "loss = (w ** 2).sum().item()", error="AttributeError",
    ),
    Case(
        "running_loss_accumulated",
        "reproduction: running_loss += loss.item() then running_loss.backward()",
        ["import torch\nw = torch.randn(3, requires_grad=True)\nrunning = 0.0",
         "for _ in range(3):\n    step_loss = (w * 2).sum()\n    running += step_loss.item()", "running.backward()"],
        "python-number", "item", "running", "running += step_loss.item()", error="AttributeError",
    ),
]
