"""%gradgraph in a real IPython InteractiveShell: options, files and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from autograd_explain.graph.magic import GradGraphMagics

SETUP = """
import torch
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
x = torch.randn(5, 4)
out = model(x)
loss = out.pow(2).mean()
plain = x * 2
number = 3.5
"""


@pytest.fixture(scope="module")
def ip() -> InteractiveShell:
    shell = InteractiveShell.instance()
    shell.register_magics(GradGraphMagics)
    shell.run_cell(SETUP)
    return shell


def test_draws_text_tree_in_terminal(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_line_magic("gradgraph", "loss")
    out = capsys.readouterr().out
    assert "loss" in out and "model.0: bias, weight" in out and "x" in out


@pytest.mark.parametrize("fmt, marker", [("dot", "digraph"), ("svg", "<svg"), ("json", '"nodes"'),
                                         ("text", "└─")])
def test_formats(ip: InteractiveShell, capsys: pytest.CaptureFixture[str], fmt: str, marker: str) -> None:
    ip.run_line_magic("gradgraph", f"loss --format {fmt}")
    assert marker in capsys.readouterr().out


def test_expressions_are_resolved_without_eval(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_line_magic("gradgraph", "out[0] -f text")
    assert "select" in capsys.readouterr().out
    ip.run_line_magic("gradgraph", "model[0].weight -f text")
    assert "model[0].weight  [8, 4]" in capsys.readouterr().out


def test_options(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_line_magic("gradgraph", "loss -f text --depth 1 --no-collapse --saved")
    out = capsys.readouterr().out
    assert "saved self" in out and "depth=1" in out
    ip.run_line_magic("gradgraph", "loss -f text --max-nodes 3 --no-collapse")
    assert "max_nodes=3" in capsys.readouterr().out


def test_output_files(ip: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for ext in ("svg", "dot", "json", "txt"):
        ip.run_line_magic("gradgraph", f"loss -o {tmp_path / ('g.' + ext)}")
    assert (tmp_path / "g.svg").read_text().startswith("<svg")
    assert json.loads((tmp_path / "g.json").read_text())["nodes"]
    assert "wrote" in capsys.readouterr().out


def test_png_without_dot_is_one_clear_line(ip: InteractiveShell, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="needs the graphviz 'dot' program"):
        ip.run_line_magic("gradgraph", f"loss -o {tmp_path / 'g.png'}")


@pytest.mark.parametrize("line, message", [
    ("missing", "name 'missing' is not defined"),
    ("number", "is a float, not a tensor"),
    ("model", "is a Sequential, not a tensor"),
    ("plain", "has no grad_fn and requires_grad=False"),
    ("loss + 1", "nothing is evaluated"),
    ("loss.__class__", "no plain attribute"),
    ("out[x]", "constant"),
    ("model[7]", "out of range"),
])
def test_errors_are_one_line(ip: InteractiveShell, line: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        ip.run_line_magic("gradgraph", line)
    assert "\n" not in str(info.value)


def test_no_expr_uses_last_diagnosis(ip: InteractiveShell, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import autograd_explain

    fake = SimpleNamespace(target="loss", variables=("x",), kind="inplace-modified")
    monkeypatch.setattr(autograd_explain, "last", lambda: fake)
    ip.run_line_magic("gradgraph", "-f dot")
    out = capsys.readouterr().out
    assert 'label="x' in out and 'penwidth=3' in out


def test_no_expr_without_diagnosis(ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> None:
    import autograd_explain

    monkeypatch.setattr(autograd_explain, "last", lambda: None)
    with pytest.raises(UsageError, match="give a tensor"):
        ip.run_line_magic("gradgraph", "")


def test_help_lists_options(ip: InteractiveShell) -> None:
    doc = GradGraphMagics.gradgraph.__doc__ or ""
    for option in ("--format", "-o FILE", "--depth", "--max-nodes", "--saved", "--no-collapse"):
        assert option in doc


def test_notebook_gets_inline_svg(ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown: list[object] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    ZMQInteractiveShell = type("ZMQInteractiveShell", (), {})  # what ipykernel's shell is called
    magics = GradGraphMagics(shell=ip)
    monkeypatch.setattr(magics, "shell", ZMQInteractiveShell())
    magics.shell.user_ns = ip.user_ns  # type: ignore[attr-defined]
    magics.gradgraph("loss")
    assert len(shown) == 1 and shown[0].data.startswith("<svg")  # type: ignore[attr-defined]
