"""demo.ipynb executed in a real ipykernel (via nbclient), checked cell by cell.

Cells are marked in the notebook's metadata (see docs/make_demo_notebook.py):
``tags: ["raises"]`` with ``autograd_explain: {variable, kind, cause}``, ``graph``
for ``%gradgraph`` cells and ``zh`` for the cell explained in Chinese.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parent.parent / "demo.ipynb"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def executed_notebook():
    """demo.ipynb, executed once per test session (shared with test_browser.py)."""
    pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from _demo_run import executed_demo

    return executed_demo()


def _code_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code"]


def _tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def _panels(cell) -> list[dict]:
    return [o for o in cell.outputs if o.get("output_type") == "display_data"
            and "autograd-explain" in o.get("data", {}).get("text/html", "")]


def _label(cell) -> str:
    return (cell.source.strip().splitlines() or ["<empty>"])[0]


def test_notebook_is_committed_without_outputs():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(DEMO, as_version=4)
    for cell in _code_cells(notebook):
        assert cell.outputs == [] and cell.execution_count is None, _label(cell)


def test_notebook_marks_every_section(executed_notebook):
    raising = [c for c in _code_cells(executed_notebook) if "raises" in _tags(c)]
    kinds = {c.metadata["autograd_explain"]["kind"] for c in raising}
    assert len(raising) >= 8
    assert {"no-grad-fn", "python-number", "inplace-modified", "non-scalar-backward", "backward-twice"} <= kinds
    assert any("graph" in _tags(c) for c in _code_cells(executed_notebook))
    assert any("zh" in _tags(c) for c in raising)


def test_raising_cells_show_traceback_then_explanation(executed_notebook):
    failures = []
    for cell in _code_cells(executed_notebook):
        if "raises" not in _tags(cell):
            continue
        expected = cell.metadata["autograd_explain"]
        label = _label(cell)
        types = [o.get("output_type") for o in cell.outputs if o.get("output_type") != "stream"]
        if types[:2] != ["error", "display_data"]:
            failures.append(f"{label}: outputs are {types}, expected error then display_data")
            continue
        error = next(o for o in cell.outputs if o.output_type == "error")
        if not error.get("traceback"):
            failures.append(f"{label}: the error output has no traceback")
        data = cell.outputs[[o.get("output_type") for o in cell.outputs].index("display_data")].data
        html, plain = data.get("text/html", ""), data.get("text/plain", "")
        if "autograd-explain" not in html or not plain:
            failures.append(f"{label}: the display_data lacks the panel or its text/plain")
            continue
        variable = re.escape(expected["variable"])
        if not re.search(rf"<code[^>]*>{variable}</code>", html):
            failures.append(f"{label}: the HTML panel does not name {expected['variable']!r}")
        if not re.search(rf"(?<![\w.]){variable}(?![\w])", plain):
            failures.append(f"{label}: the text panel does not name {expected['variable']!r}")
        if f'data-kind="{expected["kind"]}"' not in html:
            failures.append(f"{label}: kind is not {expected['kind']!r}")
        if "cause" in expected and f'data-cause="{expected["cause"]}"' not in html:
            found = re.search(r'data-cause="([^"]*)"', html)
            failures.append(f"{label}: cause is {found and found.group(1)!r}, expected {expected['cause']!r}")
    assert not failures, "\n".join(failures)


def test_other_cells_run_without_explanation(executed_notebook):
    failures = []
    for cell in _code_cells(executed_notebook):
        if "raises" in _tags(cell):
            continue
        if any(o.get("output_type") == "error" for o in cell.outputs):
            failures.append(f"{_label(cell)}: raised {[o.ename for o in cell.outputs if o.output_type == 'error']}")
        if _panels(cell):
            failures.append(f"{_label(cell)}: shows an explanation")
        streams = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
        if "UsageError" in streams or "unavailable" in streams:
            failures.append(f"{_label(cell)}: {streams.strip()[:200]}")
    assert not failures, "\n".join(failures)


def test_graph_cells_hold_an_svg(executed_notebook):
    graph_cells = [c for c in _code_cells(executed_notebook) if "graph" in _tags(c)]
    assert graph_cells
    for cell in graph_cells:
        svgs = [o.data["image/svg+xml"] for o in cell.outputs
                if o.get("output_type") in ("display_data", "execute_result") and "image/svg+xml" in o.get("data", {})]
        assert svgs, f"{_label(cell)}: no SVG among {[o.get('output_type') for o in cell.outputs]}"
        assert "<svg" in svgs[0] and "</svg>" in svgs[0]


def test_chinese_cell_is_in_chinese_and_language_is_restored(executed_notebook):
    cells = _code_cells(executed_notebook)
    zh = [c for c in cells if "zh" in _tags(c)]
    for cell in zh:
        panels = _panels(cell)
        assert panels, f"{_label(cell)}: no explanation"
        assert re.search(r"[\u4e00-\u9fff]", panels[0].data["text/plain"]), "no Chinese in the panel"
    after = cells[cells.index(zh[-1]) + 1:]
    assert any('language = "en"' in c.source for c in after)


def test_every_raising_cell_is_followed_by_a_working_fix(executed_notebook):
    cells = executed_notebook.cells
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or "raises" not in _tags(cell) or "zh" in _tags(cell):
            continue
        following = [c for c in cells[index + 1:] if c.cell_type == "code"]
        assert following, f"{_label(cell)}: no fixed cell after it"
        fix = following[0]
        assert "raises" not in _tags(fix)
        assert not any(o.get("output_type") == "error" for o in fix.outputs), f"fix of {_label(cell)} fails"
