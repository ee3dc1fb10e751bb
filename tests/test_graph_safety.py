"""A 100k-node chain drawn and then deleted must not take the process down."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import gc, torch
    from autograd_explain.graph import gradgraph
    x = torch.randn(2, requires_grad=True)
    for _ in range(100_000):
        x = x + 1
    graph = gradgraph(x, {{}}{options})
    svg = graph.to_svg()
    assert svg.startswith("<svg") and len(svg) < 2 * 2**20, len(svg)
    print(len(graph.nodes), graph.truncated)
    del x, graph, svg
    gc.collect()
    print("freed")
""")


@pytest.mark.slow
@pytest.mark.parametrize("options, walked", [("", "10000 True"), (", max_nodes=200_000", "100001 False")])
def test_long_chain_drawn_then_deleted(options: str, walked: str) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(options=options)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:2] == [walked, "freed"]
