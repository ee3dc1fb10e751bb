"""Diagnosis -> a self-contained HTML panel for Jupyter.

Inline CSS only, no JavaScript. Colours use JupyterLab's ``--jp-*`` variables
with fallbacks, so the panel reads well in light and dark themes and in plain
HTML exports.
"""

from __future__ import annotations

from html import escape

from ..diagnosis import Diagnosis
from . import blamed_location, fact_items, labels

_BOX = ("border:1px solid var(--jp-warn-color1,#e0a800);border-left:6px solid var(--jp-warn-color1,#e0a800);"
        "border-radius:4px;padding:10px 14px;margin:6px 0;"
        "background:var(--jp-layout-color1,#fffdf5);color:var(--jp-ui-font-color1,#1b1b1b);"
        "font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;line-height:1.45")
_CODE = ("font-family:var(--jp-code-font-family,monospace);background:var(--jp-layout-color2,#f1f1f1);"
         "color:var(--jp-content-font-color1,#1b1b1b);padding:6px 8px;border-radius:3px;white-space:pre;"
         "overflow-x:auto;margin:4px 0")
_MUTED = "color:var(--jp-ui-font-color2,#555)"
_TABLE = "border-collapse:collapse;font-size:12px;margin:4px 0"
_CELL = "border:1px solid var(--jp-border-color2,#ccc);padding:2px 6px;text-align:left"


def _code_spans(text: str) -> str:
    """Escape ``text`` and render `backticked` parts as inline code."""
    parts = escape(text).split("`")
    return "".join(f"<code style=\"{_CODE};padding:0 3px;white-space:normal\">{p}</code>" if i % 2 else p
                   for i, p in enumerate(parts))


def render_html(diagnosis: Diagnosis) -> str:
    text = labels(diagnosis)
    rows = [f'<div class="autograd-explain" data-kind="{escape(diagnosis.kind)}" '
            f'data-cause="{escape(diagnosis.cause)}" style="{_BOX}">',
            f'<div style="font-weight:600;font-size:14px">&#9888; {_code_spans(diagnosis.title)}</div>',
            f'<div style="{_MUTED};font-size:11px">{escape(text["heading"])} · {escape(diagnosis.kind)} / '
            f'{escape(diagnosis.cause)}</div>']
    if diagnosis.variables:
        names = ", ".join(f"<code style=\"{_CODE};padding:0 3px\">{escape(v)}</code>" for v in diagnosis.variables)
        rows.append(f"<div><b>{escape(text['culprit'])}:</b> {names}</div>")
    if diagnosis.lineno is not None:
        rows.append(f"<div><b>{escape(text['blamed_line'])}:</b> {escape(blamed_location(diagnosis))}</div>"
                    f"<div style=\"{_CODE}\">{escape(diagnosis.line or '')}</div>")
    if diagnosis.raised_at:
        rows.append(f"<div style=\"{_MUTED}\">{escape(text['raised_at'])}: {escape(diagnosis.raised_at)}</div>")
    rows.append(f"<div style=\"margin-top:6px\"><b>{escape(text['why'])}:</b> {_code_spans(diagnosis.explanation)}</div>")
    if diagnosis.facts:
        rows.append(_facts_table(diagnosis, text["facts"]))
    rows.append(f"<div style=\"margin-top:6px\"><b>{escape(text['fix'])}:</b></div>"
                f"<div style=\"{_CODE}\">{escape(diagnosis.fix)}</div>")
    if diagnosis.warnings:
        items = "".join(f"<li>{_code_spans(w)}</li>" for w in diagnosis.warnings)
        rows.append(f"<div style=\"margin-top:4px\"><b>{escape(text['avoid'])}:</b><ul style=\"margin:2px 0\">"
                    f"{items}</ul></div>")
    rows.append("</div>")
    return "\n".join(rows)


def _facts_table(diagnosis: Diagnosis, heading: str) -> str:
    keys: list[str] = []
    for facts in diagnosis.facts.values():
        for key, _ in fact_items(facts):
            if key not in keys:
                keys.append(key)
    head = "".join(f"<th style=\"{_CELL}\">{escape(k)}</th>" for k in ["", *keys])
    body = []
    for name, facts in diagnosis.facts.items():
        values = dict(fact_items(facts))
        cells = "".join(f"<td style=\"{_CELL}\">{escape(values.get(k, ''))}</td>" for k in keys)
        body.append(f"<tr><td style=\"{_CELL}\"><code>{escape(name)}</code></td>{cells}</tr>")
    return (f"<div style=\"margin-top:6px\"><b>{escape(heading)}:</b></div>"
            f"<table style=\"{_TABLE}\"><tr>{head}</tr>{''.join(body)}</table>")
