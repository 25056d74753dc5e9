"""Time one training step with each registered regularizer, relative to ``none``.

Alternating Adam (n_critic 5, one generator step) on the ring of 8 Gaussians with the default MLP
(width 128, depth 3, batch 256), CPU, one thread, float32, each regularizer at its published
defaults. Rounds are interleaved (the order rotates every round, after warm-up) so that load from
other processes hits every regularizer alike. Prints the median milliseconds per training step,
the ratio to ``none`` and the gradient calls per step that the trial records (a double backward or
a Hessian-vector product counts one).

    python benchmarks/bench_regularizers.py --quick
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainables.config import make_config  # noqa: E402
from trainables.loop import Trial  # noqa: E402
from trainables.registry import REGULARIZERS  # noqa: E402


def build(name: str, args) -> Trial:
    return Trial(make_config(dict(regularizer=name, optimizer="adam", dataset="ring8", arch="mlp",
                                  loss=args.loss, device="cpu", seed=args.seed)))


def measure(args) -> dict[str, dict[str, object]]:
    names = REGULARIZERS.names()
    trials = {name: build(name, args) for name in names}
    times: dict[str, list[float]] = {name: [] for name in names}
    calls: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(args.warmup + args.rounds):
        order = names[round_ % len(names):] + names[:round_ % len(names)]  # rotate the order
        for name in order:
            method = trials[name].method
            start = time.perf_counter()
            stats = [method.step() for _ in range(args.steps)]
            elapsed = (time.perf_counter() - start) / args.steps
            if round_ >= args.warmup:
                times[name].append(elapsed)
                calls[name] += [s["grad_calls"] for s in stats]
    return {name: {"side": REGULARIZERS.get(name).side, "ms": 1e3 * statistics.median(times[name]),
                   "calls": statistics.mean(calls[name])} for name in names}


def print_table(rows: dict[str, dict[str, object]]) -> None:
    base = rows["none"]["ms"]
    head = ["regularizer", "side", "ms/step", "x none", "grad calls/step"]
    lines = [head] + [[name, str(r["side"]), f"{r['ms']:.1f}", f"{r['ms'] / base:.2f}", f"{r['calls']:g}"]
                      for name, r in sorted(rows.items(), key=lambda item: item[1]["ms"])]
    print_table(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 2 steps")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per regularizer")
    parser.add_argument("--steps", type=int, default=5, help="training steps per round")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--loss", default="wgan")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.steps = 3, 2
    torch.set_num_threads(1)
    print(f"CPU, 1 thread, float32, torch {torch.__version__}; alternating Adam (n_critic 5), ring8, "
          f"MLP width 128 depth 3, batch 256, loss {args.loss}; {args.warmup} warm-up + {args.rounds} "
          f"interleaved rounds of {args.steps} steps; median ms per training step")
    print_table(measure(args))


if __name__ == "__main__":
    main()
