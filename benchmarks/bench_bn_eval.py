"""BatchNorm at evaluation: how much does the choice move each method's FID?

Trains alternating Adam and ACGD on the digits (studies/digits.yaml's DCGAN, which has BatchNorm in
its generator) for the same gradient-call budget, once per seed, and evaluates each final generator
twice: with the running averages (``eval_bn: running``, PyTorch's eval mode) and with the statistics
of the evaluated batch (``eval_bn: batch``, the project's default). Alternating Adam refreshes the
running averages 6 times per iteration (5 critic steps each run G in training mode, then the
generator step), ACGD once; a choice that favours one method shows as a difference that differs
between the methods.

    python benchmarks/bench_bn_eval.py --seeds 0 1 2
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from table import print_table  # noqa: E402  (benchmarks/table.py)

from trainables.config import TrialConfig  # noqa: E402
from trainables.loop import Trial  # noqa: E402


def final_generator(cfg: TrialConfig) -> Trial:
    trial = Trial(cfg)
    while trial.progress.status == "running" and not trial.out_of_budget():
        trial.step()
    return trial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--optimizers", nargs="+", default=["adam", "acgd"])
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--budget", type=int, default=2400, help="gradient calls per trial")
    args = parser.parse_args()
    torch.set_num_threads(1)
    spec = yaml.safe_load((Path(__file__).resolve().parents[1] / "studies" / "digits.yaml").read_text())
    base = {**spec["trial"], "lr": args.lr, "max_grad_calls": args.budget, "device": "cpu"}
    rows = [["optimizer", "seed", "FID running", "FID batch", "running - batch"]]
    diffs: dict[str, list[float]] = {}
    for optimizer in args.optimizers:
        for seed in args.seeds:
            cfg = TrialConfig(**{**base, "optimizer": optimizer, "seed": seed})
            trial = final_generator(cfg)
            fid = {mode: trial.evaluate(trial.G, trial.data, cfg.model_copy(update={"eval_bn": mode}),
                                        trial.device)["score"] for mode in ("running", "batch")}
            diff = fid["running"] - fid["batch"]
            diffs.setdefault(optimizer, []).append(diff)
            rows.append([optimizer, str(seed), f"{fid['running']:.1f}", f"{fid['batch']:.1f}", f"{diff:+.1f}"])
            print(f"{optimizer} seed {seed}: running {fid['running']:.1f}, batch {fid['batch']:.1f}", flush=True)
    for optimizer, values in diffs.items():
        spread = statistics.stdev(values) if len(values) > 1 else float("nan")
        rows.append([optimizer, "mean", "", "", f"{statistics.mean(values):+.1f} (sd {spread:.1f})"])
    # Scores depend on the CPU kernels (reduction order), so the table says what ran it.
    print(f"\ndigits, DCGAN (width 0.25), lr {args.lr:g}, {args.budget} gradient calls, FID in classifier features;"
          f" torch {torch.__version__}, 1 thread, {torch.backends.cpu.get_cpu_capability()} kernels")
    print_table(rows)


if __name__ == "__main__":
    main()
