"""Shared fixtures: a real IPython shell with the extension loaded, cell runner, snapshots."""

from __future__ import annotations

import contextlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_SNAPSHOTS = bool(os.environ.get("AE_UPDATE_SNAPSHOTS"))


@dataclass
class CellRun:
    """What running a list of cells produced: the last cell's output and diagnosis."""

    stdout: str
    stderr: str
    diagnosis: object
    error: BaseException | None


@pytest.fixture(scope="session")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.colors = "nocolor" if hasattr(shell, "colors") else None
    try:
        shell.run_line_magic("colors", "nocolor")
    except Exception:
        pass
    return shell


@pytest.fixture
def ip(shell) -> Iterator[object]:
    """The shell with the extension loaded and a fresh namespace; unloaded afterwards."""
    import autograd_explain.pipeline as pipeline

    shell.reset(new_session=True)
    shell.config.pop("AutogradExplain", None)  # a language set by an earlier test must not leak
    shell.run_line_magic("load_ext", "autograd_explain")
    pipeline.remember(None)
    yield shell
    shell.run_line_magic("unload_ext", "autograd_explain")
    shell.config.pop("AutogradExplain", None)
    shell.reset(new_session=True)


@pytest.fixture(scope="module")
def loaded(shell):
    """The session shell with the extension loaded once for this module."""
    shell.reset(new_session=False)
    shell.run_line_magic("load_ext", "autograd_explain")
    yield shell
    shell.run_line_magic("unload_ext", "autograd_explain")
    shell.reset(new_session=False)


def run_cells(shell, cells: list[str]) -> CellRun:
    """Run each cell as its own notebook cell (stored in history); capture the last one."""
    import autograd_explain as ae
    import autograd_explain.pipeline as pipeline

    for cell in cells[:-1]:
        result = shell.run_cell(cell, store_history=True)
        assert result.error_in_exec is None, f"setup cell failed: {cell!r}: {result.error_in_exec!r}"
    pipeline.remember(None)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        result = shell.run_cell(cells[-1], store_history=True)
    return CellRun(out.getvalue(), err.getvalue(), ae.last(), result.error_in_exec)


def scrub(text: str) -> str:
    """Remove what changes between runs (addresses, cell hashes, temp paths)."""
    text = re.sub(r"0x[0-9a-fA-F]+", "0xADDR", text)
    text = re.sub(r"<ipython-input-(\d+)-[0-9a-f]+>", r"<ipython-input-\1>", text)
    return text


def check_snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/<name>; AE_UPDATE_SNAPSHOTS=1 rewrites it."""
    path = SNAPSHOTS / name
    if UPDATE_SNAPSHOTS or not path.exists():
        if not UPDATE_SNAPSHOTS and os.environ.get("CI"):
            pytest.fail(f"snapshot {name} is missing (run with AE_UPDATE_SNAPSHOTS=1)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert text == path.read_text(encoding="utf-8"), f"snapshot {name} differs (AE_UPDATE_SNAPSHOTS=1 to update)"
