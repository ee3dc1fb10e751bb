"""The IPython layer: the exception hook, the magics and the config option.

The only module that imports IPython. It wires IPython's public API
(``set_custom_exc``, ``register_magics``, ``configurables``) to
:func:`~.pipeline.explain_or_error` and the renderers, and records what it
replaced so that ``%unload_ext`` puts back exactly what was there.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from traitlets import Unicode

from .pipeline import explain_or_error, remember

#: exceptions the hook looks at; anything else goes straight to IPython.
HOOKED_EXCEPTIONS: tuple[type[BaseException], ...] = (RuntimeError, AttributeError)


@dataclass
class _Installation:
    """What loading changed in one shell, to undo it exactly."""

    custom_exceptions: tuple[type[BaseException], ...]
    custom_tb: Any
    line_magics: dict[str, Any]
    cell_magics: dict[str, Any]
    registry: dict[str, Any]
    configurables: list[Any]
    magics: "AutogradExplain | None" = None
    extras: dict[str, Any] = field(default_factory=dict)


_installations: dict[int, _Installation] = {}
#: "the notebook's namespace" (a %run script's error uses its own frames' globals instead)
_USER_NS: Any = object()


@magics_class
class AutogradExplain(Magics):
    """Settings and the ``%autograd_explain`` magic.

    ``%config AutogradExplain.language = "zh"`` switches the explanations to
    Simplified Chinese (default: ``$AUTOGRAD_EXPLAIN_LANG`` or English).
    """

    #: set when ``%autograd_explain trace on`` ran, so that unloading turns it off again.
    started_trace = False

    language = Unicode("", help="Language of explanations: 'en' or 'zh' "
                                "(empty: $AUTOGRAD_EXPLAIN_LANG, else English).").tag(config=True)

    @line_magic("autograd_explain")
    def autograd_explain_magic(self, line: str) -> None:
        """``%autograd_explain trace on|off|status``: record in-place writes for exact blame lines."""
        words = line.split()
        if len(words) >= 1 and words[0] == "trace":
            from . import tracing as trace

            action = words[1] if len(words) > 1 else "status"
            if action == "on":
                trace.enable()
                self.started_trace = True
                _watch_cells(self.shell, True)
            elif action == "off":
                trace.disable()
                _watch_cells(self.shell, False)
            elif action != "status":
                print("usage: %autograd_explain trace on|off|status", file=sys.stderr)
                return
            print(f"autograd_explain trace mode is {'on' if trace.is_enabled() else 'off'}")
            return
        print("usage: %autograd_explain trace on|off|status", file=sys.stderr)


def _resume_trace_after_cell(result: Any = None) -> None:
    """``post_run_cell``: an optimizer step interrupted mid-way (an error, Ctrl-C) pauses tracing."""
    from . import tracing

    tracing.resume_after_error()


def _watch_cells(shell: Any, on: bool) -> None:
    callbacks = shell.events.callbacks["post_run_cell"]
    if on and _resume_trace_after_cell not in callbacks:
        shell.events.register("post_run_cell", _resume_trace_after_cell)
    elif not on and _resume_trace_after_cell in callbacks:
        shell.events.unregister("post_run_cell", _resume_trace_after_cell)


def load(shell: Any) -> None:
    """Install the hook and magics in ``shell`` (a second load does nothing)."""
    if id(shell) in _installations:
        return
    manager = shell.magics_manager
    state = _Installation(
        custom_exceptions=shell.custom_exceptions,
        custom_tb=shell.CustomTB,
        line_magics=dict(manager.magics["line"]),
        cell_magics=dict(manager.magics["cell"]),
        registry=dict(manager.registry),
        configurables=list(shell.configurables),
    )
    magics = AutogradExplain(shell=shell)  # Magics.__init__ adds it to shell.configurables
    state.magics = magics
    shell.register_magics(magics)
    try:
        from .graph.magic import GradGraphMagics

        shell.register_magics(GradGraphMagics)
    except ImportError:
        pass
    previous_tb = state.custom_tb if state.custom_exceptions else None
    previous_exceptions = state.custom_exceptions

    def handler(self: Any, etype: type[BaseException], evalue: BaseException, tb: Any,
                tb_offset: int | None = None) -> None:
        _show_traceback(self, etype, evalue, tb, tb_offset, previous_tb, previous_exceptions)
        if issubclass(etype, HOOKED_EXCEPTIONS):
            _show_explanation(self, evalue, magics)
        return None

    shell.set_custom_exc(tuple(dict.fromkeys(HOOKED_EXCEPTIONS + tuple(previous_exceptions))), handler)
    _watch_shown_errors(shell, state)
    _installations[id(shell)] = state


def _watch_shown_errors(shell: Any, state: _Installation) -> None:
    """Explain errors IPython shows without raising them out of the cell (``%run script.py``).

    ``%run`` catches the script's exception and prints it with ``showtraceback``,
    which sets ``sys.last_value`` but never reaches the custom exception hook.
    A cell that ended without an error but left a new ``sys.last_value`` showed
    one: explain it, after its traceback. Only the id of the value seen before
    the cell is kept, never the exception. The callbacks are module functions,
    so that loading twice registers the very same objects.
    """
    state.extras["seen_error"] = id(getattr(sys, "last_value", None))
    shell.events.register("pre_run_cell", _before_cell)
    shell.events.register("post_run_cell", _after_cell)


def _running_installation() -> "tuple[Any, _Installation] | tuple[None, None]":
    from IPython import get_ipython

    shell = get_ipython()
    state = _installations.get(id(shell)) if shell is not None else None
    return (shell, state) if state is not None else (None, None)


def _before_cell(info: Any = None) -> None:
    _, state = _running_installation()
    if state is not None:
        state.extras["seen_error"] = id(getattr(sys, "last_value", None))


def _after_cell(result: Any = None) -> None:
    try:
        shell, state = _running_installation()
        if state is None or state.magics is None or result is None \
                or getattr(result, "error_in_exec", None) is not None \
                or getattr(result, "error_before_exec", None) is not None:
            return
        shown = getattr(sys, "last_value", None)
        if shown is None or id(shown) == state.extras.get("seen_error") or not isinstance(shown, HOOKED_EXCEPTIONS):
            return
        state.extras["seen_error"] = id(shown)
        _show_explanation(shell, shown, state.magics, namespace=None)
    except BaseException:
        pass


def unload(shell: Any) -> None:
    """Put back the exception hook, and remove only the magics and configurable we added.

    Whatever else changed meanwhile (a lazily loaded ``%config``, another
    extension's magics) stays as it is.
    """
    state = _installations.pop(id(shell), None)
    if state is None:
        return
    shell.custom_exceptions = state.custom_exceptions
    shell.CustomTB = state.custom_tb
    manager = shell.magics_manager
    ours = {"AutogradExplain", "GradGraphMagics"}
    for kind, before in (("line", state.line_magics), ("cell", state.cell_magics)):
        table = manager.magics[kind]
        for name, function in list(table.items()):
            owner = type(getattr(function, "__self__", None)).__name__
            if owner in ours:
                if name in before:
                    table[name] = before[name]
                else:
                    del table[name]
    for name in ours:
        if name in manager.registry and name not in state.registry:
            del manager.registry[name]
    shell.configurables[:] = [c for c in shell.configurables if type(c).__name__ not in ours]
    for event, callback in (("pre_run_cell", _before_cell), ("post_run_cell", _after_cell)):
        try:
            shell.events.unregister(event, callback)
        except ValueError:
            pass
    if state.magics is not None and state.magics.started_trace:
        from . import tracing

        tracing.disable()
        _watch_cells(shell, False)


def _show_traceback(shell: Any, etype: type[BaseException], evalue: BaseException, tb: Any,
                    tb_offset: int | None, previous_tb: Any, previous_exceptions: tuple[Any, ...]) -> None:
    """What the user would have seen without us: another extension's handler, or IPython's traceback."""
    try:
        if previous_tb is not None and previous_exceptions and issubclass(etype, previous_exceptions):
            previous_tb(etype, evalue, tb, tb_offset)
        else:
            shell.showtraceback((etype, evalue, tb), tb_offset=tb_offset, running_compiled_code=True)
    except Exception:
        try:
            shell.showtraceback((etype, evalue, tb), tb_offset=tb_offset)
        except Exception:
            pass


def _show_explanation(shell: Any, evalue: BaseException, magics: AutogradExplain,
                      namespace: Any = _USER_NS) -> None:
    import random

    # Python's global random stream is the user's: a library imported lazily while
    # rendering (rich draws random bits at import time) must not move it.
    random_state = random.getstate()
    try:
        _explain_and_display(shell, evalue, magics, shell.user_ns if namespace is _USER_NS else namespace)
    finally:
        try:
            random.setstate(random_state)
        except BaseException:
            pass


def _explain_and_display(shell: Any, evalue: BaseException, magics: AutogradExplain, namespace: Any) -> None:
    try:
        diagnosis, error = explain_or_error(evalue, namespace, language=magics.language or None, shell=shell)
        if error is not None:
            print(f"autograd_explain: the explanation is unavailable ({type(error).__name__}).", file=sys.stderr)
            return
        if diagnosis is None:
            return
        remember(diagnosis)
        display_diagnosis(shell, diagnosis)
    except BaseException as error:  # the hook must never raise
        try:
            print(f"autograd_explain: the explanation is unavailable ({type(error).__name__}).", file=sys.stderr)
        except BaseException:
            pass


def is_notebook(shell: Any) -> bool:
    return type(shell).__name__ == "ZMQInteractiveShell" or "ipykernel" in type(shell).__module__


def display_diagnosis(shell: Any, diagnosis: Any) -> None:
    from .render.html import render_html
    from .render.plain import render_plain

    if is_notebook(shell):
        from IPython.display import display

        display({"text/plain": render_plain(diagnosis), "text/html": render_html(diagnosis)}, raw=True)
    else:
        from .render.terminal import print_diagnosis

        print_diagnosis(diagnosis, file=sys.stdout)
