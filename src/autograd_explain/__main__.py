"""``python -m autograd_explain script.py [args]``: run a script, explain its autograd error.

The script runs as ``__main__`` with ``sys.argv`` and ``sys.path[0]`` set as
``python script.py [args]`` would set them. If it dies of an exception, the
traceback is printed as Python prints it (through ``sys.excepthook``, starting
at the script's own frame), then, for an autograd error, the explanation; the
exit status is the one Python would have given.
"""

from __future__ import annotations

import argparse
import builtins
import importlib.machinery
import os
import runpy
import sys
import types
import zipfile
from types import TracebackType
from typing import Sequence

from . import script

USAGE = "python -m autograd_explain [--trace] [--lang {en,zh}] script.py [args ...]"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograd_explain", usage=USAGE,
        description="Run a Python script; if it dies of a PyTorch autograd error, explain it.",
    )
    parser.add_argument("--trace", action="store_true",
                        help="record in-place writes while the script runs, so an in-place error names the exact line")
    parser.add_argument("--lang", choices=("en", "zh"), default=None, help="language of the explanation")
    parser.add_argument("script", help="path of the script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    return parser


def _exit_status(code: object) -> int:
    """The status Python exits with for ``SystemExit(code)`` (and prints, if not a number)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _from_script(tb: TracebackType | None, path: str) -> TracebackType | None:
    """Drop the frames of runpy and of this module, as ``python script.py`` has none."""
    start = tb
    while start is not None and start.tb_frame.f_code.co_filename != path:
        start = start.tb_next
    return start if start is not None else tb


def _run_as_main(path: str) -> None:
    """Execute a script file as ``__main__``, as ``python path`` does.

    ``runpy.run_path`` would do, but it sets ``sys.argv[0]`` to the path it is
    given, and Python leaves ``argv[0]`` as typed while ``__file__`` is absolute.
    Directories and zip files (which hold a ``__main__.py``) go to runpy.
    """
    if not os.path.isfile(path) or zipfile.is_zipfile(path):
        runpy.run_path(path, run_name="__main__")
        return
    with open(path, "rb") as source_file:
        source = source_file.read()
    code = compile(source, path, "exec", dont_inherit=True)
    main_module = types.ModuleType("__main__")
    main_module.__dict__.update(
        __file__=path, __builtins__=builtins, __cached__=None, __spec__=None, __package__=None,
        __loader__=importlib.machinery.SourceFileLoader("__main__", path),
    )
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = main_module
    try:
        exec(code, main_module.__dict__)
    finally:
        sys.modules["__main__"] = saved


def run(path: str, args: Sequence[str], *, trace: bool = False, language: str | None = None) -> int:
    """Run ``path`` as ``__main__`` with ``args``; return the exit status Python would give."""
    if not os.path.exists(path):
        print(f"{sys.executable}: can't open file {os.path.abspath(path)!r}: "
              f"[Errno 2] No such file or directory", file=sys.stderr)
        return 2
    # As in `python script.py`: argv[0] as given, __file__ and frames absolute.
    sys.argv = [path, *args]
    path = os.path.abspath(path)
    sys.path[0] = os.path.dirname(path)
    if trace:
        from .tracing import enable

        enable()
    try:
        _run_as_main(path)
    except SystemExit as exit_:
        return _exit_status(exit_.code)
    except KeyboardInterrupt:
        raise  # Python's own handling gives the right status (killed by SIGINT)
    except BaseException as exc:  # noqa: BLE001 - report any uncaught exception, as Python does
        _report(exc, path, language)
        return 1
    finally:
        if trace:
            from .tracing import disable

            disable()
    return 0


def _report(exc: BaseException, path: str, language: str | None) -> None:
    exc = exc.with_traceback(_from_script(exc.__traceback__, path))
    try:
        # The script may have installed its own hook; Python would have called it.
        sys.excepthook(type(exc), exc, exc.__traceback__)
    except Exception:
        sys.__excepthook__(type(exc), exc, exc.__traceback__)
    if not script.is_installed():  # an installed hook has explained it already
        script.report(exc, language=language)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m autograd_explain`` and the ``autograd-explain`` command."""
    options = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    return run(options.script, options.args, trace=options.trace, language=options.lang)


if __name__ == "__main__":
    sys.exit(main())
