"""Cost of trace mode on a CPU training step, against plain and anomaly mode.

Run: ``.venv/bin/python bench/trace.py [--rounds N] [--steps K]``

For each model, the settings take turns (plain, trace, trace with the
dispatch-mode backend, anomaly; rotated each round) so that drift in machine
load hits all of them alike; each round times K steps one by one. The ratio
printed is the median, over rounds, of each round's median step divided by
plain's in the same round (drift cancels within a round); the ms columns are
the median step over all rounds. Two clocks: wall time, and the
process's CPU time, which is steadier on a shared machine (other processes'
load inflates wall time but not our CPU time as much).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import statistics
import time
import warnings
from typing import Callable, ContextManager, Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

from autograd_explain import tracing as trace

class Workload:
    """A training step on a fixed batch, and a reset to the initial weights.

    Every setting starts each round from the same weights and optimizer state,
    so all of them time the same arithmetic (training one batch for hundreds of
    steps drives gradients towards denormal numbers, which are slow on CPUs).
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer,
                 inputs: torch.Tensor, targets: torch.Tensor) -> None:
        self.model, self.optimizer, self.inputs, self.targets = model, optimizer, inputs, targets
        self._initial = copy.deepcopy((model.state_dict(), optimizer.state_dict()))

    def reset(self) -> None:
        model_state, optimizer_state = copy.deepcopy(self._initial)
        self.model.load_state_dict(model_state)
        self.optimizer.load_state_dict(optimizer_state)

    def step(self) -> None:
        self.optimizer.zero_grad()
        F.cross_entropy(self.model(self.inputs), self.targets).backward()
        self.optimizer.step()


def mlp_step() -> Workload:
    """784-512-256-10 MLP, batch 128, SGD with momentum (an MNIST-sized step)."""
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    inputs, targets = torch.randn(128, 784), torch.randint(0, 10, (128,))
    return Workload(model, optimizer, inputs, targets)


def conv_step() -> Workload:
    """Two conv blocks (with BatchNorm and in-place ReLU) + linear head, 32x32x3 batch 32, Adam."""
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs, targets = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
    return Workload(model, optimizer, inputs, targets)


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


Clock = Callable[[], float]
CLOCKS: dict[str, Clock] = {"wall": time.perf_counter, "cpu": time.process_time}


def measure(work: Workload, rounds: int, steps: int) -> dict[str, dict[str, tuple[float, float]]]:
    """Per clock and setting: (median seconds per step, median of per-round ratios to plain).

    The ratio is taken within each round, where plain and the setting ran a few
    milliseconds apart, then the median is taken over rounds: load that drifts
    over the run (another process starting) cancels out of each round's ratio.
    """
    names = list(SETTINGS)
    times: dict[str, dict[str, list[float]]] = {clock: {name: [] for name in names} for clock in CLOCKS}
    ratios: dict[str, dict[str, list[float]]] = {clock: {name: [] for name in names} for clock in CLOCKS}
    for name in names:  # warm-up: first-use costs (allocator, op caches) are not steady state
        with SETTINGS[name]():
            for _ in range(3):
                work.step()
    for round_index in range(rounds):
        order = names[round_index % len(names):] + names[:round_index % len(names)]
        this_round: dict[str, dict[str, float]] = {clock: {} for clock in CLOCKS}
        for name in order:
            work.reset()
            steps_cpu, steps_wall = [], []
            with SETTINGS[name]():
                for _ in range(steps):
                    wall, cpu = time.perf_counter(), time.process_time()
                    work.step()
                    steps_cpu.append(time.process_time() - cpu)
                    steps_wall.append(time.perf_counter() - wall)
            for clock, values in (("cpu", steps_cpu), ("wall", steps_wall)):
                times[clock][name].extend(values)
                this_round[clock][name] = statistics.median(values)
        for clock in CLOCKS:
            for name in names:
                ratios[clock][name].append(this_round[clock][name] / this_round[clock]["plain"])
        trace.clear()
    return {clock: {name: (statistics.median(times[clock][name]), statistics.median(ratios[clock][name]))
                    for name in names}
            for clock in CLOCKS}


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
          f"{options.rounds} rounds x {options.steps} steps; ms = median step, "
          f"x = median over rounds of the round's ratio to plain")
    names = list(SETTINGS)
    print(f"{'model':<6}{'clock':<6}" + "".join(f"{name + ' ms':>14}" for name in names)
          + "".join(f"{name + '/plain':>19}" for name in names[1:]))
    for label, make in (("mlp", mlp_step), ("conv", conv_step)):
        results = measure(make(), options.rounds, options.steps)
        for clock, result in results.items():
            print(f"{label:<6}{clock:<6}" + "".join(f"{result[name][0] * 1e3:14.2f}" for name in names)
                  + "".join(f"{result[name][1]:18.3f}x" for name in names[1:]))


if __name__ == "__main__":
    main()
