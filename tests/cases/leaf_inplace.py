"""leaf-inplace: in-place writes to leaves that require grad (and views of them)."""

from . import Case

CASES = [
    Case(
        "manual_sgd_update",
        "https://discuss.pytorch.org/t/leaf-variable-was-used-in-an-inplace-operation/308 (reduced)",
        [
            "import torch\nw = torch.randn(3, requires_grad=True)\nx = torch.randn(8, 3)\ny = torch.randn(8)\nlr = 0.1",
            "loss = ((x @ w - y) ** 2).mean()\nloss.backward()",
            "w -= lr * w.grad",
        ],
        "leaf-inplace", "parameter_update", "w", "w -= lr * w.grad",
    ),
    Case(
        "manual_sgd_sub_",
        "https://discuss.pytorch.org/t/simple-understanding-of-backprop-gradient-descent/73588 (the update written outside no_grad)",
        [
            "import torch\na = torch.tensor([-5., 5.], requires_grad=True)\nx = torch.randn(10, 2)\ny = x @ torch.tensor([2., -1.])\nlr = 0.01",
            "y_hat = x @ a\nloss = ((y - y_hat) ** 2).mean()\nloss.backward()\na.sub_(lr * a.grad)\na.grad.zero_()",
        ],
        "leaf-inplace", "parameter_update", "a", "a.sub_(lr * a.grad)",
    ),
    Case(
        "parameters_loop_update",
        "https://hao-yiwen.github.io/yiwen-blog-website/en/docs/ai/frameworks/pytorch/common-errors (the loop without no_grad)",
        [
            "import torch\nfrom torch import nn\nmodel = nn.Linear(4, 1)\nx, y = torch.randn(16, 4), torch.randn(16, 1)",
            "loss = nn.functional.mse_loss(model(x), y)\nloss.backward()",
            "for p in model.parameters():\n    p -= 0.01 * p.grad",
        ],
        "leaf-inplace", "parameter_update", "p", "p -= 0.01 * p.grad",
    ),
    Case(
        "update_in_function",
        "reproduction: the manual update moved into a helper called from a cell",
        [
            "import torch\nw = torch.randn(5, requires_grad=True)\nb = torch.zeros(1, requires_grad=True)",
            "def sgd_step(params, lr):\n    for p in params:\n        p.add_(-lr * p.grad)",
            "loss = (w.sum() + b).pow(2).sum()\nloss.backward()\nsgd_step([w, b], 0.1)",
        ],
        "leaf-inplace", "parameter_update", "p", "p.add_(-lr * p.grad)",
    ),
    Case(
        "leaf_plus_equal",
        "https://discuss.pytorch.org/t/inplace-operation-changes-is-leaf-attribute/120297 (operation 1)",
        ["import torch\nc = torch.randn(10, 3, 2, 32, requires_grad=True)", "c += 1"],
        "leaf-inplace", "leaf_write", "c", "c += 1",
    ),
    Case(
        "leaf_index_copy",
        "https://discuss.pytorch.org/t/inplace-operation-changes-is-leaf-attribute/120297 (operation 4)",
        ["import torch\nc = torch.randn(10, 3, 2, 32, requires_grad=True)",
         "c.index_copy_(3, torch.tensor([10]), torch.randn(10, 3, 2, 1))"],
        "leaf-inplace", "leaf_write", "c", "c.index_copy_(3, torch.tensor([10]), torch.randn(10, 3, 2, 1))",
    ),
    Case(
        "fill_leaf_by_index",
        "reproduction of a common StackOverflow pattern: filling a requires_grad buffer element by element",
        ["import torch\nx = torch.randn(3, requires_grad=True)\nout = torch.zeros(3, requires_grad=True)",
         "for i in range(3):\n    out[i] = x[i] * 2"],
        "leaf-inplace", "view_of_leaf_write", "out", "out[i] = x[i] * 2",
        note="torch says 'a view of a leaf Variable': out[i] is a view of the leaf out",
    ),
    Case(
        "view_of_leaf_slice_write",
        "https://discuss.pytorch.org/t/inplace-operation-changes-is-leaf-attribute/120297 (an in-place op on a view of the leaf c; reduced)",
        ["import torch\nw = torch.randn(4, 4, requires_grad=True)", "row = w[0]", "row.mul_(2)"],
        "leaf-inplace", "view_of_leaf_write", "row", "row.mul_(2)",
    ),
    Case(
        "module_weight_in_forward",
        "reproduction: a module that normalises its own weight in place inside forward (cell-defined module)",
        [
            "import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.w = nn.Parameter(torch.randn(3, 3))\n    def forward(self, x):\n        self.w /= self.w.norm()\n        return x @ self.w",
            "net = Net()\nout = net(torch.randn(2, 3))",
        ],
        "leaf-inplace", "leaf_write", "self.w", "self.w /= self.w.norm()",
    ),
    Case(
        "relu_inplace_on_leaf",
        "reproduction: F.relu(inplace=True) applied directly to an input that requires grad",
        ["import torch\nimport torch.nn.functional as F\nx = torch.randn(5, requires_grad=True)", "h = F.relu(x, inplace=True)"],
        "leaf-inplace", "leaf_write", "x", "h = F.relu(x, inplace=True)",
    ),
    Case(
        "init_weights_via_apply",
        "reproduction of forum reports: a custom init function passed to model.apply() that fills weights outside no_grad",
        ["import torch\nfrom torch import nn\nmodel = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1))",
         "def init_weights(m):\n    if isinstance(m, nn.Linear):\n        m.weight.fill_(0.01)\n        m.bias.zero_()",
         "model.apply(init_weights)"],
        "leaf-inplace", "leaf_write", "m.weight", "m.weight.fill_(0.01)",
    ),
    Case(
        "leaf_full_slice_plus_equal",
        "https://discuss.pytorch.org/t/inplace-operation-changes-is-leaf-attribute/120297 (operation 6: c[:] += 1)",
        ["import torch\nc = torch.randn(10, 3, requires_grad=True)", "c[:] += 1"],
        "leaf-inplace", "view_of_leaf_write", "c", "c[:] += 1",
        note="The 2021 thread reports no error and c no longer a leaf; torch 2.13 raises "
             "'a view of a leaf Variable that requires grad is being used in an in-place operation'.",
    ),
    Case(
        'e_nyu_sinusoidal_embeddings_into_weight',
        'https://github.com/Atcold/NYU-DLSP20/issues/765 (15-transformer notebook: create_sinusoidal_embeddings(..., E=self.position_embeddings.weight) does E[:, 0::2] = torch.FloatTensor(np.sin(theta[:, 0::2])))',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)",
         'def create_sinusoidal_embeddings(nb_p, dim, E):\n    theta = np.array([\n        [p / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)]\n        for p in range(nb_p)\n    ])\n    E[:, 0::2] = torch.FloatTensor(np.sin(theta[:, 0::2]))\n    E[:, 1::2] = torch.FloatTensor(np.cos(theta[:, 1::2]))\n    E.detach_()\n    E.requires_grad = False\nclass Embeddings(nn.Module):\n    def __init__(self, d_model, vocab_size, max_position_embeddings, p):\n        super().__init__()\n        self.word_embeddings = nn.Embedding(vocab_size, d_model, padding_idx=1)\n        self.position_embeddings = nn.Embedding(max_position_embeddings, d_model)\n        create_sinusoidal_embeddings(\n            nb_p=max_position_embeddings,\n            dim=d_model,\n            E=self.position_embeddings.weight\n        )\n        self.LayerNorm = nn.LayerNorm(d_model, eps=1e-12)',
         'model = Embeddings(d_model=32, vocab_size=50, max_position_embeddings=16, p=0.1)'],
        'leaf-inplace', 'view_of_leaf_write', 'E', 'E[:, 0::2] = torch.FloatTensor(np.sin(theta[:, 0::2]))',
    ),
    Case(
        'e_knowledge_neurons_weight_column_edit',
        'https://github.com/Hunter-DDM/knowledge-neurons/issues/14 (6_edit_knowledge_sampled.py lines 313-315: model.bert.encoder.layer[layer].output.dense.weight[:, pos] -= ori_pred_emb * lambda_list_1[i])',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)",
         'class Output(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.dense = nn.Linear(8, 4)\nclass Layer(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.output = Output()\nclass Encoder(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.layer = nn.ModuleList([Layer() for _ in range(2)])\nclass Bert(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.encoder = Encoder()\nclass Model(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.bert = Bert()',
         'model = Model()\nkn_bag = [(1, 3), (0, 5)]\nori_pred_emb = torch.randn(4)\ntgt_emb = torch.randn(4)\nlambda_list_1 = [1.0, 1.0]\nlambda_list_2 = [1.0, 1.0]',
         'for i, (layer, pos) in enumerate(kn_bag):\n    model.bert.encoder.layer[layer].output.dense.weight[:, pos] -= ori_pred_emb * lambda_list_1[i]\n    model.bert.encoder.layer[layer].output.dense.weight[:, pos] += tgt_emb * lambda_list_2[i]'],
        'leaf-inplace', 'view_of_leaf_write', 'model.bert.encoder.layer[layer].output.dense.weight', 'model.bert.encoder.layer[layer].output.dense.weight[:, pos] -= ori_pred_emb * lambda_list_1[i]',
    ),
]
