"""Outside notebooks: ``python -m autograd_explain script.py`` and ``install()``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from autograd_explain import script

ITEM_SCRIPT = """\
import torch

x = torch.ones(3, requires_grad=True)
y = (x * 2).sum()
z = y.item()
z.backward()
"""

INPLACE_IN_MODULE_SCRIPT = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        h = torch.sigmoid(self.fc(x))
        h.mul_(2)
        return h


out = Net()(torch.randn(2, 4)).sum()
out.backward()
"""


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "AUTOGRAD_EXPLAIN_LANG": "en"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240)


def _write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def _module_run_and_plain_run(tmp_path: Path, source: str, *args: str) -> tuple[Any, Any]:
    _write(tmp_path, "job.py", source)
    ours = _run("-m", "autograd_explain", "job.py", *args, cwd=tmp_path)
    plain = _run("job.py", *args, cwd=tmp_path)
    return ours, plain


def test_autograd_error_prints_traceback_then_explanation(tmp_path: Path) -> None:
    ours, plain = _module_run_and_plain_run(tmp_path, ITEM_SCRIPT)
    assert plain.returncode == ours.returncode == 1
    # The normal traceback first, exactly as Python prints it ...
    assert ours.stderr.startswith(plain.stderr), ours.stderr
    assert "AttributeError: 'float' object has no attribute 'backward'" in plain.stderr
    # ... then the explanation, naming the variable and the script line to change.
    explanation = ours.stderr[len(plain.stderr):]
    assert "python-number / item" in explanation
    assert "z = y.item()" in explanation
    assert "job.py, line 5" in explanation
    assert ours.stdout == plain.stdout == ""


@pytest.mark.slow
def test_trace_option_names_the_inplace_line_in_a_module(tmp_path: Path) -> None:
    _write(tmp_path, "job.py", INPLACE_IN_MODULE_SCRIPT)
    ours = _run("-m", "autograd_explain", "--trace", "job.py", cwd=tmp_path)
    assert ours.returncode == 1
    assert "modified by an inplace operation" in ours.stderr
    explanation = ours.stderr.split("instead.", 1)[1]
    assert "inplace-modified" in explanation
    assert "job.py, line 12" in explanation and "h.mul_(2)" in explanation


def test_other_errors_print_only_the_normal_traceback(tmp_path: Path) -> None:
    ours, plain = _module_run_and_plain_run(tmp_path, "import torch\n\nraise ValueError('not autograd')\n")
    assert ours.returncode == plain.returncode == 1
    assert ours.stderr == plain.stderr
    assert "ValueError: not autograd" in ours.stderr


@pytest.mark.parametrize(
    ("source", "status"),
    [
        ("import sys\nsys.exit(3)\n", 3),
        ("import sys\nsys.exit('stopped early')\n", 1),
        ("import sys\nsys.exit()\n", 0),
        ("import sys\nprint(sys.argv[1:], __name__, __file__ == sys.argv[0] or __file__)\n", 0),
    ],
)
def test_exit_status_output_and_argv_match_python(tmp_path: Path, source: str, status: int) -> None:
    ours, plain = _module_run_and_plain_run(tmp_path, source, "--flag", "value")
    assert ours.returncode == plain.returncode == status
    assert (ours.stdout, ours.stderr) == (plain.stdout, plain.stderr)


def test_missing_script(tmp_path: Path) -> None:
    ours = _run("-m", "autograd_explain", "nowhere.py", cwd=tmp_path)
    assert ours.returncode == 2
    assert "can't open file" in ours.stderr


def test_install_in_a_script_explains_after_the_traceback(tmp_path: Path) -> None:
    source = "import autograd_explain\nautograd_explain.install()\n" + ITEM_SCRIPT
    _write(tmp_path, "job.py", source)
    result = _run("job.py", cwd=tmp_path)
    assert result.returncode == 1
    traceback_end = result.stderr.index("AttributeError: 'float' object has no attribute 'backward'")
    assert result.stderr.index("Traceback (most recent call last)") < traceback_end
    assert result.stderr.index("python-number / item") > traceback_end


@pytest.fixture
def clean_hook() -> Any:
    saved = sys.excepthook
    script.uninstall()
    yield
    script.uninstall()
    sys.excepthook = saved


def test_install_uninstall_restore_the_hook_exactly(clean_hook: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(script, "running_shell", lambda: None)

    def previous(*args: Any) -> None:
        pass

    sys.excepthook = previous
    script.install()
    assert sys.excepthook is script.excepthook and script.is_installed()
    script.install()  # idempotent: does not chain to itself
    script.uninstall()
    assert sys.excepthook is previous
    script.uninstall()
    assert sys.excepthook is previous


def test_hook_calls_previous_first_then_explains(clean_hook: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(script, "running_shell", lambda: None)
    order: list[str] = []
    monkeypatch.setattr(sys, "excepthook", lambda *args: order.append("previous"))
    monkeypatch.setattr(script, "report", lambda exc, file=None, language=None: order.append(type(exc).__name__) or True)
    script.install()
    try:
        raise ValueError("boom")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert order == ["previous", "ValueError"]


def test_report_never_raises_and_ignores_other_errors() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert script.report(ValueError("x")) is False
    assert script.report(Unprintable()) is False


def test_install_in_ipython_loads_the_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []

    class Extensions:
        def load_extension(self, name: str) -> None:
            calls.append(("load", name))

        def unload_extension(self, name: str) -> None:
            calls.append(("unload", name))

    class Shell:
        extension_manager = Extensions()

    saved = sys.excepthook
    monkeypatch.setattr(script, "running_shell", lambda: Shell())
    script.install()
    script.uninstall()
    assert calls == [("load", "autograd_explain"), ("unload", "autograd_explain")]
    assert sys.excepthook is saved
