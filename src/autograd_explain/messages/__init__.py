"""Message catalogues, one module per language (``en``, ``zh``).

Each catalogue maps ``"kind"`` to a dict with ``title``, ``explanation`` and
``fix`` templates and a ``causes`` dict overriding them per cause, plus a
``"_common"`` section (labels, warnings). Templates use ``{name}`` fields from
the Finding's params; unknown fields render as ``?``.
"""

from __future__ import annotations

import importlib
import os
import string
from typing import Any, Mapping

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"


def normalise_language(language: str | None) -> str:
    """``zh-CN``/``zh_CN``/``ZH`` -> ``zh``; anything unknown -> ``en``."""
    if not language:
        language = os.environ.get("AUTOGRAD_EXPLAIN_LANG", "") or DEFAULT_LANGUAGE
    short = language.strip().lower().replace("_", "-").split("-")[0]
    return short if short in LANGUAGES else DEFAULT_LANGUAGE


def catalogue(language: str) -> Mapping[str, Any]:
    module = importlib.import_module(f"{__name__}.{normalise_language(language)}")
    return module.CATALOGUE  # type: ignore[no-any-return]


class _Lenient(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "?"


def fill(template: str, params: Mapping[str, object]) -> str:
    """Format ``template`` with ``params``; a missing field shows as ``?``."""
    try:
        return string.Formatter().vformat(template, (), _Lenient(params))
    except (ValueError, IndexError, KeyError):
        return template
