"""Equal-budget hyperparameter search with Optuna (TPE) through Ray Tune's ``OptunaSearch``.

Every method gets the same number of trials over the same prior, seeded, with its published
default settings enqueued as the first trial: the "tuned" baseline the one-shot gap compares
against. Early-stopping schedulers stay off: FID and the toy scores are not monotone in training.
"""
from __future__ import annotations

import re
from typing import Any

from analysis.manifest import Experiment
from study.spec import Distribution, StudySpec
from trainables.config import TrialConfig, method_defaults, reads
from trainables.metrics.evaluate import SCORE_MODES
from trainables.registry import DATASETS


def distributions(space: dict[str, Distribution]) -> dict[str, Any]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out = {}
    for key, d in space.items():
        if d.choices is not None:
            out[key] = CategoricalDistribution(d.choices)
        elif d.integer:
            out[key] = IntDistribution(int(d.low), int(d.high), log=d.log)
        else:
            out[key] = FloatDistribution(d.low, d.high, log=d.log)
    return out


def default_points(space: dict[str, Distribution], cfg: TrialConfig) -> list[dict[str, Any]]:
    """The method's published default -- every searched setting at once -- as the first trial.

    Searched settings the method has a published value for take it (``lr`` from the optimizer,
    ``gp_lambda`` from the gradient penalty, ...); the others take the trial's own value, i.e. the
    config's default. Ray's OptunaSearch wants a point that covers the whole space, and a point
    outside the prior cannot be enqueued: then there is no default trial (the report says so)."""
    published = method_defaults(cfg)
    if "lr" not in published:  # no published learning rate: no default to enqueue
        return []
    point = {}
    for key, dist in space.items():
        value = published.get(key, getattr(cfg, key))
        inside = (value in dist.choices if dist.choices is not None
                  else value is not None and dist.low <= value <= dist.high)
        if not inside:
            return []
        point[key] = value
    return [point]


def experiments(spec: StudySpec) -> list[Experiment]:
    """One search experiment per grid combination (a method in an environment)."""
    out = []
    for cfg in spec.trial_configs():
        # a method searches only the settings it reads: the others would repeat identical trials
        space = {k: d for k, d in spec.search.space.items() if reads(cfg, k)}
        fixed = {k: v for k, v in cfg.model_dump().items() if k not in space}
        combo = "-".join(str(getattr(cfg, k)) for k in spec.grid) or "all"
        name = "optuna-" + re.sub(r"[^A-Za-z0-9_.+-]", "_", combo)
        if any(e.name == name for e in out):  # two values that read the same once made folder-safe
            name += f"-{len(out)}"
        out.append(Experiment(
            name=name,
            kind="optuna",
            fixed=fixed,
            budget=spec.search.trials_per_method,
            seed=spec.search.seed,
            mode=SCORE_MODES[DATASETS.get(cfg.dataset).kind],  # the score's own direction
            space={k: d.model_dump() for k, d in space.items()},
            points=default_points(space, cfg),
            resources=spec.resources.model_dump(),
            max_failures=spec.max_failures,
        ))
    return out


def searcher(experiment: Experiment):
    from optuna.samplers import TPESampler
    from ray.tune.search.optuna import OptunaSearch

    space = {k: Distribution(**d) for k, d in experiment.space.items()}
    return OptunaSearch(space=distributions(space), metric="score", mode=experiment.mode,
                        points_to_evaluate=experiment.points or None,
                        sampler=TPESampler(seed=experiment.seed))
