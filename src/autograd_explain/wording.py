"""Finding -> Diagnosis: pick the catalogue entry and fill it in.

Also derives the code snippets the templates show (an out-of-place rewrite of
an in-place line, a line with ``.detach()`` added), which are the same in
every language.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Mapping

from .diagnosis import Diagnosis, Finding, Location
from .messages import catalogue, fill, normalise_language
from .source import dotted_name


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
        "outofplace": out_of_place(line, variable, finding.cause),
        "detached_line": with_detach(line, variable),
    }


def out_of_place(line: str, variable: str, cause: str) -> str:
    """Rewrite an in-place statement as an out-of-place one (best effort)."""
    try:
        node = ast.parse(line.strip()).body[0]
    except (SyntaxError, IndexError):
        return line
    if isinstance(node, ast.AugAssign):
        op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.Pow: "**"}.get(type(node.op))
        target = ast.unparse(node.target)
        if op and isinstance(node.target, (ast.Name, ast.Attribute)):
            return f"{target} = {target} {op} {ast.unparse(node.value)}"
        if op and isinstance(node.target, ast.Subscript):
            base = ast.unparse(node.target.value)
            return f"{base} = {base}.clone()\n{target} {op}= {ast.unparse(node.value)}"
    if cause == "setitem" and variable:
        return f"{variable} = {variable}.clone()  # modify a copy, keep the saved original\n{line.strip()}"
    if cause == "inplace_module":
        return re.sub(r",?\s*inplace\s*=\s*True", "", line.strip())
    if cause == "out_argument":
        match = re.search(r",\s*out\s*=\s*([\w.\[\]]+)", line)
        if match:
            return f"{match.group(1)} = " + (line[: match.start()] + line[match.end():]).strip()
    if cause == "inplace_method":
        return re.sub(r"\b([\w.\[\]]+)\.(\w+)_\(", lambda m: f"{m.group(1)} = {m.group(1)}.{m.group(2)}(", line.strip(), count=1) \
            if isinstance(node, ast.Expr) else re.sub(r"\.(\w+)_\(", r".\1(", line.strip())
    return line.strip()


def with_detach(line: str, variable: str) -> str:
    """``out = D(fake)`` -> ``out = D(fake.detach())`` for the first read of ``variable``."""
    if not variable or not line:
        return line
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return line
    for node in ast.walk(tree):
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(getattr(node, "ctx", None), ast.Load) \
                and dotted_name(node) == variable:
            start = node.col_offset
            end = node.end_col_offset or start
            stripped = line.strip()
            return stripped[:start] + f"{variable}.detach()" + stripped[end:]
    return line.strip()
