"""The hook's promises: unchanged traceback, nothing for ordinary errors, one line when analysis fails."""

from __future__ import annotations

import contextlib
import io

import pytest

from conftest import check_snapshot, run_cells, scrub

ORDINARY_ERRORS = {
    "shape_mismatch": ["import torch\na = torch.randn(2, 3)\nb = torch.randn(4, 5)", "a @ b"],
    "name_error": ["undefined_name + 1"],
    "attribute_error": ["import torch\nt = torch.randn(2)", "t.no_such_method()"],
    "runtime_error_plain": ["raise RuntimeError('something else went wrong')"],
    "float_other_attribute": ["x = 1.5", "x.shape"],
    "zero_division": ["1 / 0"],
    "none_has_no_backward": ["def train_step():\n    pass", "loss = train_step()\nloss.backward()"],
    "index_error": ["import torch\nt = torch.randn(3)", "t[5]"],
}


def _run_plain(shell, cells: list[str]) -> str:
    for cell in cells[:-1]:
        shell.run_cell(cell, store_history=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        shell.run_cell(cells[-1], store_history=True)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(ORDINARY_ERRORS))
def test_ordinary_errors_get_nothing_and_unchanged_output(shell, name: str) -> None:
    import autograd_explain.pipeline as pipeline

    cells = ORDINARY_ERRORS[name]
    shell.reset(new_session=True)
    without = _run_plain(shell, cells)
    shell.reset(new_session=True)
    shell.run_line_magic("load_ext", "autograd_explain")
    try:
        pipeline.remember(None)
        run = run_cells(shell, cells)
    finally:
        shell.run_line_magic("unload_ext", "autograd_explain")
    assert run.diagnosis is None
    assert "autograd_explain" not in run.stdout + run.stderr
    assert scrub(run.stdout) == scrub(without)


def test_traceback_is_byte_for_byte_what_ipython_prints(shell) -> None:
    cells = ["import torch\nx = torch.tensor([1.0], requires_grad=True)\ny = torch.sin(x)\nz = y.item()", "z.backward()"]
    shell.reset(new_session=True)
    without = _run_plain(shell, cells)
    shell.reset(new_session=True)
    shell.run_line_magic("load_ext", "autograd_explain")
    try:
        run = run_cells(shell, cells)
    finally:
        shell.run_line_magic("unload_ext", "autograd_explain")
    assert run.diagnosis is not None
    assert scrub(run.stdout).startswith(scrub(without).rstrip("\n"))


def test_failing_analysis_prints_one_line_and_keeps_the_hook(ip, monkeypatch) -> None:
    import autograd_explain.rules as rules

    def broken(analysis):
        raise ValueError("boom")

    monkeypatch.setitem(rules.RULES, "no-grad-fn", broken)
    cells = ["import torch\nx = torch.ones(2)", "x.sum().backward()"]
    run = run_cells(ip, cells)
    assert "RuntimeError" in run.stdout  # the traceback
    assert run.stderr.strip().count("\n") == 0
    assert "explanation is unavailable" in run.stderr
    assert run.diagnosis is None
    monkeypatch.undo()
    again = run_cells(ip, ["z = torch.tensor(2.0, requires_grad=True).item()", "z.backward()"])
    assert again.diagnosis is not None and again.diagnosis.kind == "python-number"


def test_keyboard_interrupt_during_analysis_is_contained(ip, monkeypatch) -> None:
    import autograd_explain.rules as rules

    def interrupted(analysis):
        raise KeyboardInterrupt

    monkeypatch.setitem(rules.RULES, "no-grad-fn", interrupted)
    run = run_cells(ip, ["import torch\nx = torch.ones(2)", "x.sum().backward()"])
    assert "RuntimeError" in run.stdout
    assert "unavailable" in run.stderr


def test_chains_to_a_previous_custom_handler(shell) -> None:
    calls = []

    def other_extension(self, etype, value, tb, tb_offset=None):
        calls.append(etype)
        print("OTHER HANDLER")

    shell.reset(new_session=True)
    shell.set_custom_exc((BaseException,), other_extension)
    before = (shell.custom_exceptions, shell.CustomTB)
    shell.run_line_magic("load_ext", "autograd_explain")
    try:
        run = run_cells(shell, ["import torch\nx = torch.tensor([1.0], requires_grad=True)\nz = x.sin().item()",
                                "z.backward()"])
        plain = run_cells(shell, ["1 / 0"])
    finally:
        shell.run_line_magic("unload_ext", "autograd_explain")
    assert calls == [AttributeError, ZeroDivisionError]
    assert "OTHER HANDLER" in run.stdout and run.diagnosis is not None and "z" in run.stdout
    assert "OTHER HANDLER" in plain.stdout
    assert (shell.custom_exceptions, shell.CustomTB) == before
    shell.set_custom_exc((), None)
    shell.custom_exceptions = ()


def test_load_twice_then_unload_restores(shell) -> None:
    shell.reset(new_session=True)
    before = (shell.custom_exceptions, shell.CustomTB, dict(shell.magics_manager.magics["line"]),
              list(shell.configurables))
    shell.run_line_magic("load_ext", "autograd_explain")
    shell.run_line_magic("reload_ext", "autograd_explain")
    shell.extension_manager.load_extension("autograd_explain")
    shell.run_line_magic("unload_ext", "autograd_explain")
    after = (shell.custom_exceptions, shell.CustomTB, dict(shell.magics_manager.magics["line"]),
             list(shell.configurables))
    assert after == before


def test_error_inside_function_uses_frame_locals(ip) -> None:
    run = run_cells(ip, ["import torch",
                         "def step(w):\n    frozen = w.detach()\n    loss = (frozen * 2).sum()\n    loss.backward()",
                         "step(torch.randn(3, requires_grad=True))"])
    d = run.diagnosis
    assert d is not None and (d.kind, d.cause, d.variables[0]) == ("no-grad-fn", "detach", "frozen")
    assert d.line == "frozen = w.detach()"
    assert d.facts["frozen"]["requires_grad"] is False


SNAPSHOT_CASES = {
    "item_then_backward": ["import torch\nx = torch.tensor([1.0], requires_grad=True)\ny = torch.sin(x)",
                           "z = y.item()", "z.backward()"],
    "exp_then_augassign": ["import torch\nx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x.exp()",
                           "y += 1", "y.sum().backward()"],
    "vector_backward": ["import torch\nx = torch.ones(2, requires_grad=True)\nz = x + 2", "z.backward()"],
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CASES))
def test_rendered_snapshots(ip, name: str) -> None:
    from autograd_explain.render.html import render_html
    from autograd_explain.render.plain import render_plain
    from autograd_explain.render.terminal import render_terminal

    run = run_cells(ip, SNAPSHOT_CASES[name])
    d = run.diagnosis
    assert d is not None
    check_snapshot(f"render/{name}.txt", scrub(render_plain(d)))
    check_snapshot(f"render/{name}.terminal.txt", scrub(render_terminal(d, width=100)))
    check_snapshot(f"render/{name}.html", scrub(render_html(d)))


def test_html_panel_is_self_contained(ip) -> None:
    from autograd_explain.render.html import render_html

    run = run_cells(ip, SNAPSHOT_CASES["item_then_backward"])
    html = render_html(run.diagnosis)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "var(--jp-" in html and "class=\"autograd-explain\"" in html


def test_no_color_terminal_output(ip, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    run = run_cells(ip, SNAPSHOT_CASES["item_then_backward"])
    panel = run.stdout.split("AttributeError")[-1]
    assert "\x1b[" not in panel and "z = y.item()" in panel


def test_run_magic_errors_are_explained_once(ip, tmp_path):
    """``%run`` prints the script's traceback itself (the custom hook never sees it): the panel
    still follows, once, and names the script's variable and line."""
    script = tmp_path / "train_script.py"
    script.write_text("import torch\nw = torch.randn(3, requires_grad=True)\nh = torch.sigmoid(w)\n"
                      "h *= 2\nh.sum().backward()\n")
    run = run_cells(ip, [f"%run {script}"])
    assert run.error is None  # %run handled it
    assert "inplace operation" in run.stdout + run.stderr
    d = run.diagnosis
    assert d is not None and (d.kind, d.cause, d.variables[0], d.line) == \
        ("inplace-modified", "augmented_assignment", "h", "h *= 2"), d
    assert d.filename == str(script)
    assert (run.stdout + run.stderr).count(d.title) == 1, run.stdout
    # a later cell without an error shows no panel again
    later = run_cells(ip, ["x = 1"])
    assert later.diagnosis is None and d.title not in later.stdout + later.stderr
