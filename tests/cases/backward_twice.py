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
]
