"""Real autograd errors, as data: each a list of notebook cells and the expected diagnosis.

Sources are cited per case (forum thread, GitHub issue, StackOverflow, torch's
own tests). Where a report's code was long, the case keeps the lines that
make the error (a faithful reduction); ``note`` says so and records anything
that changed on torch 2.13. ``kind=None`` marks a negative case: an ordinary
error that must get no diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    cells: list[str]
    kind: str | None
    cause: str | None = None
    variable: str | None = None
    line_text: str | None = None  # the blamed line, stripped
    note: str = ""
    error: str = "RuntimeError"
    extra: dict = field(default_factory=dict)


def all_cases() -> list[Case]:
    from . import (backward_twice, flags, grad_api, inference, inplace, leaf_inplace, nan, negative,
                   no_grad_fn, non_scalar, numpy_grad, python_number, view_inplace)

    cases: list[Case] = []
    for module in (no_grad_fn, python_number, inplace, non_scalar, backward_twice, leaf_inplace,
                   view_inplace, flags, inference, numpy_grad, grad_api, nan, negative):
        cases.extend(module.CASES)
    return cases


def fresh_shell(shell) -> None:
    """A cheap, isolating reset between cases: empty history, namespace and cell-file map.

    ``InteractiveShell.reset(new_session=False)`` costs ~0.3-1 s (aliases, caches)
    and keeps both the input history and the compiler's map of earlier cells,
    which would let one case's cells leak into the next one's timeline.
    """
    history = shell.history_manager
    history.reset(new_session=False)
    # reset(new_session=False) keeps the input history: earlier cases' cells would stay in the timeline
    history.input_hist_parsed[:] = [""]
    history.input_hist_raw[:] = [""]
    # (execution_count keeps counting: the history database keys lines by it)
    ns = shell.user_ns
    for key in [k for k in ns if k not in ("__builtin__", "__builtins__", "__name__")]:
        del ns[key]
    shell.user_ns_hidden.clear()
    shell.init_user_ns()
    filename_map = getattr(shell.compile, "_filename_map", None)
    if isinstance(filename_map, dict):
        filename_map.clear()
