"""Ray's cost per trial: a 16-trial study (about 2 s of compute each) through `ganstudy run` on a
local Ray with 2 CPUs, against the same trials run back to back in one process, halved.

    .venv/bin/python benchmarks/bench_ray_overhead.py [--trials 16] [--seconds 2]

Goal: ratio <= 1.3. Printed with Ray's start-up (as a user sees it) and without it (the
cost per trial: scheduling, worker processes, reports, checkpoints).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch

from study.ray_setup import init_ray
from study.runner import run
from study.spec import parse_spec
from trainables.loop import train

BASE = {"dataset": "ring8", "width": 32, "depth": 2, "batch_size": 64, "eval_every": 100, "eval_samples": 500}


def calibrate(seconds: float) -> int:
    """Iterations that take about ``seconds`` in one single-threaded process."""
    torch.set_num_threads(1)
    train({**BASE, "iterations": 100})  # warm-up: first-call costs are not per iteration
    start = time.perf_counter()
    train({**BASE, "iterations": 500})
    per_iteration = (time.perf_counter() - start) / 500
    return max(100, int(round(seconds / per_iteration / 100)) * 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()

    iterations = calibrate(args.seconds)
    seeds = list(range(args.trials))
    spec = parse_spec({"name": "overhead", "trial": {**BASE, "iterations": iterations},
                       "grid": {"seed": seeds}, "resources": {"cpu": 1, "gpu": 0}})

    start = time.perf_counter()
    for seed in seeds:
        train({**BASE, "iterations": iterations, "seed": seed})
    serial = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        init_ray(None, num_cpus=args.cpus)
        started = time.perf_counter()
        run(spec, storage=Path(root))
        end = time.perf_counter()
    study, ray_start = end - start, started - start

    ideal = serial / args.cpus
    print(f"{args.trials} trials x {iterations} iterations (~{serial / args.trials:.2f} s each, one process)")
    print(f"{'back to back, one process':<32}{serial:8.1f} s")
    print(f"{'ideal on ' + str(args.cpus) + ' CPUs (halved)':<32}{ideal:8.1f} s")
    print(f"{'ganstudy run (Ray Tune)':<32}{study:8.1f} s   (of which starting Ray {ray_start:.1f} s)")
    print(f"{'ratio study / ideal':<32}{study / ideal:8.2f} x   (goal <= 1.3)")
    print(f"{'ratio without Ray start-up':<32}{(study - ray_start) / ideal:8.2f} x")


if __name__ == "__main__":
    os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")
    main()
