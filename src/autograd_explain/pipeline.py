"""``explain(exc)``: the pipeline, guarded so that it never raises.

exception -> :func:`~.errors.parse_error` (is it an autograd error?) ->
:class:`~.context.Analysis` (frames, source, live state) -> the kind's rule ->
:class:`~.diagnosis.Finding` -> :func:`~.wording.build_diagnosis`.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Mapping

from .diagnosis import Diagnosis, Finding, Location
from .errors import parse_error

_state = threading.local()
_last: list[Diagnosis | None] = [None]


def explain(exc: BaseException, namespace: Mapping[str, Any] | None = None, *,
            language: str | None = None, shell: Any = None) -> Diagnosis | None:
    """Explain an autograd exception in the user's terms, or return ``None``.

    Args:
        exc: the exception (its ``__traceback__`` is read, not kept).
        namespace: the user's variables (a notebook's ``user_ns``); ``None``
            reads the globals of the traceback's outermost user frame.
        language: ``"en"`` or ``"zh"`` (default: ``$AUTOGRAD_EXPLAIN_LANG`` or English).
        shell: an IPython shell whose cell history is the source to read.

    Never raises (an internal failure returns ``None``; see :func:`explain_or_error`).
    """
    diagnosis, _ = explain_or_error(exc, namespace, language=language, shell=shell)
    return diagnosis


def explain_or_error(exc: BaseException, namespace: Mapping[str, Any] | None = None, *,
                     language: str | None = None, shell: Any = None
                     ) -> tuple[Diagnosis | None, BaseException | None]:
    """Like :func:`explain`, also returning the internal error if the analysis failed."""
    if getattr(_state, "busy", False):
        return None, None
    _state.busy = True
    try:
        return _explain(exc, namespace, language, shell), None
    except (Exception, KeyboardInterrupt, RecursionError) as error:  # never let analysis hurt the user
        return None, error
    finally:
        _state.busy = False


def _explain(exc: BaseException, namespace: Mapping[str, Any] | None, language: str | None,
             shell: Any) -> Diagnosis | None:
    parsed = parse_error(exc)
    if parsed is None:
        return None
    import torch

    from .context import Analysis
    from .rules import run_rule
    from .wording import build_diagnosis

    if shell is None:
        shell = running_shell()
    # A user's TorchFunctionMode (or tensor subclass) must not see our reads, nor the
    # grad-mode switch below.
    with torch._C.DisableTorchFunction():
        grad_mode = torch.is_grad_enabled()
        analysis = Analysis(exc, parsed, namespace, shell)
        try:
            # Reading saved tensors or parameters must not record anything.
            with torch.no_grad():
                finding = run_rule(analysis)
            if finding is None:
                return None
            raised_at = _raised_at(analysis)
            cell = _cell_of(analysis, finding)
        finally:
            analysis.release()
            torch.set_grad_enabled(grad_mode)
    return build_diagnosis(finding, language, raised_at=raised_at, cell=cell)


def running_shell() -> Any:
    """The IPython shell this code runs in, if any (its history holds the earlier cells).

    IPython is not imported for this: if nobody imported it, there is no shell.
    """
    ipython = sys.modules.get("IPython")
    try:
        return ipython.get_ipython() if ipython is not None else None
    except Exception:
        return None


def _raised_at(analysis: Any) -> Location | None:
    stmt = analysis.raising_stmt
    if stmt is None:
        return None
    return Location(stmt.unit.label or stmt.filename, stmt.lineno)


def _cell_of(analysis: Any, finding: Finding) -> str | None:
    if finding.filename is None:
        return None
    for unit in reversed(analysis.timeline.units):
        if unit.filename == finding.filename:
            return unit.label
    return None


def remember(diagnosis: Diagnosis | None) -> None:
    _last[0] = diagnosis


def last() -> Diagnosis | None:
    """The Diagnosis of the last exception the hook handled in this process, or None."""
    return _last[0]
