"""The gradgraph model against a bare walk of next_functions, names, problems, renderings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import torch
from torch import nn

from autograd_explain.graph import GradGraph, gradgraph

SNAPSHOTS = Path(__file__).parent / "snapshots" / "graph"
UPDATE = bool(os.environ.get("AE_UPDATE_SNAPSHOTS"))


def bare_walk(t: torch.Tensor) -> tuple[list[str], Counter[tuple[int, int]]]:
    """Breadth-first over next_functions, ids in discovery order (the reference)."""
    root = t.grad_fn
    ids = {root: 0}
    order = [root]
    edges: Counter[tuple[int, int]] = Counter()
    for node in order:
        for fn, _ in node.next_functions:
            if fn is None:
                continue
            if fn not in ids:
                ids[fn] = len(order)
                order.append(fn)
            edges[(ids[fn], ids[node])] += 1
    names = [type(n).name(n).replace("torch::autograd::", "") for n in order]
    return names, edges


def assert_matches_walk(t: torch.Tensor) -> GradGraph:
    graph = gradgraph(t, {}, collapse=False, max_nodes=10**6)
    names, edges = bare_walk(t)
    walked = [n for n in graph.nodes if n.kind != "input"]
    assert [n.op for n in walked] == names
    assert all(n.id == k for k, n in enumerate(walked))
    ours = Counter((e.src, e.dst) for e in graph.edges if graph.nodes[e.src].kind != "input")
    assert ours == edges
    return graph


def mlp_loss() -> tuple[torch.Tensor, dict]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    x = torch.randn(5, 4)
    loss = model(x).pow(2).mean()
    return loss, {"model": model, "x": x, "loss": loss}


def test_mlp_matches_bare_walk() -> None:
    loss, _ = mlp_loss()
    assert_matches_walk(loss)


def test_conv_net_matches_bare_walk() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(4 * 3 * 3, 2))
    out = net(torch.randn(2, 3, 8, 8)).sum()
    assert_matches_walk(out)


def test_transformer_layer_matches_bare_walk() -> None:
    layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)
    out = layer(torch.randn(2, 5, 16)).sum()
    assert_matches_walk(out)


def test_rnn_loop_matches_bare_walk() -> None:
    cell = nn.RNNCell(3, 5)
    h = torch.zeros(2, 5)
    for _ in range(12):
        h = cell(torch.randn(2, 3), h)
    assert_matches_walk(h.sum())


def test_names_come_from_namespace_and_parameters() -> None:
    loss, ns = mlp_loss()
    graph = gradgraph(loss, ns, collapse=False)
    names = {n.name for n in graph.nodes if n.name}
    assert {"model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias", "x", "loss"} <= names
    leaf = next(n for n in graph.nodes if n.name == "model.0.weight")
    assert leaf.kind == "leaf" and leaf.shape == (8, 4) and leaf.module == "model.0"
    collapsed = gradgraph(loss, ns)
    assert [n.module for n in collapsed.nodes if n.label == "linear"] == ["model.2", "model.0"]
    assert graph.nodes[graph.root].name == "loss"


def test_caller_namespace_is_used_by_default() -> None:
    weights = torch.randn(3, requires_grad=True)
    total = (weights * 2).sum()
    graph = gradgraph(total)
    assert {"weights", "total"} <= {n.name for n in graph.nodes}


def test_parameter_names_beat_loop_variables() -> None:
    loss, ns = mlp_loss()
    ns["p"] = ns["model"][2].weight  # what `for p in model.parameters()` leaves behind
    graph = gradgraph(loss, ns, collapse=False)
    assert "p" not in {n.name for n in graph.nodes}


def test_inplace_culprit_is_flagged() -> None:
    x = torch.randn(3, requires_grad=True)
    y = x.exp()
    y += 1
    loss = y.sum()
    graph = gradgraph(loss, {"x": x, "y": y, "loss": loss})
    flagged = [n for n in graph.nodes if "inplace-modified" in n.flags]
    assert [n.op for n in flagged] == ["ExpBackward0"]
    assert "version 1, saved at 0" in flagged[0].notes[0]
    assert "modified in place" in graph.to_text()
    assert 'class="n op problem"' in graph.to_svg()


def test_freed_buffers_are_flagged() -> None:
    x = torch.randn(3, requires_grad=True)
    loss = x.exp().sum()
    loss.backward()
    graph = gradgraph(loss, {})
    assert any("freed" in n.flags for n in graph.nodes)


def test_frozen_parameter_is_flagged() -> None:
    model = nn.Linear(3, 1)
    model.weight.requires_grad_(False)
    out = model(torch.randn(2, 3)).sum()
    graph = gradgraph(out, {"model": model})
    frozen = [n for n in graph.nodes if n.name == "model.weight"]
    assert frozen and frozen[0].kind == "input" and "no-grad" in frozen[0].flags


def test_tensor_without_graph_says_so() -> None:
    x = torch.randn(3)
    graph = gradgraph(x, {"x": x})
    assert graph.nodes[0].flags == ("no-grad-fn",)
    assert "x has no grad_fn and requires_grad=False" in graph.to_text()


def test_highlight_marks_named_nodes() -> None:
    loss, ns = mlp_loss()
    graph = gradgraph(loss, ns, highlight=["x"])
    assert [n.name for n in graph.nodes if "highlight" in n.flags] == ["x"]
    assert "highlight" in graph.to_svg()


def test_svg_is_xml_with_names_and_escaped_labels() -> None:
    loss, ns = mlp_loss()
    svg = gradgraph(loss, ns, name="loss<&>\"'").to_svg()
    root = ET.fromstring(svg)
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "loss<&>\"'" in text and "model.0: bias, weight" in text and "x" in text


def test_json_round_trips_the_model() -> None:
    loss, ns = mlp_loss()
    graph = gradgraph(loss, ns, saved=True)
    again = GradGraph.from_json(graph.to_json())
    assert again.nodes == graph.nodes and again.edges == graph.edges
    assert again.to_dot() == graph.to_dot()
    json.loads(graph.to_json())


def test_unrolled_loop_is_collapsed_and_nothing_is_lost() -> None:
    w = torch.randn(4, requires_grad=True)
    x = torch.zeros(4)
    for _ in range(300):
        x = torch.tanh(x * w + 1.0)
    graph = gradgraph(x.sum(), {"w": w})
    repeats = [b for b in graph.view.nodes if b.kind == "repeat"]
    assert len(repeats) == 1 and repeats[0].members > 800
    assert len(graph.view.nodes) < 25
    assert "nodes hidden" in graph.to_text()
    full = gradgraph(x.sum(), {"w": w}, collapse=False)
    assert len(full.view.nodes) == len(full.nodes)


def test_transformer_default_drawing_is_short() -> None:
    layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)
    encoder = nn.TransformerEncoder(layer, num_layers=6, enable_nested_tensor=False)
    loss = encoder(torch.randn(2, 5, 16)).sum()
    graph = gradgraph(loss, {"encoder": encoder})
    assert graph.height <= 2000
    assert any(b.kind == "repeat" for b in graph.view.nodes)
    assert "encoder.layers" in graph.to_text()
    assert 'data-module="encoder.layers.5"' in graph.to_svg()
    assert "subgraph cluster_0" in graph.to_dot()


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' is not installed")
def test_graphviz_accepts_our_dot() -> None:
    layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)
    encoder = nn.TransformerEncoder(layer, num_layers=3, enable_nested_tensor=False)
    loss = encoder(torch.randn(2, 5, 16)).sum()
    graph = gradgraph(loss, {"encoder": encoder}, name='odd "name" \\ <here>')
    done = subprocess.run(["dot", "-Tsvg"], input=graph.to_dot().encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    ET.fromstring(graph.to_svg(engine="dot"))


def test_max_nodes_and_depth_bound_the_walk() -> None:
    x = torch.randn(2, requires_grad=True)
    for _ in range(2000):
        x = x * 1.5
    graph = gradgraph(x, {}, max_nodes=100)
    assert len(graph.nodes) == 100 and graph.truncated
    shallow = gradgraph(x, {}, depth=3, collapse=False)
    assert len(shallow.nodes) == 4 and "continues" in shallow.to_svg()


def test_deep_chain_needs_no_recursion() -> None:
    x = torch.randn(2, requires_grad=True)
    for _ in range(3000):
        x = x + 1
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        graph = gradgraph(x, {}, collapse=False, max_draw=10**6)
        svg, text = graph.to_svg(), graph.to_text()
    finally:
        sys.setrecursionlimit(limit)
    assert svg.count('class="n ') == 3001 and text.count("\n") > 3000


def test_works_without_dot_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    loss, ns = mlp_loss()
    graph = gradgraph(loss, ns)
    assert graph.to_svg(engine="dot").startswith("<svg")
    graph.save(tmp_path / "g.svg")
    assert (tmp_path / "g.svg").read_text().startswith("<svg")
    with pytest.raises(RuntimeError, match="needs the graphviz 'dot' program"):
        graph.save(tmp_path / "g.png")


@pytest.mark.parametrize("fmt", ["txt", "dot"])
def test_snapshot_small_graph(fmt: str) -> None:
    torch.manual_seed(0)
    a = torch.randn(2, 3, requires_grad=True)
    b = torch.randn(3, 4, requires_grad=True)
    c = torch.randn(2, 4)
    h = (a @ b).relu()
    loss = (h * c).sum()
    graph = gradgraph(loss, {"a": a, "b": b, "c": c, "h": h, "loss": loss}, saved=True)
    text = graph.to_text() if fmt == "txt" else graph.to_dot()
    path = SNAPSHOTS / f"small.{fmt}"
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_saved_tensor_hooks_are_never_run() -> None:
    calls: list[str] = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        return t

    def unpack(t: torch.Tensor) -> torch.Tensor:
        calls.append("unpack")
        return t

    x = torch.randn(3, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        loss = x.exp().sin().sum()
    graph = gradgraph(loss, {"x": x}, saved=True)
    assert calls == []
    assert any("hooked" in n.flags for n in graph.nodes)


def test_custom_function_nodes_are_drawn_and_probed() -> None:
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):  # type: ignore[no-untyped-def]
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, grad):  # type: ignore[no-untyped-def]
            return grad * 2

    x = torch.randn(3, requires_grad=True)
    y = x.exp()
    z = Double.apply(y)
    y.add_(1)
    graph = gradgraph(z.sum(), {"x": x})
    assert_matches_walk(z.sum())
    custom = [n for n in graph.nodes if n.op == "DoubleBackward"]
    assert custom and custom[0].label == "double"
    assert "inplace-modified" in custom[0].flags


def test_tensor_subclass_torch_function_is_not_called() -> None:
    calls: list[str] = []

    class Loud(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            calls.append(getattr(func, "__name__", str(func)))
            return super().__torch_function__(func, types, args, kwargs or {})

    x = torch.randn(3, requires_grad=True)
    loud = (x * 2).as_subclass(Loud)
    calls.clear()
    gradgraph(loud, {"loud": loud, "x": x}).to_svg()
    assert calls == []


def test_non_tensor_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match="needs a tensor, got float"):
        gradgraph(3.5, {})


def test_saved_tensor_lists_are_checked() -> None:
    x = torch.randn(5, 3, requires_grad=True)
    idx = torch.tensor([0, 2])
    z = x.exp()[idx, :].sum()
    idx.add_(1)  # an index tensor saved by IndexBackward0, modified in place
    graph = gradgraph(z, {"idx": idx}, saved=True)
    flagged = [n for n in graph.nodes if "inplace-modified" in n.flags]
    assert [n.op for n in flagged] == ["IndexBackward0"]


def _tanh_loop(steps: int, keep: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``steps`` of ``tanh(h * w)``; returns the loss, ``w`` and the hidden state of step ``keep``."""
    w = torch.randn(4, requires_grad=True)
    h = torch.ones(4)
    kept = h
    for t in range(steps):
        h = torch.tanh(h * w)
        if t == keep:
            kept = h
    return h.sum(), w, kept


def test_inplace_culprit_among_many_nodes_of_its_type_is_flagged_and_drawn() -> None:
    loss, w, kept = _tanh_loop(300, 150)
    with torch.no_grad():
        kept.mul_(1.0)  # saved by step 150's TanhBackward0 (its result) and step 151's MulBackward0
    graph = gradgraph(loss, {"w": w, "loss": loss})
    flagged = sorted(n.op for n in graph.nodes if "inplace-modified" in n.flags)
    assert flagged == ["MulBackward0", "TanhBackward0"]
    drawn = {v.model for v in graph.view.nodes if v.model is not None}
    assert all(n.id in drawn for n in graph.nodes if "inplace-modified" in n.flags)
    assert any(v.kind == "repeat" for v in graph.view.nodes)  # the rest is still folded


def test_one_hooked_slot_among_many_is_never_unpacked() -> None:
    calls: list[str] = []
    loss, w, kept = _tanh_loop(200, 100)
    kept.grad_fn._raw_saved_result.register_hooks(lambda t: t, lambda t: calls.append("unpack") or t)
    graph = gradgraph(loss, {"w": w, "loss": loss})
    assert calls == []
    assert [n.op for n in graph.nodes if "hooked" in n.flags] == ["TanhBackward0"]


def test_partly_freed_graph_flags_only_the_freed_nodes() -> None:
    loss, w, kept = _tanh_loop(40, 20)
    kept.sum().backward()  # frees steps 0..20 only
    graph = gradgraph(loss, {"w": w, "loss": loss}, collapse=False)
    freed = [n for n in graph.nodes if "freed" in n.flags]
    fine = [n for n in graph.nodes if n.kind == "op" and "freed" not in n.flags]
    assert {n.op for n in freed} == {"TanhBackward0", "MulBackward0"} and len(freed) == 42
    assert {n.op for n in fine} >= {"TanhBackward0", "MulBackward0"}


def test_constant_inputs_of_a_loop_are_named_at_every_step() -> None:
    w = torch.randn(3, 3, requires_grad=True)
    xs = torch.randn(50, 3)
    h = torch.zeros(3)
    for t in range(50):
        h = torch.tanh(xs[t] * h + h @ w)
    graph = gradgraph(h.sum(), {"w": w, "xs": xs}, collapse=False)
    # step 0 multiplies two tensors without grad: no node; every later step names xs
    assert sum(1 for n in graph.nodes if n.kind == "input" and n.name == "xs") == 49
