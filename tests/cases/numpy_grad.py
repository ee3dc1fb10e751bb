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
    Case(
        'e_dhcn_np_sum_of_layer_embeddings',
        'https://github.com/xiaxin1998/DHCN/issues/8 (model.py HyperConv.forward line 51: item_embeddings = np.sum(final, 0) over a list of tensors; dense mm instead of torch.sparse.mm)',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)",
         'class HyperConv(nn.Module):\n    def __init__(self, layers, emb_size=8):\n        super(HyperConv, self).__init__()\n        self.emb_size = emb_size\n        self.layers = layers\n    def forward(self, adjacency, embedding):\n        item_embeddings = embedding\n        item_embedding_layer0 = item_embeddings\n        final = [item_embedding_layer0]\n        for i in range(self.layers):\n            item_embeddings = torch.mm(adjacency, item_embeddings)\n            final.append(item_embeddings)\n        item_embeddings = np.sum(final, 0)\n        return item_embeddings',
         'embedding = nn.Embedding(5, 8)\nHyperGraph = HyperConv(layers=2)\nadjacency = torch.rand(5, 5)',
         'item_embeddings_hg = HyperGraph(adjacency, embedding.weight)'],
        'numpy-requires-grad', 'needs_detach', 'final', 'item_embeddings = np.sum(final, 0)',
    ),
    Case(
        'e_fedgen_np_sum_of_test_losses',
        "https://github.com/zhuangdizhu/FedGen/issues/1 (serverbase.py evaluate line 228: glob_loss = np.sum([x * y for (x, y) in zip(test_samples, test_losses)]).item() / np.sum(test_samples); users' test() returns loss tensors)",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)",
         'class User:\n    def __init__(self):\n        self.model = nn.Linear(4, 3)\n        self.test_data = (torch.randn(6, 4), torch.randint(0, 3, (6,)))\n    def test(self):\n        x, y = self.test_data\n        output = self.model(x)\n        loss = F.cross_entropy(output, y)\n        test_acc = (torch.sum(torch.argmax(output, dim=1) == y)).item()\n        return test_acc, loss, y.shape[0]\nclass Server:\n    def __init__(self):\n        self.selected_users = [User(), User()]\n    def test(self):\n        num_samples, tot_correct, losses = [], [], []\n        for c in self.selected_users:\n            ct, c_loss, ns = c.test()\n            tot_correct.append(ct*1.0)\n            num_samples.append(ns)\n            losses.append(c_loss)\n        return num_samples, tot_correct, losses\n    def evaluate(self):\n        test_ids, test_samples, test_accs, test_losses = [0, 1], *self.test()\n        glob_acc = np.sum(test_accs)*1.0/np.sum(test_samples)\n        glob_loss = np.sum([x * y for (x, y) in zip(test_samples, test_losses)]).item() / np.sum(test_samples)\n        return glob_acc, glob_loss',
         'server = Server()',
         'server.evaluate()'],
        'numpy-requires-grad', 'needs_detach', 'test_losses', 'glob_loss = np.sum([x * y for (x, y) in zip(test_samples, test_losses)]).item() / np.sum(test_samples)',
    ),
    Case(
        'e_dgunet_np_sum_of_stage_losses',
        'https://github.com/MC-E/Deep-Generalized-Unfolding-Networks-for-Image-Restoration/issues/6 (train.py: loss_char = np.sum([criterion_char(restored[j],target) for j in range(len(restored))]); on CPU this is the numpy error)',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)",
         'class CharbonnierLoss(nn.Module):\n    def __init__(self, eps=1e-3):\n        super(CharbonnierLoss, self).__init__()\n        self.eps = eps\n    def forward(self, x, y):\n        diff = x - y\n        return torch.mean(torch.sqrt((diff * diff) + (self.eps*self.eps)))',
         'model_restoration = nn.ModuleList([nn.Conv2d(3, 3, 3, padding=1) for _ in range(3)])\ncriterion_char = CharbonnierLoss()\ninput_ = torch.randn(1, 3, 8, 8)\ntarget = torch.randn(1, 3, 8, 8)',
         'restored = [stage(input_) for stage in model_restoration]\nloss_char = np.sum([criterion_char(restored[j],target) for j in range(len(restored))])\nloss = (loss_char)\nloss.backward()'],
        'numpy-requires-grad', 'needs_detach', 'restored', 'loss_char = np.sum([criterion_char(restored[j],target) for j in range(len(restored))])',
    ),
    Case(
        "array_of_detached_x_and_plain_y",
        "d2l 4.1 pattern: d2l.plot(x.detach(), y, ...) where only x was detached (reduced to NumPy directly)",
        ["import torch\nimport numpy as np\nx = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)\ny = torch.relu(x)",
         "points = np.stack([np.asarray(x.detach()), np.asarray(y)])"],
        "numpy-requires-grad", "needs_detach", "y", "points = np.stack([np.asarray(x.detach()), np.asarray(y)])",
    ),
    Case(
        'i_jacobian_of_numpy_dynamics',
        "https://github.com/meta-pytorch/botorch/issues/520 (a function evaluated through NumPy inside autograd) pattern with torch.autograd.functional.jacobian: linearising a pendulum's right-hand side written with NumPy for the simulator",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torch.optim as optim\nimport numpy as np\nimport math\nimport copy\nimport random\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nnp.random.seed(0)\nrandom.seed(0)\ntorch.set_grad_enabled(True)",
         'g, L = 9.81, 1.0\n\ndef dynamics(state):\n    # pendulum right-hand side (shared with the NumPy simulator)\n    theta, omega = state.numpy()\n    return torch.from_numpy(np.array([omega, -g / L * np.sin(theta)]))',
         'x_eq = torch.tensor([0.0, 0.0], dtype=torch.float64)\nprint(dynamics(x_eq))',
         'A = torch.autograd.functional.jacobian(dynamics, x_eq)'],
        'numpy-requires-grad', 'needs_detach', 'state', 'theta, omega = state.numpy()',
    ),
    Case(
        'i_uncertainty_weighting_np_exp_of_log_vars',
        'https://soinside.com/question/ceMibwmF63bVJo7SEVLxaP (Kendall et al. uncertainty weighting in PyTorch, precision = exp(-log_sigma_squared)) / https://torchjd.org/stable/docs/scalarization/uw/, ported with np.exp; NumPy on a tensor that requires grad',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torch.optim as optim\nimport numpy as np\nimport math\nimport copy\nimport random\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nnp.random.seed(0)\nrandom.seed(0)\ntorch.set_grad_enabled(True)",
         'class TwoHeadNet(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.trunk = nn.Sequential(nn.Linear(8, 16), nn.ReLU())\n        self.reg_head = nn.Linear(16, 1)\n        self.cls_head = nn.Linear(16, 3)\n    def forward(self, x):\n        h = self.trunk(x)\n        return self.reg_head(h), self.cls_head(h)\n\nmodel = TwoHeadNet()\nlog_vars = nn.Parameter(torch.zeros(2))  # learnable task uncertainties\noptimizer = optim.Adam(list(model.parameters()) + [log_vars], lr=1e-3)',
         'x = torch.randn(16, 8)\ny_reg = torch.randn(16, 1)\ny_cls = torch.randint(0, 3, (16,))',
         'pred_reg, pred_cls = model(x)\nloss_reg = F.mse_loss(pred_reg, y_reg)\nloss_cls = F.cross_entropy(pred_cls, y_cls)\nprecision = np.exp(-log_vars)\nloss = precision[0] * loss_reg + log_vars[0] + precision[1] * loss_cls + log_vars[1]'],
        'numpy-requires-grad', 'needs_detach', 'log_vars', 'precision = np.exp(-log_vars)',
    ),
    Case(
        'i_model_eval_taken_for_no_grad_then_numpy',
        "https://blog.promptlayer.com/suggestion-pending-38vu5-j7ui/ ('model.eval() ... does not stop gradient tracking. Use torch.no_grad()') / https://kaijuan.co/qa/60018578 (model.eval() vs torch.no_grad()): predictions made after model.eval() only, then NumPy for a correlation score",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torch.optim as optim\nimport numpy as np\nimport math\nimport copy\nimport random\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nnp.random.seed(0)\nrandom.seed(0)\ntorch.set_grad_enabled(True)",
         'model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))\nX_test, y_test = torch.randn(30, 5), torch.randn(30)',
         'model.eval()  # evaluation mode, no gradients needed',
         'preds = model(X_test)',
         "r = np.corrcoef(preds.squeeze(1).numpy(), y_test.numpy())[0, 1]\nprint(f'pearson r = {r:.3f}')"],
        'numpy-requires-grad', 'needs_detach', 'preds', 'r = np.corrcoef(preds.squeeze(1).numpy(), y_test.numpy())[0, 1]',
    ),
    Case(
        'k_np_array_of_predictions',
        'forum pattern: np.array(preds) for a metric after model.eval() (no torch.no_grad())',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nnp.random.seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)",
         'model = nn.Linear(4, 1)\nX_val = torch.randn(10, 4)',
         'model.eval()\npreds = model(X_val).squeeze(1)',
         'mae = np.abs(np.array(preds) - 0.5).mean()'],
        'numpy-requires-grad', 'needs_detach', 'preds', 'mae = np.abs(np.array(preds) - 0.5).mean()',
    ),
    Case(
        'k_weight_numpy_for_histogram',
        "forum pattern: inspecting a layer's weight with .numpy() (np.histogram) without detach",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nnp.random.seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)",
         'net = nn.Sequential(nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 1))',
         'counts, edges = np.histogram(net[0].weight.numpy(), bins=5)'],
        'numpy-requires-grad', 'needs_detach', 'net[0].weight', 'counts, edges = np.histogram(net[0].weight.numpy(), bins=5)',
    ),
]
