"""autograd_explain: PyTorch autograd errors explained with your own variables and lines.

In a notebook: ``%load_ext autograd_explain``. Programmatically::

    import autograd_explain as ae
    d = ae.explain(exc, namespace)   # Diagnosis | None
    ae.last()                        # the last Diagnosis the hook produced

Importing this package is cheap: torch, IPython and rich load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .diagnosis import KINDS, Diagnosis
from .pipeline import explain, last

__version__ = "0.1.0"
__all__ = [
    "Diagnosis", "KINDS", "explain", "last", "gradgraph", "trace", "install", "uninstall",
    "load_ipython_extension", "unload_ipython_extension", "__version__",
]

if TYPE_CHECKING:  # pragma: no cover
    from .graph import gradgraph


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext autograd_explain``: install the exception hook and the magics."""
    from ._ipython import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext autograd_explain``: restore exactly what was there before."""
    from ._ipython import unload

    unload(ipython)


def __getattr__(name: str) -> Any:
    # Lazy attributes keep `import autograd_explain` cheap.
    if name == "gradgraph":
        from .graph import gradgraph

        return gradgraph
    if name == "trace":
        from .tracing import trace

        return trace
    if name in ("install", "uninstall"):
        from . import script

        return getattr(script, name)
    raise AttributeError(f"module 'autograd_explain' has no attribute {name!r}")
