"""Fabricate experiment folders with known answers, in the layout Ray Tune and ganstudy write.

Each trial folder holds ``params.json`` (the config) and ``result.json`` (one JSON line per
evaluation, Ray's bookkeeping fields included); the study folder holds ``ganstudy.json`` (the
manifest: expected trials and the optimizers' published defaults). ``outcome(config)`` decides a
trial's fate: ``(status, final score)``, or ``None`` for a trial that never started.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable, Optional

from analysis.keys import config_key

BASE = {"dataset": "ring8", "arch": "mlp", "loss": "wgan", "lr_g": None, "lr_d": None}
# the full config of a real trial (studies/quick.yaml): a realistic width for benchmarks
REAL_BASE = {"dataset": "ring8", "arch": "mlp", "loss": "wgan", "regularizer": "none", "optimizer": "adam",
             "width": 64, "depth": 2, "z_dim": 2, "spectral_norm": False, "lr": 1e-4, "lr_g": None, "lr_d": None,
             "beta1": 0.5, "beta2": 0.9, "n_critic": 5, "batch_size": 128, "cg_tol": 1e-10, "cg_atol": 1e-16,
             "cg_max_iter": 100, "acgd_beta": 0.99, "acgd_eps": 1e-05, "gp_lambda": 10.0, "iterations": 600,
             "eval_every": 150, "eval_samples": 2500, "diverge_loss": 1e6, "seed": 0, "device": "auto"}


def _record(config: dict, i: int, e: int, evals: int, status: str, score: float, cost: float,
            mode: str = "min") -> dict:
    last = e == evals
    earlier = score * 2 if mode == "min" else score / 2  # training improves towards the final score
    return {"d_loss": 0.1, "g_loss": -0.1, "modes": 8.0, "hq": 0.9, "kl": 0.01, "energy": score,
            "score": score if last else earlier, "score_name": "energy" if mode == "min" else "is",
            "score_mode": mode,
            "protocol": "toy-ring8:n=2500", "iteration": 100 * e, "status": status if last else "running",
            "finished": last, "best_score": score, "best_iteration": 100 * evals,
            "grad_calls": int(600 * e * cost), "wall_time_s": 1.0 * e * cost, "timestamp": 1795596293 + e,
            "checkpoint_dir_name": f"checkpoint_{e:06d}", "should_checkpoint": True, "done": False,
            "training_iteration": e, "trial_id": f"t{i}", "date": "2026-11-25_08-44-53", "time_this_iter_s": 1.0,
            "time_total_s": 1.0 * e, "pid": 1, "hostname": "vm", "node_ip": "192.0.2.2", "config": config,
            "time_since_restore": 1.0 * e, "iterations_since_restore": e}


def write_experiment(root: Path, configs: Iterable[dict], outcome: Callable[[dict], Optional[tuple]],
                     defaults: dict[str, Optional[float]], evals: int = 2, base: Optional[dict] = None,
                     cost: Callable[[dict], float] = lambda config: 1.0, mode: str = "min") -> Path:
    """Write a study folder; ``cost(config)`` scales the trial's gradient calls and wall time;
    ``mode="max"`` makes higher scores better (an Inception-Score-like metric)."""
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, cfg in enumerate(configs):
        config = {**(BASE if base is None else base), **cfg}
        key = config_key(config)
        entries.append({"key": key, "config": config})
        result = outcome(config)
        if result is None:
            continue
        status, score, *stopped = result  # optional third item: evaluations reached (a diverged trial stops early)
        trial_evals = stopped[0] if stopped else evals
        trial = root / f"trial_{i:05d}"
        trial.mkdir()
        (trial / "params.json").write_text(json.dumps(config))
        n_lines = trial_evals - 1 if status == "error" else trial_evals  # an errored trial dies before its last report
        lines = [json.dumps(_record(config, i, e, trial_evals, status, score, cost(config), mode))
                 for e in range(1, n_lines + 1)]
        (trial / "result.json").write_text("\n".join(lines) + ("\n" if lines else ""))
        if status == "error":
            (trial / "error.txt").write_text("boom")
    manifest = {"spec": {"name": root.name, "description": ""}, "trials": entries,
                "optimizers": {k: {"default_lr": v, "source": ""} for k, v in defaults.items()}}
    (root / "ganstudy.json").write_text(json.dumps(manifest))
    return root


def grid(optimizers, lrs, seeds, regularizers=("none",), **fixed):
    return [{"optimizer": o, "regularizer": r, "lr": lr, "seed": s, **fixed}
            for o in optimizers for r in regularizers for lr in lrs for s in seeds]


def grid_2d(optimizers, lrs_g, lrs_d, seeds, regularizers=("none",), **fixed):
    """lr_G x lr_D sweep (``lr`` fixed, overridden by both players' rates)."""
    return [{"optimizer": o, "regularizer": r, "lr": 1e-3, "lr_g": g, "lr_d": d, "seed": s, **fixed}
            for o in optimizers for r in regularizers for g in lrs_g for d in lrs_d for s in seeds]
