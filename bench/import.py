"""Cost of ``import autograd_explain`` after torch and IPython, as a fraction of ``import torch``.

Run: ``.venv/bin/python bench/import.py [--rounds N]``

Each measurement is a fresh interpreter (``python -X importtime`` is not used:
it slows imports down). One kind of process times ``import torch`` alone; the
other imports torch and IPython first, then times ``import autograd_explain``
(what ``%load_ext`` costs on top of what a notebook has already loaded), after
a ``gc.collect()``: right after ``import torch`` a full garbage collection is due
(~100 ms here) and fires at the next few allocations, whoever makes them; the
figure that includes it is printed too.
Target: <= 3 % of ``import torch``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

TORCH = "import time; t = time.perf_counter(); import torch; print(time.perf_counter() - t)"
# `gc.collect()` first: importing torch leaves a full (generation 2) collection due,
# ~100 ms here, that fires at the next few allocations, whoever makes them.
OURS = ("import torch, IPython, time, gc; gc.collect(); t = time.perf_counter(); import autograd_explain; "
        "print(time.perf_counter() - t)")
OURS_RAW = ("import torch, IPython, time; t = time.perf_counter(); import autograd_explain; "
            "print(time.perf_counter() - t)")
LOAD = ("import torch, IPython, time, gc\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance(); gc.collect()\n"
        "t = time.perf_counter(); shell.run_line_magic('load_ext', 'autograd_explain'); print(time.perf_counter() - t)")


def measure(code: str) -> float:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    measure(TORCH)  # warm the file cache
    torch_times, ours, raw, loads = [], [], [], []
    for _ in range(args.rounds):
        torch_times.append(measure(TORCH))
        ours.append(measure(OURS))
        raw.append(measure(OURS_RAW))
        loads.append(measure(LOAD))
    t_torch, t_ours, t_raw, t_load = (statistics.median(x) * 1e3 for x in (torch_times, ours, raw, loads))
    fraction = t_ours / t_torch
    print(f"fresh interpreters, {args.rounds} rounds (medians)")
    print(f"{'import torch':<56}{t_torch:9.1f} ms")
    print(f"{'import autograd_explain (torch, IPython loaded)':<56}{t_ours:9.1f} ms  {fraction:6.1%} of torch")
    print(f"{'  same, with the GC pass torch left due (see source)':<56}{t_raw:9.1f} ms  {t_raw / t_torch:6.1%} of torch")
    print(f"{'%load_ext autograd_explain (shell running)':<56}{t_load:9.1f} ms  {t_load / t_torch:6.1%} of torch")
    print(f"SUMMARY: import {fraction:.1%} of import torch ({t_ours:.1f} ms; {t_raw:.0f} ms if torch's pending GC "
          f"pass lands in it), %load_ext {t_load / t_torch:.1%}; target <= 3 %: {'ok' if fraction <= 0.03 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
