"""Execute demo.ipynb once per process, shared by test_notebook.py and test_browser.py."""

from __future__ import annotations

import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo.ipynb"
BUILD = ROOT / "build"


@functools.lru_cache(maxsize=1)
def executed_demo():
    """The executed notebook (nbformat node); also written to build/test-demo.executed.ipynb."""
    import nbformat

    from autograd_explain.demo import execute

    notebook = nbformat.read(DEMO, as_version=4)
    execute(notebook, ROOT, timeout=180, progress=False)
    BUILD.mkdir(exist_ok=True)
    nbformat.write(notebook, BUILD / "test-demo.executed.ipynb")
    return notebook
