"""backward-twice (core kind): Trying to backward through the graph a second time."""

from . import Case

CASES = [
    Case(
        "rerun_backward_cell",
        "reproduction: the backward cell re-run in a notebook",
        ["import torch\nw = torch.randn(3, requires_grad=True)", "loss = (w.exp()).sum()",
         "loss.backward()", "loss.backward()"],
        "backward-twice", "second_backward", "loss", "loss.backward()",
    ),
    Case(
        "rnn_hidden_state_carried",
        "reproduction of the forum RNN report: hidden state kept across iterations without detach",
        ["import torch\nfrom torch import nn\nrnn = nn.RNNCell(3, 4)\nh = torch.zeros(1, 4)\nopt = torch.optim.SGD(rnn.parameters(), lr=0.1)",
         "for step in range(2):\n    h = rnn(torch.randn(1, 3), h)\n    loss = h.pow(2).sum()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()"],
        "backward-twice", "state_carried_across_iterations", "h", "h = rnn(torch.randn(1, 3), h)",
    ),
    Case(
        "gan_shared_fake",
        "reproduction of the DCGAN tutorial mistake: the discriminator loss uses fake without detach()",
        ["import torch\nfrom torch import nn\nG = nn.Linear(2, 2)\nD = nn.Linear(2, 1)",
         "fake = G(torch.randn(4, 2)).exp()\nd_loss = D(fake).mean()\nd_loss.backward()",
         "g_loss = -D(fake).mean()\ng_loss.backward()"],
        "backward-twice", "shared_subgraph", "fake", "d_loss = D(fake).mean()",
    ),
    Case(
        "running_total_loss_backward_each_step",
        "reproduction of the forum report: total_loss = total_loss + loss; total_loss.backward() every step",
        ["import torch\nw = torch.randn(3, requires_grad=True)\ntotal_loss = 0",
         "for step in range(3):\n    loss = (w * step).pow(2).sum()\n    total_loss = total_loss + loss\n    total_loss.backward()"],
        "backward-twice", "state_carried_across_iterations", "total_loss", "total_loss = total_loss + loss",
    ),
    Case(
        "backward_twice_in_helper",
        "reproduction: a helper called twice on the same loss (raised inside a function called from a cell)",
        ["import torch\nw = torch.randn(3, requires_grad=True)\nloss = w.exp().sum()",
         "def step(l):\n    l.backward()", "step(loss)", "step(loss)"],
        "backward-twice", "second_backward", "l", "l.backward()",
    ),
    # -- red-team reproductions (backward-twice) ----------------------------------------------
    Case(
        "epoch_loss_total_backward_after_loop",
        "red-team reproduction of the forum pattern 'loss_total += loss' in the batch loop (each loss already "
        "backwarded), then loss_total.backward() in a later cell",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\n"
         "model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))\n"
         "opt = torch.optim.SGD(model.parameters(), lr=0.01)\n"
         "data = [(torch.randn(4, 3), torch.randn(4, 1)) for _ in range(3)]",
         "loss_total = 0\nfor xb, yb in data:\n    opt.zero_grad()\n    loss = F.mse_loss(model(xb), yb)\n"
         "    loss.backward()\n    opt.step()\n    loss_total += loss",
         "loss_total.backward()"],
        "backward-twice", "state_carried_across_iterations", "loss_total", "loss_total += loss",
        note="the running total was built in an earlier cell's loop; the fix accumulates loss.item()",
        extra={"fix_contains": "loss_total += loss.item()"},
    ),
    Case(
        "losses_list_stacked_after_loop",
        "red-team reproduction of the forum pattern 'losses.append(loss)' after each loss.backward(), then "
        "torch.stack(losses).sum().backward() (generalisation of epoch_loss_total_backward_after_loop)",
        ["import torch\nw = torch.randn(3, requires_grad=True)",
         "losses = []\nfor i in range(3):\n    loss = (w * i).exp().sum()\n    loss.backward()\n    losses.append(loss)",
         "torch.stack(losses).sum().backward()"],
        "backward-twice", "state_carried_across_iterations", "losses", "losses.append(loss)",
        extra={"fix_contains": "losses.append(loss.item())"},
    ),
    Case(
        "two_head_model_tuple_output_retain_graph_forgotten",
        "red-team reproduction of the forum pattern: model returns (out_a, out_b) from a shared trunk; "
        "loss_a.backward() then loss_b.backward() in separate cells",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)",
         "class TwoHead(nn.Module):\n"
         "    def __init__(self):\n"
         "        super().__init__()\n"
         "        self.trunk = nn.Sequential(nn.Linear(4, 8), nn.ReLU())\n"
         "        self.a = nn.Linear(8, 2)\n"
         "        self.b = nn.Linear(8, 1)\n"
         "    def forward(self, x):\n"
         "        h = self.trunk(x)\n"
         "        return self.a(h), self.b(h)",
         "model = TwoHead()\nx = torch.randn(3, 4)\nout_a, out_b = model(x)\n"
         "loss_a = F.cross_entropy(out_a, torch.tensor([0, 1, 1]))\nloss_b = out_b.pow(2).mean()",
         "loss_a.backward()",
         "loss_b.backward()"],
        "backward-twice", "shared_subgraph", "out_a", "out_a, out_b = model(x)",
        note="the shared trunk has no name at top level: the two names one call bound, and the live graphs' "
             "common nodes, point at the model call; loss_b.backward() never ran before (not second_backward)",
        extra={"fix_contains": "(loss_a + loss_b).backward()"},
    ),
    Case(
        "cached_activation_on_model_second_loss",
        "red-team reproduction of the forum pattern: forward caches self.last; a second loss built from "
        "model.last after the first loss's backward (shared part found from the live graphs only)",
        ["import torch\nimport torch.nn as nn",
         "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n"
         "    def forward(self, x):\n        self.last = torch.tanh(self.fc(x))\n        return self.last.sum()\n"
         "model = Net()",
         "loss_a = model(torch.randn(2, 4))\nloss_a.backward()",
         "loss_b = model.last.pow(2).sum()\nloss_b.backward()"],
        "backward-twice", "shared_subgraph", "loss_a", "loss_a = model(torch.randn(2, 4))",
    ),
    Case(
        "rnn_hidden_carried_through_history_list",
        "red-team reproduction of the forum pattern: hidden states kept in a list and the next step reads "
        "history[-1]",
        ["import torch\nimport torch.nn as nn\ntorch.manual_seed(0)\ncell = nn.RNNCell(2, 3)\n"
         "opt = torch.optim.SGD(cell.parameters(), lr=0.1)\nxs = torch.randn(3, 1, 2)\nh0 = torch.zeros(1, 3)",
         "history = []\nfor t in range(3):\n    h = cell(xs[t], history[-1] if history else h0)\n"
         "    history.append(h)\n    loss = h.pow(2).sum()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()"],
        "backward-twice", "state_carried_across_iterations", "h", "h = cell(xs[t], history[-1] if history else h0)",
        note="the state is carried through a container: read before it is re-bound in the loop body",
        extra={"fix_contains": "history[-1].detach()"},
    ),
    Case(
        "previous_output_carried_into_loss",
        "red-team reproduction of the forum pattern 'prev = out' at the end of the loop, read by the next "
        "step's loss (generalisation of rnn_hidden_carried_through_history_list)",
        ["import torch\nimport torch.nn as nn\nlin = nn.Linear(3, 3)\nprev = None",
         "for i in range(3):\n    out = lin(torch.randn(2, 3)).tanh()\n"
         "    loss = out.sum() + (prev.sum() if prev is not None else 0)\n    loss.backward()\n    prev = out"],
        "backward-twice", "state_carried_across_iterations", "prev",
        "loss = out.sum() + (prev.sum() if prev is not None else 0)",
        extra={"fix_contains": "prev = out.detach()"},
    ),
    Case(
        "input_grad_penalty_without_create_graph",
        "red-team reproduction of the forum pattern: torch.autograd.grad(loss, x) for an input-gradient "
        "penalty without create_graph, then total.backward()",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\n"
         "model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))\n"
         "x = torch.randn(5, 4, requires_grad=True)\ny = torch.tensor([0, 1, 2, 0, 1])",
         "loss = F.cross_entropy(model(x), y)\ngx = torch.autograd.grad(loss, x)[0]\n"
         "total = loss + 0.1 * gx.pow(2).sum()",
         "total.backward()"],
        "backward-twice", "shared_subgraph", "loss", "gx = torch.autograd.grad(loss, x)[0]",
        note="the fix is create_graph=True on the grad call (not loss.detach(), which would raise)",
        extra={"fix_contains": "gx = torch.autograd.grad(loss, x, create_graph=True)[0]"},
    ),
    Case(
        "main_loss_backward_then_total_with_aux",
        "red-team reproduction of the forum pattern: loss_main.backward() then loss = loss_main + 0.1 * aux; "
        "loss.backward()",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\n"
         "net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))\nxb = torch.randn(5, 4)\n"
         "yb = torch.tensor([0, 1, 1, 0, 1])",
         "out = net(xb)\nloss_main = F.cross_entropy(out, yb)\nloss_main.backward()",
         "aux = out.pow(2).mean()\nloss = loss_main + 0.1 * aux\nloss.backward()"],
        "backward-twice", "shared_subgraph", "loss_main", "loss_main.backward()",
        note="the shared variable is the first loss itself: backward once on the total (not loss_main.detach())",
        extra={"fix_contains": "loss.backward()"},
    ),
    Case(
        'd_bt_time_magic_training_cell',
        'the training cell starts with %%time; embeddings computed once in an earlier cell',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nencoder = nn.Sequential(nn.Linear(6, 4), nn.Tanh())\nhead = nn.Linear(4, 2)\nopt = torch.optim.SGD(head.parameters(), lr=0.1)\nxb = torch.randn(5, 6)\nyb = torch.tensor([0, 1, 0, 1, 1])",
         'emb = encoder(xb)',
         '%%time\nfor epoch in range(3):\n    loss = F.cross_entropy(head(emb), yb)\n    opt.zero_grad()\n    loss.backward()\n    opt.step()'],
        'backward-twice', 'shared_subgraph', 'emb', 'emb = encoder(xb)',
    ),
    Case(
        'd_bt_trainer_attribute',
        'a Trainer.step() keeps self.loss and backprops it; a later cell calls trainer.loss.backward() again',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nclass Trainer:\n    def __init__(self, model):\n        self.model = model\n        self.opt = torch.optim.SGD(model.parameters(), lr=0.1)\n    def step(self, xb, yb):\n        self.opt.zero_grad()\n        self.loss = F.mse_loss(torch.tanh(self.model(xb)), yb)\n        self.loss.backward()\n        self.opt.step()\ntrainer = Trainer(nn.Linear(4, 1))\nx = torch.randn(6, 4)\ny = torch.randn(6, 1)",
         'trainer.step(x, y)',
         'trainer.loss.backward()'],
        'backward-twice', 'second_backward', 'trainer.loss', 'self.loss.backward()',
    ),
    Case(
        'd_bt_losses_last_rebackward',
        'epoch loop appends loss tensors; a later cell re-runs losses[-1].backward() to inspect grads',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1))\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\nx = torch.randn(6, 4)\ny = torch.randn(6, 1)",
         'losses = []\nfor epoch in range(2):\n    loss = F.mse_loss(model(x), y)\n    opt.zero_grad()\n    loss.backward()\n    opt.step()\n    losses.append(loss)',
         'losses[-1].backward()'],
        'backward-twice', 'second_backward', 'losses[-1]', 'loss.backward()',
    ),
    Case(
        'd_bt_memory_bank_setitem_epoch_1',
        "MoCo-style memory bank written with memory[:] = z (no detach); epoch 1 backprops into epoch 0's freed graph",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nenc = nn.Linear(4, 8)\nopt = torch.optim.SGD(enc.parameters(), lr=0.1)\nx = torch.randn(4, 4)\nmemory = torch.zeros(4, 8)",
         'for epoch in range(3):\n    z = F.normalize(enc(x), dim=1)\n    loss = -(z * memory).sum()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()\n    memory[:] = z'],
        'backward-twice', 'state_carried_across_iterations', 'memory', 'memory[:] = z',
        note="an in-place write is no binding: it is read as a store into memory, and blamed (the fix goes there)",
        extra={"fix_contains": "memory[:] = z.detach()"},
    ),
    Case(
        'd_bt_initial_loss_kept',
        'loop normalises by the epoch-0 loss: `if epoch == 0: init_loss = loss` (no detach); raises in epoch 1',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1))\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\nx = torch.randn(6, 4)\ny = torch.randn(6, 1)",
         'for epoch in range(3):\n    loss = F.mse_loss(model(x), y)\n    if epoch == 0:\n        init_loss = loss\n    rel = loss / init_loss\n    opt.zero_grad()\n    rel.backward()\n    opt.step()'],
        'backward-twice', 'state_carried_across_iterations', 'init_loss', 'init_loss = loss',
        note="a binding under a condition may not run in a pass: later passes read the kept one",
        extra={"fix_contains": "init_loss = loss.detach()"},
    ),
    Case(
        'd_bt_nested_lbfgs_closure',
        'fit() defined in a cell with an LBFGS closure nested inside; the forward is outside the closure (enclosing scope)',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport math\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))\nx = torch.randn(10, 2)\ny = torch.randn(10, 1)",
         'def fit(model, x, y):\n    opt = torch.optim.LBFGS(model.parameters(), max_iter=4)\n    out = model(x)\n    def closure():\n        opt.zero_grad()\n        loss = F.mse_loss(out, y)\n        loss.backward()\n        return loss\n    opt.step(closure)',
         'fit(model, x, y)'],
        'backward-twice', 'shared_subgraph', 'out', 'out = model(x)',
    ),
    # -- generalisations of the red-team cases above -----------------------------------------
    Case(
        "memory_bank_copy_inplace",
        "generalisation of d_bt_memory_bank_setitem_epoch_1: the buffer is written with memory.copy_(z)",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\nenc = nn.Linear(4, 8)\nopt = torch.optim.SGD(enc.parameters(), lr=0.1)\nx = torch.randn(4, 4)\nmemory = torch.zeros(4, 8)",
         "for epoch in range(3):\n    z = torch.tanh(enc(x))\n    loss = (z * memory).sum()\n    opt.zero_grad()\n    loss.backward()\n    memory.copy_(z)"],
        "backward-twice", "state_carried_across_iterations", "memory", "memory.copy_(z)",
        extra={"fix_contains": "memory.copy_(z.detach())"},
    ),
    Case(
        "global_embeddings_in_step_function",
        "generalisation of d_bt_nested_lbfgs_closure: a step function called in a loop reads a global made once",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\nencoder = nn.Sequential(nn.Linear(6, 4), nn.Tanh())\nhead = nn.Linear(4, 2)\nopt = torch.optim.SGD(head.parameters(), lr=0.1)\nxb = torch.randn(5, 6)\nyb = torch.tensor([0, 1, 0, 1, 1])",
         "emb = encoder(xb)",
         "def train_step():\n    loss = F.cross_entropy(head(emb), yb)\n    opt.zero_grad()\n    loss.backward()\n    opt.step()",
         "for epoch in range(3):\n    train_step()"],
        "backward-twice", "shared_subgraph", "emb", "emb = encoder(xb)",
    ),
    Case(
        "helper_backwarded_the_loss",
        "generalisation of d_bt_trainer_attribute: a helper's parameter, backwarded inside, is the caller's loss",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1))\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\nx = torch.randn(6, 4)\ny = torch.randn(6, 1)",
         "def update(l):\n    opt.zero_grad()\n    l.backward()\n    opt.step()",
         "loss = F.mse_loss(model(x), y)\nupdate(loss)",
         "loss.backward()"],
        "backward-twice", "second_backward", "loss", "l.backward()",
    ),
    Case(
        "helper_local_backward_does_not_hide_earlier_one",
        "guard for d_bt_trainer_attribute: a helper that backwards its own local loss does not hide the "
        "caller's earlier loss.backward()",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1))\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\nx = torch.randn(6, 4)\ny = torch.randn(6, 1)",
         "def saliency(m, inp):\n    inp = inp.clone().requires_grad_()\n    out = m(inp).sum()\n    out.backward()\n    return inp.grad",
         "loss = F.mse_loss(model(x), y)\nloss.backward()",
         "g = saliency(model, x)",
         "loss.backward()"],
        "backward-twice", "second_backward", "loss", "loss.backward()",
    ),
    Case(
        "losses_first_element_rebackward",
        "generalisation of d_bt_losses_last_rebackward: losses[0] (not the live `loss`) is an earlier step's loss",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1))\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\nx = torch.randn(6, 4)\ny = torch.randn(6, 1)",
         "losses = []\nfor epoch in range(2):\n    loss = F.mse_loss(model(x), y)\n    opt.zero_grad()\n    loss.backward()\n    opt.step()\n    losses.append(loss)",
         "losses[0].backward()"],
        "backward-twice", "second_backward", "losses[0]", "loss.backward()",
    ),
    Case(
        'e_lstm_self_hidden_on_module',
        'https://github.com/pytorch/pytorch/issues/2769 (LSTM classifier keeps `self.hidden` across batches: lstm_out, self.hidden = self.lstm(x, self.hidden))',
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)",
         'class LSTM(nn.Module):\n    def __init__(self, input_len=6, hidden_len=8, target_size=3):\n        super(LSTM,self).__init__()\n        self.hidden_len=hidden_len\n        self.lstm=nn.LSTM(input_len,hidden_len,batch_first=True)\n        self.target_size=target_size\n        self.hidden2class=nn.Linear(hidden_len,target_size)\n        self.hidden=self.init_hidden()\n    def init_hidden(self):\n        return (torch.zeros(1, 1, self.hidden_len), torch.zeros(1, 1, self.hidden_len))\n    def forward(self,x):\n        lstm_out,self.hidden=self.lstm(x,self.hidden)\n        cls_scores=self.hidden2class(lstm_out[:,-1,:]).view(-1,self.target_size)\n        return F.log_softmax(cls_scores, dim=1)',
         'model = LSTM()\ncriterion = nn.NLLLoss()\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01)\ntrain_data = [(torch.randn(1, 5, 6), torch.tensor([1])) for _ in range(3)]',
         'def train(train_data, model, criterion, optimizer, epoch):\n    model.train()\n    for i, (input, target) in enumerate(train_data):\n        output = model(input)\n        loss = criterion(output, target)\n        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\ntrain(train_data, model, criterion, optimizer, 0)'],
        'backward-twice', 'state_carried_across_iterations', 'model.hidden', 'lstm_out,self.hidden=self.lstm(x,self.hidden)',
    ),
    Case(
        'e_synthetic_labels_from_requires_grad_weights',
        "https://github.com/zhangyu2234/Deep-learning-by-hand (notebook 'Problems': Y = torch.mm(X, true_W) + true_b with true_W/true_b requiring grad, so every batch of labels shares one graph; second batch's backward fails)",
        ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\ntorch.manual_seed(0)\ntorch.autograd.set_detect_anomaly(False)\nnum_samples = 40\nnum_features = 2\nnum_hiddens = 2",
         'X = torch.randn((num_samples, num_features), dtype=torch.float32)\ntrue_W = torch.randn((num_hiddens, 1), requires_grad=True, dtype=torch.float32)\ntrue_b = torch.randn(1, requires_grad=True, dtype=torch.float32)\nY = torch.mm(X, true_W) + true_b',
         'def relu(x):\n    return torch.max(x, torch.zeros_like(x))\ndef loss(y_hat, y):\n    return ((y_hat - y.reshape(y_hat.shape)) ** 2 / 2).mean()\ndef sgd(params, lr, batch_size):\n    with torch.no_grad():\n        for param in params:\n            param -= lr * param.grad / batch_size\n            param.grad.zero_()\ndef DataLoader(X, Y, batch_size):\n    for i in range(0, len(X), batch_size):\n        yield X[i:i + batch_size], Y[i:i + batch_size]\ndef fc(x, w, b):\n    return relu(torch.mm(x, w) + b)',
         'W = torch.normal(0, 0.01, size=(num_hiddens, 1), requires_grad=True)\nb = torch.zeros(1, requires_grad=True)\nbatch_size = 20\nlr = 0.01\nnum_epochs = 2',
         'for epoch in range(num_epochs):\n    for x, y in DataLoader(X, Y, batch_size):\n        l = loss(fc(x, W, b), y)\n        l.backward()\n        sgd([W, b], lr, batch_size)'],
        'backward-twice', 'shared_subgraph', 'Y', 'Y = torch.mm(X, true_W) + true_b',
    ),
]
