"""Cost of trace mode on a CPU training step, against plain and anomaly mode.

Run: ``.venv/bin/python bench/trace.py [--rounds N] [--steps K]``

For each model, the three settings take turns (plain, trace, anomaly, rotated
each round) so that drift in machine load hits all of them alike; each round
times K steps one by one, and the figure is the median step over all rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import warnings
from typing import Callable, ContextManager, Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

from autograd_explain import trace

Step = Callable[[], None]


def mlp_step() -> Step:
    """784-512-256-10 MLP, batch 128, SGD with momentum (an MNIST-sized step)."""
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    inputs, targets = torch.randn(128, 784), torch.randint(0, 10, (128,))
    return _step(model, optimizer, inputs, targets)


def conv_step() -> Step:
    """Two conv blocks (with BatchNorm and in-place ReLU) + linear head, 32x32x3 batch 32, Adam."""
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs, targets = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
    return _step(model, optimizer, inputs, targets)


def _step(model: nn.Module, optimizer: torch.optim.Optimizer, inputs: torch.Tensor, targets: torch.Tensor) -> Step:
    def step() -> None:
        optimizer.zero_grad()
        F.cross_entropy(model(inputs), targets).backward()
        optimizer.step()
    return step


@contextlib.contextmanager
def anomaly() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.autograd.set_detect_anomaly(True)
    try:
        yield
    finally:
        torch.autograd.set_detect_anomaly(False)


SETTINGS: dict[str, Callable[[], ContextManager[None]]] = {
    "plain": contextlib.nullcontext,
    "trace": trace.trace,  # the default backend: kernels on the PreDispatch key
    "trace-mode": lambda: trace.trace(backend="mode"),  # the TorchDispatchMode fallback
    "anomaly": anomaly,
}


def measure(step: Step, rounds: int, steps: int) -> dict[str, float]:
    """Median seconds per step for each setting, interleaved round by round."""
    names = list(SETTINGS)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm-up: first-use costs (allocator, op caches) are not steady state
        with SETTINGS[name]():
            for _ in range(3):
                step()
    for round_index in range(rounds):
        order = names[round_index % len(names):] + names[:round_index % len(names)]
        for name in order:
            with SETTINGS[name]():
                for _ in range(steps):
                    start = time.perf_counter()
                    step()
                    times[name].append(time.perf_counter() - start)
        trace.clear()
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    options = parser.parse_args()
    if options.threads:
        torch.set_num_threads(options.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{options.rounds} rounds x {options.steps} steps, medians")
    names = list(SETTINGS)
    print(f"{'model':<6}" + "".join(f"{name + ' ms':>14}" for name in names)
          + "".join(f"{name + '/plain':>20}" for name in names[1:]))
    for label, make in (("mlp", mlp_step), ("conv", conv_step)):
        result = measure(make(), options.rounds, options.steps)
        plain = result["plain"]
        print(f"{label:<6}" + "".join(f"{result[name] * 1e3:14.2f}" for name in names)
              + "".join(f"{result[name] / plain:19.3f}x" for name in names[1:]))


if __name__ == "__main__":
    main()
