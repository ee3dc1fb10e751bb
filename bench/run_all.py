"""Run every benchmark in bench/ and print a combined table.

Run: ``.venv/bin/python bench/run_all.py [--only NAME ...]`` (``make bench``).

Each ``bench/*.py`` (except this file and helpers starting with ``_``) runs in
its own process with the same interpreter; its full output is shown, then a
table gathers each benchmark's ``SUMMARY:`` lines when it prints some, else its
last table (the last block of three or more lines).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import torch
        versions = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    except Exception:
        versions = "torch ?"
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, " \
           f"python {platform.python_version()}, {versions}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="benchmark names (file stems) to run")
    args = parser.parse_args(argv)
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only]
    results = []
    for script in scripts:
        print(f"\n===== {script.name} =====", flush=True)
        started = time.perf_counter()
        process = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        print(process.stdout, end="", flush=True)
        if process.returncode != 0:
            print(process.stderr[-3000:], file=sys.stderr)
        lines = [line for line in process.stdout.splitlines() if line.strip()]
        summaries = [line.split("SUMMARY:", 1)[1].strip() for line in lines if line.startswith("SUMMARY:")]
        if not summaries:  # no SUMMARY line: the last block of 3+ lines (its table)
            blocks = [block.strip().splitlines() for block in process.stdout.split("\n\n") if block.strip()]
            tables = [block for block in blocks if len(block) >= 3]
            summaries = (tables[-1] if tables else blocks[-1] if blocks else ["(no output)"])[:12]
        status = "ok" if process.returncode == 0 else f"exit {process.returncode}"
        results.append((script.stem, status, elapsed, summaries))
    print("\n===== summary =====")
    print(f"machine: {machine()}")
    print(f"{'benchmark':<12}{'status':<10}{'time':>8}  result")
    for name, status, elapsed, summaries in results:
        for index, summary in enumerate(summaries):
            head = f"{name:<12}{status:<10}{elapsed:7.0f}s" if index == 0 else " " * 30
            print(f"{head}  {summary}")
    return 0 if all(status == "ok" for _, status, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
