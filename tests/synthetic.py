"""Fabricate experiment folders with known answers, in the layout Ray Tune and ganstudy write."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable

from analysis.keys import config_key

BASE = {"dataset": "ring8", "arch": "mlp", "loss": "wgan", "lr_g": None, "lr_d": None}


def write_experiment(root: Path, configs: Iterable[dict], outcome: Callable[[dict], tuple | None],
                     defaults: dict[str, float | None], evals: int = 2) -> Path:
    """``outcome(config)`` -> (status, final score) or None for a trial that never started."""
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, cfg in enumerate(configs):
        config = {**BASE, **cfg}
        key = config_key(config)
        entries.append({"key": key, "config": config})
        result = outcome(config)
        if result is None:
            continue
        status, score = result
        trial = root / f"trial_{i:05d}"
        trial.mkdir()
        (trial / "params.json").write_text(json.dumps(config))
        lines = []
        for e in range(1, evals + 1):
            last = e == evals
            record = {"iteration": 100 * e, "score": score if last else score * 2, "score_name": "energy",
                      "score_mode": "min", "status": status if last else "running", "finished": last,
                      "best_score": score, "best_iteration": 100 * evals, "grad_calls": 600 * e,
                      "wall_time_s": 1.0 * e, "protocol": "toy-ring8:n=2500", "modes": 8.0,
                      "d_loss": 0.1, "g_loss": -0.1, "config": config, "done": False,
                      "training_iteration": e, "trial_id": f"t{i}"}
            if status == "error" and last:
                break
            lines.append(json.dumps(record))
        (trial / "result.json").write_text("\n".join(lines) + "\n")
        if status == "error":
            (trial / "error.txt").write_text("boom")
    manifest = {"spec": {"name": root.name, "description": ""}, "trials": entries,
                "optimizers": {k: {"default_lr": v, "source": ""} for k, v in defaults.items()}}
    (root / "ganstudy.json").write_text(json.dumps(manifest))
    return root


def grid(optimizers, lrs, seeds, regularizers=("none",)):
    return [{"optimizer": o, "regularizer": r, "lr": lr, "seed": s}
            for o in optimizers for r in regularizers for lr in lrs for s in seeds]
