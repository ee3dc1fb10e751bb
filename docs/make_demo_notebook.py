"""Writes demo.ipynb (outputs stripped). Edit the cells here, then run:

    .venv/bin/python docs/make_demo_notebook.py

Cell metadata the tests read (tests/test_notebook.py):
* tag ``raises`` and ``metadata.autograd_explain.variable``: the cell must raise and be
  explained, the panel naming that variable (``kind`` / ``cause`` when given are checked too);
* tag ``graph``: the cell's output must hold an SVG;
* tag ``zh``: the panel must be in Chinese.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = []


def md(text: str) -> None:
    cells.append(new_markdown_cell(text.strip()))


def code(text: str, *, tags: list[str] | None = None, **explain: str) -> None:
    cell = new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = tags
    if explain:
        cell.metadata["autograd_explain"] = explain
    cells.append(cell)


def raises(text: str, variable: str, kind: str, cause: str | None = None, tags: list[str] | None = None) -> None:
    extra = {"variable": variable, "kind": kind}
    if cause:
        extra["cause"] = cause
    code(text, tags=["raises", *(tags or [])], **extra)


md("""
# autograd_explain: a tour

PyTorch's autograd errors say *what* went wrong (`element 0 of tensors does not require
grad`) but not *where* or *why*. `autograd_explain` is an IPython extension: after
IPython's usual traceback it shows a panel that names **your** variable, **your** line
(often in an earlier cell than the one that raised), the live facts that prove it, and
the fix as code.

Read this notebook top to bottom: each section makes one common mistake, shows the
explanation, and then runs the fixed code.
""")
code("""
%load_ext autograd_explain
import torch
from torch import nn

torch.manual_seed(0)
""")

# 1. argmax in a training loop ------------------------------------------------------
md("""
## 1. `argmax` inside the loss: the training loop that cannot learn

A classifier trained on hard predictions. `argmax` returns indices, which have no
gradient, so the graph is cut *before* the loss. The error appears at
`loss.backward()`, but the culprit is the line that built `train_preds_probs`.
""")
code("""
X_train = torch.randn(64, 4)
y_train = torch.randint(0, 3, (64,))
model = nn.Linear(4, 3)
loss_fn = nn.L1Loss()
optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
""")
raises("""
for epoch in range(3):
    model.train()
    train_logits = model(X_train)
    train_preds_probs = torch.softmax(train_logits, dim=1).argmax(dim=1).type(torch.float32)
    loss = loss_fn(train_preds_probs, y_train.float())
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
""", "train_preds_probs", "no-grad-fn", "non_differentiable_op")
md("""
The panel blames `train_preds_probs` and its line, not `loss.backward()`. The fix is to
compute the loss on the logits (a classification loss) and keep `argmax` for accuracy only.
Setting `loss.requires_grad = True` would silence the error and train nothing.
""")
code("""
loss_fn = nn.CrossEntropyLoss()
for epoch in range(3):
    model.train()
    train_logits = model(X_train)
    loss = loss_fn(train_logits, y_train)           # loss on the logits
    train_preds = train_logits.argmax(dim=1)        # argmax only for accuracy
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
print(f"loss {loss.item():.3f}, accuracy {(train_preds == y_train).float().mean():.2f}")
""")

# 2. .item() then backward ---------------------------------------------------------
md("""
## 2. `.item()` turns a tensor into a Python number

`.item()` gives a plain `float`: it has no graph and no `backward()`. The cause is in
this cell; the error comes in the next one.
""")
code("""
x = torch.tensor([1.0], requires_grad=True)
y = torch.sin(x)
z = y.item()
""")
raises("z.backward()", "z", "python-number", "item")
md("Keep the tensor for `backward()` and use `.item()` only for printing or logging:")
code("""
z = y.sum()
z.backward()
print(x.grad, "value for logging:", z.item())
""")

# 3. no_grad ---------------------------------------------------------------------------
md("""
## 3. A loss computed under `torch.no_grad()`

`torch.no_grad()` is for evaluation. A loss computed inside it records no graph, even
though the model's parameters require grad.
""")
code("""
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
inputs, targets = torch.randn(16, 4), torch.randn(16, 1)
with torch.no_grad():
    preds = net(inputs)
    val_loss = nn.functional.mse_loss(preds, targets)
""")
raises("val_loss.backward()", "preds", "no-grad-fn", "no_grad")
md("Compute the loss you train on outside `no_grad()`:")
code("""
preds = net(inputs)
train_loss = nn.functional.mse_loss(preds, targets)
train_loss.backward()
print(net[0].weight.grad.shape)
""")

# 4. inference_mode ------------------------------------------------------------------
md("""
## 4. `torch.inference_mode()` is even stricter

Tensors made under `inference_mode()` are *inference tensors*: they never join a graph.
""")
code("""
with torch.inference_mode():
    scores = net(inputs)
    inf_loss = scores.pow(2).mean()
""")
raises("inf_loss.backward()", "scores", "no-grad-fn", "inference_mode")
md("Run the forward pass you want gradients for in normal mode:")
code("""
scores = net(inputs)
inf_loss = scores.pow(2).mean()
inf_loss.backward()
""")

# 5. in-place on a saved tensor -------------------------------------------------------
md("""
## 5. `y += 1` on a tensor autograd saved

`exp` saves its *result* for the backward pass (the derivative of `exp` is `exp`).
Changing `y` in place afterwards bumps its version counter, and backward refuses to use
the modified value. (`y = x * 2; y += 1` would be fine: multiplying by a number saves
nothing that `y` shares.)
""")
code("""
a = torch.randn(3, requires_grad=True)
b = a.exp()
b += 1
""")
raises("b.sum().backward()", "b", "inplace-modified", "augmented_assignment")
md("Make a new tensor instead of writing into the saved one:")
code("""
a = torch.randn(3, requires_grad=True)
b = a.exp()
b = b + 1
b.sum().backward()
print(a.grad)
""")

# 6. non-scalar backward --------------------------------------------------------------
md("""
## 6. `backward()` on a tensor with more than one element

`backward()` without arguments needs a scalar. Reduce first (`.sum()` or `.mean()`: the
gradients differ by a factor of the number of elements), or pass `gradient=` for a
vector-Jacobian product.
""")
code("""
w = torch.ones(2, requires_grad=True)
out = w + 2
""")
raises("out.backward()", "out", "non-scalar-backward", "unreduced_output")
code("""
out.sum().backward()
print(w.grad)
""")

# 7. RNN hidden state ---------------------------------------------------------------
md("""
## 7. An RNN hidden state carried across iterations

Each step's `h` is built from the previous `h`, so after the first `backward()` the
next loss reaches into a graph that was already freed. Detach the state at each step
(truncated backpropagation through time); `retain_graph=True` would only make the graph
grow forever.
""")
code("""
cell = nn.RNNCell(4, 8)
sequence = torch.randn(5, 1, 4)
h = torch.zeros(1, 8)
""")
raises("""
for t in range(5):
    h = cell(sequence[t], h)
    step_loss = h.pow(2).mean()
    step_loss.backward()
""", "h", "backward-twice", "state_carried_across_iterations")
code("""
h = torch.zeros(1, 8)
for t in range(5):
    h = h.detach()
    h = cell(sequence[t], h)
    step_loss = h.pow(2).mean()
    step_loss.backward()
print("ok")
""")

# 8. GAN -----------------------------------------------------------------------------
md("""
## 8. A GAN whose two losses share `fake`

The discriminator's loss and the generator's loss are both built from `fake`. The
discriminator's `backward()` frees the generator's part of the graph, so the
generator's `backward()` fails.
""")
code("""
G = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=1e-3)
opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)
bce = nn.BCEWithLogitsLoss()
real, noise = torch.randn(8, 2), torch.randn(8, 4 // 2)
ones, zeros = torch.ones(8, 1), torch.zeros(8, 1)
""")
raises("""
fake = G(noise)
d_loss = bce(D(real), ones) + bce(D(fake), zeros)
opt_d.zero_grad()
d_loss.backward()
opt_d.step()

g_loss = bce(D(fake), ones)
opt_g.zero_grad()
g_loss.backward()
opt_g.step()
""", "fake", "backward-twice", "shared_subgraph")
md("The discriminator must not backpropagate into the generator: give it `fake.detach()`.")
code("""
fake = G(noise)
d_loss = bce(D(real), ones) + bce(D(fake.detach()), zeros)
opt_d.zero_grad()
d_loss.backward()
opt_d.step()

g_loss = bce(D(fake), ones)
opt_g.zero_grad()
g_loss.backward()
opt_g.step()
print(f"d_loss {d_loss.item():.3f}  g_loss {g_loss.item():.3f}")
""")

# 9. gradgraph --------------------------------------------------------------------------
md("""
## 9. Seeing the graph: `%gradgraph`

`%gradgraph <expression>` draws the autograd graph behind a tensor (read-only: nothing
is recomputed). First a small model's loss:
""")
code("""
mlp = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
mlp_loss = mlp(torch.randn(5, 3)).pow(2).mean()
""")
code("%gradgraph mlp_loss", tags=["graph"])
md("""
And the in-place culprit of section 5 again: the graph marks the node whose saved tensor
was modified.
""")
code("""
a = torch.randn(3, requires_grad=True)
b = a.exp()
b += 1
culprit = b.sum()
""")
code("%gradgraph culprit", tags=["graph"])

# 10. Chinese ------------------------------------------------------------------------
md("""
## 10. 中文说明 (explanations in Chinese)

`%config AutogradExplain.language = "zh"` switches the panel to Simplified Chinese
(or set `AUTOGRAD_EXPLAIN_LANG=zh` before starting Jupyter).
""")
code('%config AutogradExplain.language = "zh"')
code("""
v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
v2 = v * 2
""")
raises("v2.backward()", "v2", "non-scalar-backward", "unreduced_output", tags=["zh"])
code('%config AutogradExplain.language = "en"')

md("""
## Using it elsewhere

* In IPython in a terminal, `%load_ext autograd_explain` prints the same explanation
  as a text panel.
* From code: `autograd_explain.explain(exc)` returns a `Diagnosis` (kind, cause,
  variables, line, explanation, fix) and `autograd_explain.last()` the last one the
  notebook hook made.
""")

for number, cell in enumerate(cells):
    cell.id = f"cell-{number:02d}"  # stable ids: regenerating gives a small diff
nb = new_notebook(cells=cells, metadata={
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
})
out = Path(__file__).resolve().parent.parent / "demo.ipynb"
nbformat.validate(nb)
nbformat.write(nb, out)
print(f"wrote {out} ({len(cells)} cells)")
