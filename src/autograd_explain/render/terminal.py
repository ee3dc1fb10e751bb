"""Diagnosis -> a rich panel for terminal IPython and scripts (honours NO_COLOR)."""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from ..diagnosis import Diagnosis
from . import blamed_location, fact_items, labels


def diagnosis_panel(diagnosis: Diagnosis) -> Any:
    """The panel: one styled ``Text`` in a ``Panel`` (one wrap pass; cheap enough for a hook)."""
    from rich.panel import Panel
    from rich.text import Text

    text = labels(diagnosis)
    body = Text()

    def line(*pieces: tuple[str, str] | str) -> None:
        if body:
            body.append("\n")
        for piece in pieces:
            body.append(*piece) if isinstance(piece, tuple) else body.append(piece)

    line((diagnosis.title, "bold"))
    if diagnosis.variables:
        line((f"{text['culprit']}: ", "bold"), (", ".join(diagnosis.variables), "cyan"))
    if diagnosis.lineno is not None:
        line((f"{text['blamed_line']}: ", "bold"), blamed_location(diagnosis))
        if diagnosis.line:
            _code(line, diagnosis.line)
    if diagnosis.raised_at:
        line((f"{text['raised_at']}: {diagnosis.raised_at}", "dim"))
    line()
    line((f"{text['why']}: ", "bold"), diagnosis.explanation)
    if diagnosis.facts:
        line()
        line((f"{text['facts']}:", "bold"))
        for name, facts in diagnosis.facts.items():
            line("  ", (name, "cyan"), ": " + ", ".join(f"{k}={v}" for k, v in fact_items(facts)))
    line()
    line((f"{text['fix']}:", "bold"))
    _code(line, diagnosis.fix)
    if diagnosis.warnings:
        line()
        line((f"{text['avoid']}:", "bold"))
        for warning in diagnosis.warnings:
            line(f"  • {warning}")
    title = f"{text['heading']} · {diagnosis.kind} / {diagnosis.cause}"
    return Panel(body, title=title, border_style="yellow", expand=True)


def _code(line: Any, source: str) -> None:
    """Code lines: comments dimmed, the rest in one colour.

    (Full syntax highlighting costs several milliseconds per error; the hook
    must stay cheap.)
    """
    for code in source.splitlines():
        line(("  " + code, "dim" if code.lstrip().startswith("#") else "cyan"))


def print_diagnosis(diagnosis: Diagnosis, file: IO[str] | None = None, width: int | None = None) -> None:
    """Print the panel to ``file`` (default stdout); plain text when NO_COLOR is set."""
    from rich.console import Console

    file = file if file is not None else sys.stdout
    console = Console(file=file, width=width, no_color=bool(os.environ.get("NO_COLOR")),
                      highlight=False, soft_wrap=False)
    console.print(diagnosis_panel(diagnosis))


def render_terminal(diagnosis: Diagnosis, width: int = 100, color: bool = False) -> str:
    """The panel as a string (for tests and golden files)."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system="truecolor" if color else None,
                      force_terminal=color, highlight=False)
    console.print(diagnosis_panel(diagnosis))
    return buffer.getvalue()
