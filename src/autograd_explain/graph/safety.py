"""Keep the process alive when a long visited graph is freed later.

Once Python has touched a long chain of autograd nodes, freeing that chain
recurses in C++, about one native frame group per node; with the default 8 MB
stack a visited run of ~60k nodes overflows (verified on torch 2.13). Raising
the *soft* ``RLIMIT_STACK`` lets the main thread's stack grow further; the
default ``max_nodes`` keeps us well below the limit anyway.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

#: Nodes that the default 8 MB stack frees safely, with a margin (30k was fine).
SAFE_WITHOUT_RAISE = 20_000
#: How many nodes a drawing visits unless asked for more (well inside the safe range).
DEFAULT_MAX_NODES = 10_000
#: Stack bytes reserved per visited node (8 MB overflowed near 60k: ~140 B/node).
BYTES_PER_NODE = 1024


def ensure_stack_for(nodes: int) -> bool:
    """Raise the soft stack limit so that ``nodes`` visited nodes free safely.

    Returns True if the limit is (now) high enough, False if it could not be
    raised (no ``resource`` module, or the hard limit is too low).
    """
    if nodes <= SAFE_WITHOUT_RAISE:
        return True
    try:
        import resource
    except ImportError:  # Windows: the main thread's stack is fixed at link time.
        return False
    need = 8 * 1024 * 1024 + nodes * BYTES_PER_NODE
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    if soft == resource.RLIM_INFINITY or soft >= need:
        return True
    target = need if hard == resource.RLIM_INFINITY else min(need, hard)
    try:
        resource.setrlimit(resource.RLIMIT_STACK, (target, hard))
    except (ValueError, OSError):
        return False
    return target >= need


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC while we allocate many small, acyclic objects.

    A full collection traverses every object in the process (torch creates
    many), so one landing in the middle of a walk can double its duration.
    The previous state is restored, and the pause lasts one call.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
