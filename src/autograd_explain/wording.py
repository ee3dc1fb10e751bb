"""Finding -> Diagnosis: pick the catalogue entry and fill it in.

Also derives the code snippets the templates show (an out-of-place rewrite of
an in-place line, a line with ``.detach()`` added), which are the same in
every language.
"""

from __future__ import annotations

from typing import Any, Mapping

from . import fixes
from .diagnosis import Diagnosis, Finding, Location
from .messages import catalogue, fill, normalise_language


def build_diagnosis(finding: Finding, language: str | None = None, raised_at: Location | str | None = None,
                    cell: str | None = None) -> Diagnosis:
    language = normalise_language(language)
    texts = catalogue(language)
    common: Mapping[str, str] = texts["_common"]
    entry: Mapping[str, Any] = texts.get(finding.kind, {})
    specific: Mapping[str, str] = entry.get("causes", {}).get(finding.cause, {})
    variant = finding.params.get("variant")
    if variant:
        # A cause can be worded differently for a distinct shape of the same problem.
        specific = {**specific, **entry.get("variants", {}).get(f"{finding.cause}/{variant}", {})}
    params = {key: _worded(value, common) for key, value in finding.params.items()}
    params.update(_snippets(finding, params))
    params.setdefault("fixed", params.get("line") or "")
    if params.get("saved_by"):
        params["saved_clause"] = fill(common["saved_clause"], params)
    else:
        params["saved_clause"] = ""

    def text(field: str) -> str:
        template = specific.get(field) or entry.get(field) or ""
        return fill(template, params)

    warnings = tuple(fill(common[key], params) for key in entry.get("warnings", ()))
    return Diagnosis(
        kind=finding.kind,
        cause=finding.cause,
        variables=finding.variables,
        lineno=finding.lineno,
        filename=finding.filename,
        title=text("title"),
        explanation=text("explanation"),
        fix=text("fix"),
        facts={name: dict(values) for name, values in finding.facts.items()},
        line=finding.line,
        cell=cell,
        raised_at=str(_worded(raised_at, common)) if raised_at is not None else None,
        target=finding.target,
        warnings=warnings,
        evidence=finding.evidence,
        language=language,
    )


def _worded(value: object, common: Mapping[str, str]) -> object:
    if isinstance(value, Location):
        return fill(common["location"], {"cell": value.label, "lineno": value.lineno})
    return value


def _snippets(finding: Finding, params: Mapping[str, object]) -> dict[str, str]:
    line = str(params.get("line") or "")
    variable = finding.variables[0] if finding.variables else ""
    return {
        "outofplace": fixes.out_of_place(line, variable, finding.cause),
        "detached_line": fixes.with_detach(line, variable),
    }
