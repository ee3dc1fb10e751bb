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
    Case(
        "math_exp_of_loss",
        "reproduction: math.exp applied to a tensor loss",
        ["import torch\nimport math\nw = torch.randn(3, requires_grad=True)", "base = (w * w).sum()\nloss = math.exp(base)",
         "loss.backward()"],
        "python-number", "python_math", "loss", "loss = math.exp(base)", error="AttributeError",
    ),
    Case(
        "float_in_loss_helper",
        "reproduction: a loss helper that returns float(...) (Chinese tutorial readers' report)",
        ["import torch\ndef mse(p, y):\n    return float(((p - y) ** 2).mean())",
         "w = torch.randn(3, requires_grad=True)\nloss = mse(w * 2, torch.ones(3))", "loss.backward()"],
        "python-number", "python_math", "loss", "return float(((p - y) ** 2).mean())", error="AttributeError",
    ),
]
