"""Benchmark ``ae.gradgraph(...).to_svg()`` against a bare walk and torchviz + dot.

Run: ``.venv/bin/python bench/graph.py`` (add ``--quick`` to skip the 100k loop).
Prints one table; every ratio is measured in this run, on this machine.
torchviz/graphviz are used only when installed (``dot`` capped at 120 s).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import deque
from typing import Any, Callable

import torch
from torch import nn

# Freeing a visited 100k-node chain recurses in C++: give the bare walk the same
# head-room gradgraph gives itself when asked for more than its default.
_soft, _hard = resource.getrlimit(resource.RLIMIT_STACK)
if _soft != resource.RLIM_INFINITY and _soft < 512 * 2**20:
    resource.setrlimit(resource.RLIMIT_STACK, (512 * 2**20 if _hard == resource.RLIM_INFINITY
                                               else min(512 * 2**20, _hard), _hard))

from autograd_explain.graph import gradgraph  # noqa: E402

DOT_TIMEOUT = 120.0
SCREEN_PX = 1000.0


def mlp() -> tuple[torch.Tensor, dict[str, Any]]:
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    x = torch.randn(32, 64)
    loss = nn.functional.cross_entropy(model(x), torch.randint(0, 10, (32,)))
    return loss, {"model": model, "x": x, "loss": loss}


class Block(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))


def resnet() -> tuple[torch.Tensor, dict[str, Any]]:
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          *[Block(16) for _ in range(8)], nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
    x = torch.randn(2, 3, 16, 16)
    loss = model(x).sum()
    return loss, {"model": model, "x": x, "loss": loss}


def transformer() -> tuple[torch.Tensor, dict[str, Any]]:
    layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=True)
    encoder = nn.TransformerEncoder(layer, num_layers=6, enable_nested_tensor=False)
    src = torch.randn(2, 10, 64)
    loss = encoder(src).pow(2).mean()
    return loss, {"encoder": encoder, "src": src, "loss": loss}


def lstm_loop(steps: int = 200) -> tuple[torch.Tensor, dict[str, Any]]:
    cell = nn.LSTMCell(16, 32)
    xs = torch.randn(steps, 4, 16)
    h = torch.zeros(4, 32)
    c = torch.zeros(4, 32)
    for t in range(steps):
        h, c = cell(xs[t], (h, c))
    loss = h.sum()
    return loss, {"cell": cell, "xs": xs, "loss": loss}


def unrolled(nodes: int) -> Callable[[], tuple[torch.Tensor, dict[str, Any]]]:
    def build() -> tuple[torch.Tensor, dict[str, Any]]:
        w = torch.randn(8, requires_grad=True)
        x = torch.zeros(8)
        for _ in range(nodes // 3):
            x = torch.tanh(x * w + 1.0)
        loss = x.sum()
        return loss, {"w": w, "loss": loss}
    return build


def bare_walk(t: torch.Tensor) -> int:
    root = t.grad_fn
    seen = {root}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        for fn, _ in node.next_functions:
            if fn is not None and fn not in seen:
                seen.add(fn)
                queue.append(fn)
    return len(seen)


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def torchviz_time(loss: torch.Tensor, params: dict[str, Any]) -> tuple[float | str, str]:
    """Seconds for torchviz ``make_dot`` + ``dot -Tsvg`` (or why there is no number), and
    the height of dot's drawing in screens."""
    if importlib.util.find_spec("torchviz") is None or shutil.which("dot") is None:
        return "n/a", "-"
    from torchviz import make_dot

    # torchviz recurses once per node; give it room on graphs Python can recurse
    # through (the LSTM), so that the number measured is dot's, not a RecursionError.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    start = time.perf_counter()
    try:
        graph = make_dot(loss, params=params)
        done = subprocess.run(["dot", "-Tsvg"], input=graph.source.encode(), capture_output=True,
                              timeout=DOT_TIMEOUT, check=True)
    except subprocess.TimeoutExpired:
        return f">{DOT_TIMEOUT:.0f} s", "-"
    except (RecursionError, subprocess.CalledProcessError) as exc:
        return type(exc).__name__, "-"
    finally:
        sys.setrecursionlimit(limit)
    seconds = time.perf_counter() - start
    match = re.search(rb'<svg width="[\d.]+pt" height="([\d.]+)pt"', done.stdout)
    screens = f"{float(match.group(1)) * 4 / 3 / SCREEN_PX:.1f}" if match else "?"  # pt -> px
    return seconds, screens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the ~100k-node loop")
    args = parser.parse_args()
    workloads: list[tuple[str, Callable[[], tuple[torch.Tensor, dict[str, Any]]]]] = [
        ("MLP", mlp), ("ResNet-like", resnet), ("Transformer 6x64", transformer),
        ("LSTM loop 200", lstm_loop), ("loop ~20k", unrolled(20_000)),
    ]
    if not args.quick:
        workloads.append(("loop ~100k", unrolled(100_000)))
    header = ("workload", "nodes", "bare walk", "gradgraph svg", "ratio", "walked", "boxes",
              "height px", "screens", "SVG KiB", "torchviz+dot", "vs torchviz", "torchviz screens")
    rows = [header]
    for name, make in workloads:
        loss, namespace = make()
        repeats = 3 if name.startswith("loop") else 15
        t_bare, count = best_of(lambda: bare_walk(loss), repeats)
        t_ours, svg = best_of(lambda: gradgraph(loss, namespace).to_svg(), repeats)
        graph = gradgraph(loss, namespace)
        params = {k: v for k, v in namespace.items() if isinstance(v, nn.Module)}
        named = {f"{m}.{n}": p for m, mod in params.items() for n, p in mod.named_parameters()}
        viz, viz_screens = torchviz_time(loss, named) if count < 50_000 else ("skipped", "-")
        if isinstance(viz, float):
            faster = f"{viz / t_ours:.1f}x faster"
        elif viz.startswith(">"):
            faster = f">{DOT_TIMEOUT / t_ours:,.0f}x faster"
        else:
            faster = "-"
        viz_text = f"{viz * 1000:.0f} ms" if isinstance(viz, float) else viz
        rows.append((name, f"{count:,}", f"{t_bare * 1000:.1f} ms", f"{t_ours * 1000:.1f} ms",
                     f"{t_ours / t_bare:.1f}x", f"{len(graph.nodes):,}", str(len(graph.view.nodes)),
                     f"{graph.height:.0f}", f"{graph.height / SCREEN_PX:.1f}", f"{len(svg) / 1024:.0f}", viz_text,
                     faster, viz_screens))
        del loss, namespace, graph, svg
        gc.collect()
    widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
    for k, row in enumerate(rows):
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)))
        if k == 0:
            print("-+-".join("-" * w for w in widths))
    print(f"\ntorch {torch.__version__}, python {sys.version.split()[0]}; 'screens' = height / {SCREEN_PX:.0f}px; "
          "'walked' = nodes gradgraph visited (default max_nodes=10,000).")


if __name__ == "__main__":
    main()
