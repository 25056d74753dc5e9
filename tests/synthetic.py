"""Fabricate experiment folders with known answers, in the layout Ray Tune and ganstudy write.

Each trial folder holds ``params.json`` (the config) and ``result.json`` (one JSON line per
evaluation, Ray's bookkeeping fields included); the study folder holds ``ganstudy.json`` (the
manifest: expected trials and the optimizers' published defaults). ``outcome(config)`` decides a
trial's fate: ``(status, final score)``, or ``None`` for a trial that never started.

``defaults`` is either ``{optimizer: default_lr}`` (an older manifest) or, with ``contract=True``, the
manifest of the current contract is written: ``optimizers`` with their default *sets*, ``uses`` and
``competitive`` (``OPTIMIZERS`` below, names not listed there get ``{"lr": default_lr}``),
``regularizers`` and ``config_defaults``; records then carry ``budget_fraction`` (budgeted trials),
``solver_solves``/``solver_cap_hits`` and, on the final record, ``samples_file`` in its checkpoint folder.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from analysis.keys import config_key

BASE = {"dataset": "ring8", "arch": "mlp", "loss": "wgan", "lr_g": None, "lr_d": None}
# the full config of a real trial (studies/quick.yaml): a realistic width for benchmarks
REAL_BASE = {"dataset": "ring8", "arch": "mlp", "loss": "wgan", "regularizer": "none", "optimizer": "adam",
             "width": 64, "depth": 2, "z_dim": 2, "spectral_norm": False, "lr": 1e-4, "lr_g": None, "lr_d": None,
             "beta1": 0.5, "beta2": 0.9, "n_critic": 5, "batch_size": 128, "cg_tol": 1e-10, "cg_atol": 1e-16,
             "cg_max_iter": 100, "acgd_beta": 0.99, "acgd_eps": 1e-05, "gp_lambda": 10.0, "iterations": 600,
             "eval_every": 150, "eval_samples": 2500, "diverge_loss": 1e6, "seed": 0, "device": "auto"}


# what Ray Tune writes to a trial's error.txt: a header per failure, then the exception with its traceback
RAY_ERROR = ("Failure # 1 (occurred at 2026-12-04_10-00-00)\nray::ImplicitFunc.train() (pid=1, ip=127.0.0.1)\n"
             "  File \"loop.py\", line 1, in step\nRuntimeError: boom\n")

# the lead's registry, as the manifest writes it (trainables/components.py, trainables/regularizers)
OPTIMIZERS = {
    "adam": {"default_lr": 1e-4, "source": "WGAN-GP code", "competitive": False,
             "defaults": {"lr": 1e-4, "beta1": 0.5, "beta2": 0.9, "n_critic": 5},
             "uses": ["beta1", "beta2", "n_critic"]},
    "sgd": {"default_lr": None, "source": "alternating SGD", "competitive": False, "defaults": {},
            "uses": ["n_critic"]},
    "bcgd": {"default_lr": None, "source": "CGD", "competitive": True,
             "defaults": {"cg_tol": 1e-10, "cg_atol": 1e-16}, "uses": ["cg_tol", "cg_atol", "cg_max_iter"]},
    "acgd": {"default_lr": 1e-4, "source": "ICR", "competitive": True,
             "defaults": {"lr": 1e-4, "acgd_beta": 0.99, "acgd_eps": 1e-5, "cg_tol": 1e-10, "cg_atol": 1e-16},
             "uses": ["cg_tol", "cg_atol", "cg_max_iter", "acgd_beta", "acgd_eps"]},
    "gacgd": {"default_lr": 1e-3, "source": "CGDs 0.4.5", "competitive": True,
              "defaults": {"lr": 1e-3, "acgd_beta": 0.99, "acgd_eps": 1e-6, "cg_tol": 1e-5, "cg_atol": 1e-6},
              "uses": ["cg_tol", "cg_atol", "cg_max_iter", "acgd_beta", "acgd_eps"]},
}
REGULARIZERS = {"none": {"defaults": {}, "uses": [], "source": ""},
                "gp": {"defaults": {"gp_lambda": 10.0}, "uses": ["gp_lambda"], "source": "WGAN-GP"},
                "r1": {"defaults": {"r1_gamma": 10.0}, "uses": ["r1_gamma"], "source": "Mescheder 2018"},
                "advas": {"defaults": {"advas_gamma": 1.0}, "uses": ["advas_gamma"], "source": "AdvAs"},
                "brc": {"defaults": {}, "uses": ["brc_mu"], "source": "ours"}}
CONFIG_DEFAULTS = {**{k: v for k, v in REAL_BASE.items() if k not in ("seed",)}, "seed": 0, "gp_lambda": 10.0,
                   "r1_gamma": 10.0, "advas_gamma": 1.0, "brc_mu": 1.0, "acgd_eps": None, "cg_tol": None,
                   "cg_atol": None, "max_grad_calls": None, "eval_from": 1000}


def _record(config: dict, i: int, e: int, evals: int, status: str, score: float, cost: float,
            mode: str = "min", contract: bool = False, trajectory=None, cap_share: float = 0.0) -> dict:
    last = e == evals
    if trajectory is not None and not last:
        earlier = trajectory(config, e / evals)
    else:
        earlier = score * 2 if mode == "min" else score / 2  # training improves towards the final score
    extra = {}
    grad_calls = int(600 * e * cost)
    if contract:
        budget = config.get("max_grad_calls")
        if budget:
            grad_calls = int(budget * e / evals)
        extra["budget_fraction"] = grad_calls / budget if budget else None
        solves = 20 * e if OPTIMIZERS.get(config["optimizer"], {}).get("competitive") else 0
        extra.update(solver_solves=solves, solver_cap_hits=int(round(cap_share * solves)))
    return {**extra,"d_loss": 0.1, "g_loss": -0.1, "modes": 8.0, "hq": 0.9, "kl": 0.01, "energy": score,
            "score": score if last else earlier, "score_name": "energy" if mode == "min" else "is",
            "score_mode": mode,
            "protocol": "toy-ring8:n=2500", "iteration": 100 * e, "status": status if last else "running",
            "finished": last, "best_score": score, "best_iteration": 100 * evals,
            "grad_calls": grad_calls, "wall_time_s": 1.0 * e * cost, "timestamp": 1795596293 + 10 * i + e,
            "checkpoint_dir_name": f"checkpoint_{e:06d}", "should_checkpoint": True, "done": False,
            "training_iteration": e, "trial_id": f"t{i}", "date": "2026-11-25_08-44-53", "time_this_iter_s": 1.0,
            "time_total_s": 1.0 * e, "pid": 1, "hostname": "vm", "node_ip": "192.0.2.2", "config": config,
            "time_since_restore": 1.0 * e, "iterations_since_restore": e}


def write_samples(folder: Path, config: dict, kind: str) -> str:
    """The final record's picture: 2-D points (``samples.npz``) or an image grid (``samples.png``)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(config.get("seed", 0))
    if kind == "points":
        angles = rng.integers(0, 8, size=1200) * np.pi / 4
        reference = np.column_stack([np.cos(angles), np.sin(angles)]) * 2 + 0.05 * rng.normal(size=(1200, 2))
        samples = reference[:1100] + 0.3 * rng.normal(size=(1100, 2))
        np.savez(folder / "samples.npz", samples=samples, reference=reference)
        return "samples.npz"
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.imsave(folder / "samples.png", rng.random((8 * 8, 8 * 8)), cmap="gray")
    return "samples.png"


def write_experiment(root: Path, configs: Iterable[dict], outcome: Callable[[dict], tuple | None],
                     defaults: dict[str, float | None], evals: int = 2, base: dict | None = None,
                     cost: Callable[[dict], float] = lambda config: 1.0, mode: str = "min", contract: bool = False,
                     samples: str | None = None, trajectory: Callable[[dict, float], float] | None = None,
                     cap_share: Callable[[dict], float] = lambda config: 0.0, spec: dict | None = None) -> Path:
    """Write a study folder; ``cost(config)`` scales the trial's gradient calls and wall time;
    ``mode="max"`` makes higher scores better (an Inception-Score-like metric). ``contract=True``
    writes the current manifest and record fields (see the module docstring); ``samples`` ("points"
    or "images") stores the final record's samples; ``trajectory(config, fraction)`` gives the score
    at the evaluations before the last; ``cap_share(config)`` the share of solves at the cap; ``spec``
    adds to the manifest's spec (e.g. its ``analysis`` plan)."""
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
        records = [_record(config, i, e, trial_evals, status, score, cost(config), mode, contract, trajectory,
                           cap_share(config)) for e in range(1, n_lines + 1)]
        if samples and records and status != "error":
            final = records[-1]
            final["samples_file"] = write_samples(trial / final["checkpoint_dir_name"], config, samples)
        lines = [json.dumps(r) for r in records]
        (trial / "result.json").write_text("\n".join(lines) + ("\n" if lines else ""))
        if status == "error":
            (trial / "error.txt").write_text(RAY_ERROR)
    manifest = {"spec": {"name": root.name, "description": "", **(spec or {})}, "trials": entries,
                "optimizers": {k: {"default_lr": v, "source": ""} for k, v in defaults.items()}}
    if contract:
        manifest["optimizers"] = {k: OPTIMIZERS.get(k, {"default_lr": v, "source": "", "competitive": False,
                                                        "defaults": {"lr": v} if v is not None else {}, "uses": []})
                                  for k, v in defaults.items()}
        manifest.update(regularizers=REGULARIZERS, config_defaults=CONFIG_DEFAULTS)
    (root / "ganstudy.json").write_text(json.dumps(manifest))
    return root


def grid(optimizers, lrs, seeds, regularizers=("none",), **fixed):
    return [{"optimizer": o, "regularizer": r, "lr": lr, "seed": s, **fixed}
            for o in optimizers for r in regularizers for lr in lrs for s in seeds]


def grid_2d(optimizers, lrs_g, lrs_d, seeds, regularizers=("none",), **fixed):
    """lr_G x lr_D sweep (``lr`` fixed, overridden by both players' rates)."""
    return [{"optimizer": o, "regularizer": r, "lr": 1e-3, "lr_g": g, "lr_d": d, "seed": s, **fixed}
            for o in optimizers for r in regularizers for g in lrs_g for d in lrs_d for s in seeds]
