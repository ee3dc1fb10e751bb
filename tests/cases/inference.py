"""inference-tensor: tensors made under torch.inference_mode() used by autograd."""

from . import Case

CASES = [
    Case(
        "inference_batch_into_training",
        "https://github.com/facebookresearch/dinov2/issues/472 (reduced: data prepared under inference_mode, then trained on)",
        ["import torch\nfrom torch import nn\nmodel = nn.Linear(8, 2)",
         "with torch.inference_mode():\n    images = torch.randn(4, 8) * 2",
         "out = model(images)\nloss = out.pow(2).mean()"],
        "inference-tensor", "inference_mode_tensor", "images", "images = torch.randn(4, 8) * 2",
    ),
    Case(
        "inference_tensor_in_forward",
        "https://github.com/roboflow/rf-detr/issues/461 (reduced: the error raised inside a cell-defined forward)",
        [
            "import torch\nfrom torch import nn\nclass Head(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.scale = nn.Parameter(torch.ones(4))\n    def forward(self, x):\n        return x * self.scale",
            "head = Head()",
            "with torch.inference_mode():\n    feats = torch.randn(2, 4)",
            "y = head(feats)",
        ],
        "inference-tensor", "inference_mode_tensor", "feats", "feats = torch.randn(2, 4)",
    ),
    Case(
        "inplace_update_inference_tensor",
        "reproduction of the 'Inplace update to inference tensor outside InferenceMode' error (pytorch/rfcs#17)",
        ["import torch\nwith torch.inference_mode():\n    buf = torch.zeros(3)", "buf.add_(1)"],
        "inference-tensor", "inference_mode_tensor", "buf", "buf = torch.zeros(3)",
    ),
    Case(
        "inference_decorated_embed",
        "https://github.com/unslothai/unsloth/issues/2434 (reduced: embeddings from an @torch.inference_mode() helper fed to training)",
        ["import torch\nfrom torch import nn\n@torch.inference_mode()\ndef embed(x):\n    return x * 3",
         "proj = nn.Linear(3, 3)\nx = torch.randn(2, 3)", "e = embed(x)", "out = proj(e)"],
        "inference-tensor", "inference_mode_tensor", "e", "e = embed(x)",
    ),
    Case(
        "teacher_predict_inference_decorator",
        "red-team reproduction of the forum pattern (distillation): teacher.predict decorated with @torch.inference_mode(), its output used as an mse_loss target",
        ["import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"
         "class Teacher(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.net = nn.Linear(4, 2)\n"
         "    @torch.inference_mode()\n    def predict(self, x):\n        return self.net(x)",
         "teacher = Teacher()\nstudent = nn.Linear(4, 2)\nx = torch.randn(8, 4)",
         "pseudo = teacher.predict(x)",
         "loss = F.mse_loss(student(x), pseudo)"],
        "inference-tensor", "inference_mode_tensor", "pseudo", "pseudo = teacher.predict(x)",
    ),
    Case(
        "inherited_predict_inference_decorator",
        "red-team reproduction of the forum pattern (distillation) with the decorated predict() defined on a base class",
        ["import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"
         "class Base(nn.Module):\n    @torch.inference_mode()\n    def predict(self, x):\n        return self.net(x)\n"
         "class Teacher(Base):\n    def __init__(self):\n        super().__init__()\n        self.net = nn.Linear(4, 2)",
         "teacher = Teacher()\nstudent = nn.Linear(4, 2)\nx = torch.randn(8, 4)",
         "pseudo = teacher.predict(x)",
         "loss = F.mse_loss(student(x), pseudo)"],
        "inference-tensor", "inference_mode_tensor", "pseudo", "pseudo = teacher.predict(x)",
    ),
    Case(
        "batchnorm_built_under_inference_mode",
        "red-team reproduction of the forum pattern: a module constructed inside torch.inference_mode(); its training-mode forward updates running_mean in place (raised inside F.batch_norm)",
        ["import torch\nfrom torch import nn", "with torch.inference_mode():\n    bn = nn.BatchNorm1d(4)",
         "y = bn(torch.randn(3, 4))"],
        "inference-tensor", "inference_mode_tensor", "bn", "bn = nn.BatchNorm1d(4)",
        note="the fix builds the module outside inference_mode (a module has no clone())",
    ),
    Case(
        'e_mrdbourke_test_loss_outside_inference_mode',
        "https://github.com/mrdbourke/pytorch-deep-learning/issues/397 (video 118 test_step: the 'Adjust metrics' lines dedented out of `with torch.inference_mode():`; test_loss /= len(data_loader) raises)",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)",
         'model_1 = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))\nloss_fn = nn.CrossEntropyLoss()\ndef accuracy_fn(y_true, y_pred):\n    return (torch.eq(y_true, y_pred).sum().item() / len(y_pred)) * 100\ntest_dataloader = [(torch.randn(4, 1, 4, 4), torch.randint(0, 10, (4,))) for _ in range(3)]',
         'def test_step(model: torch.nn.Module,\n              data_loader,\n              loss_fn: torch.nn.Module,\n              accuracy_fn):\n    test_loss, test_acc = 0, 0\n    model.eval()\n    with torch.inference_mode():\n        for X, y in data_loader:\n            test_pred = model(X)\n            test_loss += loss_fn(test_pred, y)\n            test_acc += accuracy_fn(y_true=y, y_pred=test_pred.argmax(dim=1))\n    # Adjust metrics and print out\n    test_loss /= len(data_loader)\n    test_acc /= len(data_loader)\n    print(f"Test loss: {test_loss:.5f} | Test acc: {test_acc:.2f}%\\n")',
         'test_step(model=model_1,\n          data_loader=test_dataloader,\n          loss_fn=loss_fn,\n          accuracy_fn=accuracy_fn)'],
        'inference-tensor', 'inference_mode_tensor', 'test_loss', 'test_loss += loss_fn(test_pred, y)',
    ),
    Case(
        'g_inference_cached_embeddings_requires_grad_',
        "pytorch/pytorch test/test_autograd.py::TestAutogradInferenceMode ('Setting requires_grad=True on inference tensor outside InferenceMode is not allowed'); embeddings cached under inference_mode, then fine-tuned",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)",
         'encoder = nn.Sequential(nn.Linear(6, 8), nn.Tanh())\ncorpus = torch.randn(10, 6)',
         'with torch.inference_mode():\n    cached_emb = encoder(corpus)',
         '# fine-tune the cached embeddings directly\ncached_emb.requires_grad_()'],
        'inference-tensor', 'inference_mode_tensor', 'cached_emb', 'cached_emb = encoder(corpus)',
    ),
    Case(
        'g_inference_target_std_saved_for_backward',
        "pytorch/pytorch test/test_autograd.py::TestAutogradInferenceMode ('Inference tensors cannot be saved for backward'); normalisation statistics computed under inference_mode, then used to de-normalise predictions",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\ntorch.set_grad_enabled(True)",
         'X = torch.randn(64, 3) * 5 + 2\nY = torch.randn(64, 1) * 3 + 1\nmodel = nn.Linear(3, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.01)',
         'with torch.inference_mode():\n    x_mean, x_std = X.mean(0), X.std(0)\n    y_mean, y_std = Y.mean(0), Y.std(0)',
         'Xn = (X - x_mean) / x_std\nfor step in range(3):\n    pred = model(Xn) * y_std + y_mean\n    loss = F.mse_loss(pred, Y)\n    opt.zero_grad()\n    loss.backward()\n    opt.step()'],
        'inference-tensor', 'inference_mode_tensor', 'y_std', 'y_mean, y_std = Y.mean(0), Y.std(0)',
    ),
    Case(
        'h_cached_features_inference_mode_then_normalised_in_place',
        'https://github.com/rezaakb/pinns-torch/issues/12 pattern (tensors produced under inference_mode reused later); here a linear-probe notebook caches backbone features with torch.inference_mode() and L2-normalises them in a later cell',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torch.optim as optim\nimport numpy as np\nimport random\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nnp.random.seed(0)\nrandom.seed(0)\ntorch.set_grad_enabled(True)",
         'backbone = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 8))\ntrain_images = torch.randn(20, 10)\ntrain_labels = torch.randint(0, 3, (20,))',
         '# extract features once (fast: no autograd bookkeeping)\nbackbone.eval()\nwith torch.inference_mode():\n    train_feats = backbone(train_images)',
         '# L2-normalise the cached features for the linear probe\ntrain_feats /= train_feats.norm(dim=1, keepdim=True)'],
        'inference-tensor', 'inference_mode_tensor', 'train_feats', 'train_feats = backbone(train_images)',
    ),
]
