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
    Case(
        "r2_score_on_predictions",
        "red-team reproduction of the forum pattern sklearn.metrics.r2_score(y_test, preds) on model outputs: np.asarray raises inside a library installed in a site-packages directory outside the venv (pip --user / PYTHONPATH); the stand-in library is written to a temporary site-packages dir by the first cell",
        ["import sys, os, tempfile\nimport torch\nfrom torch import nn\n"
         "_ae_root = tempfile.mkdtemp()\n_ae_site = os.path.join(_ae_root, 'lib', 'python3.11', 'site-packages')\n"
         "os.makedirs(_ae_site)\n"
         "with open(os.path.join(_ae_site, 'ae_evalkit_stub.py'), 'w') as _f:\n"
         "    _f.write('import numpy as np\\n\\ndef _check_array(a):\\n    return np.asarray(a, dtype=np.float64)\\n\\n'\n"
         "             'def r2_score(y_true, y_pred):\\n    y_true = _check_array(y_true)\\n    y_pred = _check_array(y_pred)\\n'\n"
         "             '    return 1 - ((y_true - y_pred) ** 2).sum() / ((y_true - y_true.mean()) ** 2).sum()\\n')\n"
         "sys.path.insert(0, _ae_site)\nfrom ae_evalkit_stub import r2_score\n"
         "model = nn.Linear(3, 1)\nX_test, y_test = torch.randn(10, 3), torch.randn(10)",
         "preds = model(X_test).squeeze(1)",
         "score = r2_score(y_test, preds)"],
        "numpy-requires-grad", "needs_detach", "preds", "score = r2_score(y_test, preds)",
        extra={"teardown": "import shutil\nsys.path.remove(_ae_site)\nsys.modules.pop('ae_evalkit_stub', None)\n"
                           "shutil.rmtree(_ae_root, ignore_errors=True)"},
    ),
    Case(
        "plot_pred_numpy_in_train_loop",
        "red-team reproduction of the forum pattern plt.plot(xs.numpy(), pred.numpy()) inside a training loop: the first receiver needs no grad, the second does",
        ["import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"
         "def plot(*args):\n    return args\n"
         "model = nn.Linear(1, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
         "xs = torch.linspace(0, 1, 20).unsqueeze(1)\nys = 3 * xs",
         "def train(epochs):\n    for epoch in range(epochs):\n        pred = model(xs)\n        loss = F.mse_loss(pred, ys)\n"
         "        opt.zero_grad()\n        loss.backward()\n        opt.step()\n        if epoch % 10 == 0:\n"
         "            plot(xs.numpy(), pred.numpy())",
         "train(20)"],
        "numpy-requires-grad", "needs_detach", "pred", "plot(xs.numpy(), pred.numpy())",
    ),
]
