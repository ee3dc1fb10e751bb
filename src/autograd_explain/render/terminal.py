"""Diagnosis -> a rich panel for terminal IPython and scripts (honours NO_COLOR)."""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from ..diagnosis import Diagnosis
from . import blamed_location, fact_items, labels


def diagnosis_panel(diagnosis: Diagnosis) -> Any:
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    text = labels(diagnosis)
    parts: list[Any] = [Text(diagnosis.title, style="bold")]
    if diagnosis.variables:
        parts.append(Text.assemble((f"{text['culprit']}: ", "bold"), (", ".join(diagnosis.variables), "cyan")))
    if diagnosis.lineno is not None:
        parts.append(Text.assemble((f"{text['blamed_line']}: ", "bold"), blamed_location(diagnosis)))
        if diagnosis.line:
            parts.append(_code(diagnosis.line))
    if diagnosis.raised_at:
        parts.append(Text(f"{text['raised_at']}: {diagnosis.raised_at}", style="dim"))
    parts.append(Text.assemble((f"\n{text['why']}: ", "bold"), diagnosis.explanation))
    if diagnosis.facts:
        # One line per variable: a rich Table would measure every cell twice per error.
        parts.append(Text(f"\n{text['facts']}:", style="bold"))
        for name, facts in diagnosis.facts.items():
            line = Text("  ")
            line.append(name, style="cyan")
            line.append(": " + ", ".join(f"{k}={v}" for k, v in fact_items(facts)))
            parts.append(line)
    parts += [Text(f"\n{text['fix']}:", style="bold"), _code(diagnosis.fix)]
    if diagnosis.warnings:
        parts.append(Text(f"\n{text['avoid']}:", style="bold"))
        parts += [Text(f"  • {w}") for w in diagnosis.warnings]
    title = f"{text['heading']} · {diagnosis.kind} / {diagnosis.cause}"
    return Panel(Group(*parts), title=title, border_style="yellow", expand=True)


def _code(source: str) -> Any:
    """Code in the panel: comments dimmed, the rest in one colour.

    (Full syntax highlighting costs several milliseconds per error; the hook
    must stay cheap.)
    """
    from rich.text import Text

    text = Text(no_wrap=False)
    for number, line in enumerate(source.splitlines()):
        if number:
            text.append("\n")
        text.append("  " + line, style="dim" if line.lstrip().startswith("#") else "cyan")
    return text


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
