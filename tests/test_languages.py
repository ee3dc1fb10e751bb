"""English and Simplified Chinese: complete, parallel catalogues, and the three ways to choose one."""

from __future__ import annotations

import os
import re
import string

import pytest

from autograd_explain.diagnosis import KINDS
from autograd_explain.messages import catalogue, normalise_language
from cases import fresh_shell
from conftest import run_cells

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CORE_KINDS = ("no-grad-fn", "python-number", "inplace-modified", "non-scalar-backward", "backward-twice")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _flatten(section: object, path: str = "") -> dict[str, object]:
    """Every leaf of a catalogue as path -> value (templates, warning lists)."""
    out: dict[str, object] = {}
    if isinstance(section, dict):
        for key, value in section.items():
            out.update(_flatten(value, f"{path}/{key}"))
    else:
        out[path] = section
    return out


def test_same_keys_causes_and_templates_in_both_languages() -> None:
    en, zh = _flatten(catalogue("en")), _flatten(catalogue("zh"))
    only_en = sorted(set(en) - set(zh))
    only_zh = sorted(set(zh) - set(en))
    assert not only_en, f"missing in zh.py: {only_en}"
    assert not only_zh, f"missing in en.py: {only_zh}"


def test_same_placeholders_and_warnings() -> None:
    en, zh = _flatten(catalogue("en")), _flatten(catalogue("zh"))
    for path, template in en.items():
        other = zh[path]
        if isinstance(template, str):
            assert _fields(template) == _fields(other), f"{path}: {_fields(template)} != {_fields(other)}"
        else:
            assert template == other, f"{path}: {template} != {other}"


def test_every_contract_kind_and_cause_has_messages() -> None:
    for language in ("en", "zh"):
        texts = catalogue(language)
        for kind, causes in KINDS.items():
            assert kind in texts, (language, kind)
            entry = texts[kind]
            for field in ("title", "explanation", "fix"):
                assert entry.get(field), (language, kind, field)
            if kind in _CORE_KINDS:
                continue  # core kinds word some causes at kind level (the render test covers them)
            for cause in causes:
                assert cause in entry.get("causes", {}), (language, kind, cause)
            for key in entry.get("warnings", ()):
                assert key in texts["_common"], (language, kind, key)


def test_chinese_text_is_chinese_and_keeps_identifiers() -> None:
    zh = _flatten(catalogue("zh"))
    for path, template in zh.items():
        if isinstance(template, str) and path.endswith(("title", "explanation")) and "_common" not in path:
            assert _CJK.search(template), f"{path} is not translated: {template!r}"
    assert "requires_grad" in catalogue("zh")["no-grad-input"]["explanation"]


@pytest.mark.parametrize("spelled, expected", [("zh", "zh"), ("zh-CN", "zh"), ("zh_CN", "zh"), ("ZH", "zh"),
                                               ("en", "en"), ("fr", "en"), ("", "en")])
def test_language_names(spelled: str, expected: str, monkeypatch) -> None:
    monkeypatch.delenv("AUTOGRAD_EXPLAIN_LANG", raising=False)
    assert normalise_language(spelled) == expected


def _raise_leaf_update():
    import torch

    w = torch.randn(3, requires_grad=True)
    try:
        w -= 0.1
    except RuntimeError as error:
        return error
    raise AssertionError("no error")


def test_explain_language_argument() -> None:
    import autograd_explain as ae

    exc = _raise_leaf_update()
    zh = ae.explain(exc, language="zh")
    en = ae.explain(exc, language="en")
    assert zh is not None and en is not None
    assert zh.language == "zh" and _CJK.search(zh.title) and _CJK.search(zh.explanation)
    assert (zh.kind, zh.cause, zh.variables) == (en.kind, en.cause, en.variables) == ("leaf-inplace", "leaf_write", ("w",))
    assert not _CJK.search(en.explanation)
    assert "torch.no_grad()" in zh.fix


def test_environment_variable(monkeypatch) -> None:
    import autograd_explain as ae

    exc = _raise_leaf_update()
    monkeypatch.setenv("AUTOGRAD_EXPLAIN_LANG", "zh_CN")
    d = ae.explain(exc)
    assert d is not None and d.language == "zh" and _CJK.search(d.title)
    monkeypatch.setenv("AUTOGRAD_EXPLAIN_LANG", "en")
    d = ae.explain(exc)
    assert d is not None and d.language == "en"


@pytest.fixture
def zh_shell(shell):
    shell.reset(new_session=False)
    # Register %config for real before the extension records the magics it restores on
    # unload: restoring IPython's lazy %config entry after %config was loaded leaves
    # %config broken for the rest of the session (see the report on _ipython.unload).
    from IPython.core.magics import ConfigMagics

    shell.register_magics(ConfigMagics)
    shell.run_line_magic("load_ext", "autograd_explain")
    fresh_shell(shell)
    yield shell
    for configurable in shell.configurables:
        if type(configurable).__name__ == "AutogradExplain":
            configurable.language = ""
    # %config also writes shell.config, which a later %load_ext would read back
    section = shell.config.get("AutogradExplain")
    if section is not None and "language" in section:
        del section["language"]
    shell.run_line_magic("unload_ext", "autograd_explain")
    shell.reset(new_session=False)


def test_config_option_in_shell(zh_shell, monkeypatch) -> None:
    monkeypatch.delenv("AUTOGRAD_EXPLAIN_LANG", raising=False)
    zh_shell.run_line_magic("config", 'AutogradExplain.language = "zh"')
    run = run_cells(zh_shell, ["import torch\nlabels = torch.tensor([0, 2, 1])", "labels.requires_grad = True"])
    d = run.diagnosis
    assert d is not None and d.language == "zh"
    assert (d.kind, d.cause, d.variables[0]) == ("dtype-no-grad", "integer_tensor", "labels")
    assert _CJK.search(d.title) and "labels" in d.title
    assert "问题变量" in run.stdout  # the panel's labels are Chinese too
    assert "requires_grad" in run.stdout


def test_environment_variable_in_shell(zh_shell, monkeypatch) -> None:
    monkeypatch.setenv("AUTOGRAD_EXPLAIN_LANG", "zh")
    run = run_cells(zh_shell, ["import torch\nx = torch.randn(3, requires_grad=True)", "arr = x.numpy()"])
    d = run.diagnosis
    assert d is not None and d.language == "zh" and d.kind == "numpy-requires-grad"
    assert "x.detach().cpu().numpy()" in d.fix


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_kind_and_cause_renders_in_both_languages(language) -> None:
    """A bare Finding of every kind and cause (no params at all) still renders a title, explanation and fix."""
    from autograd_explain.diagnosis import Finding
    from autograd_explain.wording import build_diagnosis

    for kind, causes in KINDS.items():
        for cause in causes:
            d = build_diagnosis(Finding(kind, cause, ("v",)), language)
            assert d.title and d.explanation and d.fix, (kind, cause)
            assert d.language == language
