"""Execute the demo notebook headless in a real kernel and write it out as HTML.

    python -m autograd_explain.demo demo.ipynb demo.html

The notebook runs in an ``ipykernel`` started with *this* Python
(``sys.executable -m ipykernel_launcher``), whatever kernelspecs are installed,
so the kernel sees the same packages as the command. Cells that raise are part
of the tour, so errors are allowed. The executed notebook (outputs kept) goes
to ``build/<name>.executed.ipynb`` next to the HTML's folder unless
``--executed`` says otherwise. Progress is printed per cell on stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any


def kernel_manager(cwd: Path) -> Any:
    """An async kernel manager whose kernel is ``sys.executable -m ipykernel_launcher``."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec = KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name=f"Python 3 ({sys.executable})",
        language="python",
        metadata={"debugger": False},
    )

    class ThisPython(KernelSpecManager):  # type: ignore[misc]
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return spec

    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())


def execute(notebook: Any, cwd: Path, *, timeout: int = 300, progress: bool = True) -> Any:
    """Run every cell of ``notebook`` (an nbformat node) in place and return it."""
    from nbclient import NotebookClient

    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    started = time.perf_counter()
    state = {"n": 0, "t": started}

    def on_start(cell: Any, cell_index: int, **_: Any) -> None:
        state["t"] = time.perf_counter()

    def on_executed(cell: Any, cell_index: int, **_: Any) -> None:
        state["n"] += 1
        if not progress:
            return
        outputs = cell.get("outputs", [])
        marks = []
        if any(o.get("output_type") == "error" for o in outputs):
            marks.append("raised " + next(o["ename"] for o in outputs if o.get("output_type") == "error"))
        if any("text/html" in o.get("data", {}) and "autograd-explain" in o["data"]["text/html"]
               for o in outputs):
            marks.append("explained")
        if any("image/svg+xml" in o.get("data", {}) for o in outputs):
            marks.append("svg")
        first = (cell.source.strip().splitlines() or [""])[0][:60]
        print(f"[{state['n']:>2}/{len(code_cells)}] {time.perf_counter() - state['t']:5.2f}s  {first}"
              + (f"  ({', '.join(marks)})" if marks else ""), file=sys.stderr, flush=True)

    client = NotebookClient(
        notebook,
        km=kernel_manager(cwd),
        timeout=timeout,
        allow_errors=True,
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
        on_cell_start=on_start,
        on_cell_executed=on_executed,
    )
    client.execute()
    if progress:
        print(f"executed {len(code_cells)} cells in {time.perf_counter() - started:.1f}s",
              file=sys.stderr, flush=True)
    return notebook


def to_html(notebook: Any) -> str:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(notebook)
    return str(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograd_explain.demo", description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path, help="the notebook to execute (e.g. demo.ipynb)")
    parser.add_argument("html", type=Path, help="where to write the HTML (e.g. demo.html)")
    parser.add_argument("--executed", type=Path, default=None,
                        help="where to write the executed notebook (default: build/<name>.executed.ipynb)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    parser.add_argument("-q", "--quiet", action="store_true", help="no per-cell progress")
    args = parser.parse_args(argv)

    import nbformat

    notebook = nbformat.read(args.notebook, as_version=4)
    execute(notebook, args.notebook.resolve().parent, timeout=args.timeout, progress=not args.quiet)
    executed = args.executed or args.html.resolve().parent / "build" / f"{args.notebook.stem}.executed.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, executed)
    args.html.parent.mkdir(parents=True, exist_ok=True)
    args.html.write_text(to_html(notebook), encoding="utf-8")
    print(f"wrote {args.html} and {executed}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
