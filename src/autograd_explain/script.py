"""Explanations outside notebooks: a ``sys.excepthook`` for plain scripts.

``install()`` chains a hook in front of the current ``sys.excepthook``: the
previous hook runs first (so the normal traceback is printed exactly as
before), then, if the exception is an autograd error we understand, the
explanation is printed to stderr. ``uninstall()`` puts the previous hook back.
Inside IPython, ``install()`` loads the extension instead, which handles
exceptions through IPython's own ``set_custom_exc``.

``python -m autograd_explain script.py`` (see ``__main__``) uses :func:`report`.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, Callable, TextIO

from .pipeline import running_shell

__all__ = ["install", "uninstall", "is_installed", "report"]

ExceptHook = Callable[[type[BaseException], BaseException, "TracebackType | None"], Any]

# The hook that was current when install() ran, which ours calls first.
_previous_hook: ExceptHook | None = None
# False after uninstall() when ours could not be removed (another hook sat on top).
_explaining = False


def report(exc: BaseException, file: TextIO | None = None, language: str | None = None) -> bool:
    """Print the explanation of ``exc`` to ``file`` (stderr) if it is an autograd error.

    Never raises: a failure inside autograd_explain must not hide the user's
    own error, which has already been printed by then.

    Returns:
        Whether an explanation was printed.
    """
    stream = file if file is not None else sys.stderr
    try:
        from .pipeline import explain
        from .render.terminal import print_diagnosis

        diagnosis = explain(exc, None, language=language)
        if diagnosis is None:
            return False
        print_diagnosis(diagnosis, file=stream)
        stream.flush()
        return True
    except Exception:
        return False


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """The installed ``sys.excepthook``: the previous hook's output, then the explanation."""
    previous = _previous_hook if _previous_hook is not None else sys.__excepthook__
    previous(exc_type, exc, tb)
    if not _explaining:
        return
    if exc.__traceback__ is None and tb is not None:
        exc = exc.with_traceback(tb)
    report(exc)


def install() -> None:
    """Explain autograd errors that end the program (idempotent).

    In IPython this loads the ``autograd_explain`` extension instead.
    """
    global _previous_hook, _explaining
    shell = running_shell()
    if shell is not None:
        shell.extension_manager.load_extension("autograd_explain")
        return
    _explaining = True
    if sys.excepthook is excepthook:
        return
    _previous_hook = sys.excepthook
    sys.excepthook = excepthook


def uninstall() -> None:
    """Undo :func:`install`: restore the hook that was there before it (idempotent).

    If another hook was installed on top of ours since, it is left in place
    (replacing it would silently drop it) and ours only stops explaining.
    In IPython this unloads the extension.
    """
    global _previous_hook, _explaining
    shell = running_shell()
    if shell is not None:
        shell.extension_manager.unload_extension("autograd_explain")
        return
    _explaining = False
    if sys.excepthook is excepthook and _previous_hook is not None:
        sys.excepthook = _previous_hook
        _previous_hook = None


def is_installed() -> bool:
    """Whether our hook is the current ``sys.excepthook``."""
    return sys.excepthook is excepthook
