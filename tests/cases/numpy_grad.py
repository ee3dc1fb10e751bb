"""numpy-requires-grad: .numpy() (or NumPy/matplotlib) on a tensor that requires grad."""

from . import Case

CASES = [
    Case(
        "numpy_of_parameter",
        "https://androidkt.com/fix-cant-call-numpy-on-tensor-that-requires-grad-use-tensor-detach-numpy-instead/",
        ["import torch\na = torch.tensor([1, 2, 3.], requires_grad=True)", "arr = a.numpy()"],
        "numpy-requires-grad", "needs_detach", "a", "arr = a.numpy()",
    ),
    Case(
        "numpy_of_model_output",
        "reproduction: plotting a model's predictions (StackOverflow 'Can't call numpy() on Tensor that requires grad')",
        ["import torch\nfrom torch import nn\nmodel = nn.Linear(1, 1)\nxs = torch.linspace(0, 1, 20).unsqueeze(1)",
         "preds = model(xs)", "ys = preds.squeeze().numpy()"],
        "numpy-requires-grad", "needs_detach", "preds", "ys = preds.squeeze().numpy()",
    ),
    Case(
        "np_array_of_tensor",
        "reproduction: np.array(t) on a tensor that requires grad (goes through __array__)",
        ["import torch\nimport numpy as np\nw = torch.randn(3, requires_grad=True)", "arr = np.asarray(w)"],
        "numpy-requires-grad", "needs_detach", "w", "arr = np.asarray(w)",
    ),
    Case(
        "np_histogram_of_predictions",
        "reproduction: a NumPy summary (np.histogram) of model outputs inside an evaluation helper",
        ["import torch\nimport numpy as np\nfrom torch import nn\nnet = nn.Linear(3, 1)",
         "def summarize(model, x):\n    scores = model(x).squeeze(1)\n    counts, edges = np.histogram(scores, bins=4)\n    return counts",
         "summarize(net, torch.randn(16, 3))"],
        "numpy-requires-grad", "needs_detach", "scores", "counts, edges = np.histogram(scores, bins=4)",
    ),
]
