"""Diagnosis -> plain text (logs, ``text/plain``, NO_COLOR terminals)."""

from __future__ import annotations

from ..diagnosis import Diagnosis
from . import blamed_location, fact_items, labels


def render_plain(diagnosis: Diagnosis) -> str:
    text = labels(diagnosis)
    out = [f"{text['heading']}: {diagnosis.kind} / {diagnosis.cause}", diagnosis.title, ""]
    if diagnosis.variables:
        out.append(f"{text['culprit']}: {', '.join(diagnosis.variables)}")
    if diagnosis.lineno is not None:
        out.append(f"{text['blamed_line']}: {blamed_location(diagnosis)}: {diagnosis.line or ''}".rstrip())
    if diagnosis.raised_at:
        out.append(f"{text['raised_at']}: {diagnosis.raised_at}")
    out += ["", f"{text['why']}:", "  " + diagnosis.explanation]
    if diagnosis.facts:
        out += ["", f"{text['facts']}:"]
        for name, facts in diagnosis.facts.items():
            out.append(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in fact_items(facts)))
    out += ["", f"{text['fix']}:"] + ["    " + line for line in diagnosis.fix.splitlines()]
    if diagnosis.warnings:
        out += ["", f"{text['avoid']}:"] + [f"  - {w}" for w in diagnosis.warnings]
    return "\n".join(out) + "\n"
