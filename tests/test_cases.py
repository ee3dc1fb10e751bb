"""Real cases (tests/cases/): each runs in a real IPython shell and must get the expected diagnosis."""

from __future__ import annotations

import re

import pytest

from autograd_explain import explain

from cases import Case, all_cases, fresh_shell
from conftest import run_cells

CASES = all_cases()
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def case_ip(loaded):
    fresh_shell(loaded)
    yield loaded


def test_enough_real_cases() -> None:
    kinds = {case.kind for case in CASES if case.kind}
    assert len([c for c in CASES if c.kind]) >= 40
    assert len(kinds) >= 15
    assert any(len(case.cells) >= 3 for case in CASES)
    assert any("def forward" in "".join(case.cells) for case in CASES if case.kind)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_real_case(case_ip, case: Case) -> None:
    # the teardown (anomaly mode or grad mode back on) runs after every check: the
    # second, Chinese analysis must see the state the error happened in
    try:
        _check_case(case_ip, case)
    finally:
        teardown = case.extra.get("teardown")
        if teardown:
            case_ip.run_cell(teardown)


def _check_case(case_ip, case: Case) -> None:
    run = run_cells(case_ip, case.cells)
    assert run.error is not None, f"{case.name}: the last cell did not raise on this torch"
    assert type(run.error).__name__ == case.error, repr(run.error)
    d = run.diagnosis
    if case.kind is None:
        assert d is None, f"{case.name}: unexpected diagnosis {d}"
        return
    assert d is not None, f"{case.name}: no diagnosis for {run.error!r}"
    assert (d.kind, d.cause) == (case.kind, case.cause), (d.kind, d.cause, d.variables, d.line)
    assert d.variables and d.variables[0] == case.variable, (d.variables, d.line)
    assert (d.line or "").strip() == case.line_text, (d.line, d.lineno)
    assert d.title and d.explanation and d.fix
    if case.extra.get("fix_contains"):
        assert case.extra["fix_contains"] in d.fix, d.fix
    assert "?" not in d.title, d.title
    for text in (d.explanation, d.fix):
        assert "`?`" not in text and "(?)" not in text, text
    # the same analysis in Chinese: same verdict, Chinese text
    zh = explain(run.error, case_ip.user_ns, language="zh", shell=case_ip)
    assert zh is not None and (zh.kind, zh.cause, zh.variables, zh.line) == (d.kind, d.cause, d.variables, d.line)
    assert _CJK.search(zh.title) and _CJK.search(zh.explanation), zh.title
