"""Time ``write_report`` on a synthetic study of 10,000 trials x 20 evaluations (target: < 30 s).

The study mimics a real one: full trial configs in every ``result.json`` line (as Ray writes them),
4 environments (2 datasets x 2 architectures), 5 methods, a 10 x 10 lr_G x lr_D grid and 5 seeds,
with a smooth score landscape, seed noise and divergence at large learning rates. So every part of
the report runs: collection of 10,000 folders, the tidy table (parquet + CSV), bootstrap intervals,
2-D robustness regions, expected-best curves, IQM, Phi, fANOVA (20 forest fits) and all figures.
Generating the folder is not timed; it is kept under ``--root`` for reruns.

    python benchmarks/bench_report.py [--root /tmp/bench_report] [--trials-scale 1.0]
"""
from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from analysis.report import write_report  # noqa: E402
from tests.synthetic import REAL_BASE, write_experiment  # noqa: E402

METHODS = [("adam", "none"), ("adam", "gp"), ("acgd", "none"), ("acgd", "gp"), ("gda", "none")]
DEFAULTS = {"adam": 1e-4, "acgd": 1e-4, "gda": None}
COST = {"adam": 1.0, "acgd": 2.5, "gda": 0.8}


def configs(n_lr: int, seeds: int):
    lrs = 10.0 ** np.linspace(-5.5, -1.0, n_lr)  # half-decade steps through the defaults (1e-4)
    for dataset in ("ring8", "grid25"):
        for arch in ("mlp", "mlp_wide"):
            for optimizer, regularizer in METHODS:
                for g in lrs:
                    for d in lrs:
                        for seed in range(seeds):
                            yield {"dataset": dataset, "arch": arch, "optimizer": optimizer,
                                   "regularizer": regularizer, "lr": 1e-4, "lr_g": float(g), "lr_d": float(d),
                                   "seed": seed}


def outcome(config: dict):
    """A bowl in log-lr space; ACGD's is wider, GDA diverges above 1e-2, seed noise ~5%."""
    rng = np.random.default_rng(zlib.crc32(repr(sorted(config.items())).encode()))  # same on every run
    centre = {"adam": -3.5, "acgd": -3.0, "gda": -4.0}[config["optimizer"]]
    width = {"adam": 0.8, "acgd": 1.6, "gda": 0.6}[config["optimizer"]]
    lg, ld = math.log10(config["lr_g"]), math.log10(config["lr_d"])
    if config["optimizer"] == "gda" and max(lg, ld) > -2:
        return "diverged", 10.0
    base = 0.05 + 0.02 * (config["regularizer"] == "gp") + 0.03 * (config["dataset"] == "grid25")
    score = base * (1 + ((lg - centre) ** 2 + (ld - centre) ** 2) / width ** 2)
    return "ok", float(min(score * (1 + 0.05 * rng.standard_normal()), 10.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/bench_report"))
    parser.add_argument("--evals", type=int, default=20)
    parser.add_argument("--fresh", action="store_true", help="regenerate the synthetic study")
    args = parser.parse_args()
    experiment = args.root / "study"
    if args.fresh and args.root.exists():
        shutil.rmtree(args.root)
    if not (experiment / "ganstudy.json").is_file():
        t0 = time.perf_counter()
        write_experiment(experiment, configs(10, 5), outcome, DEFAULTS, evals=args.evals, base=REAL_BASE,
                         cost=lambda c: COST[c["optimizer"]])
        print(f"generated {experiment} in {time.perf_counter() - t0:.1f} s (not timed)")
    out = args.root / "report"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    write_report(experiment, out)
    elapsed = time.perf_counter() - t0
    n_trials = sum(1 for _ in experiment.glob("trial_*"))
    print(f"report for {n_trials} trials x {args.evals} evaluations: {elapsed:.1f} s "
          f"(target < 30 s) -> {out / 'report.md'}")


if __name__ == "__main__":
    main()
