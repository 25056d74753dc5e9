"""Running and resuming a study as one Ray Tune grid experiment.

The experiment folder ``STORAGE/NAME`` holds Ray's files (one folder per trial, with its reports and
checkpoints) and our ``ganstudy.json``; the report is computed from it alone.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from study import manifest
from study.errors import UserError
from study.ray_setup import init_ray
from study.spec import StudySpec


def _trainable(resources: dict[str, float]):
    from ray import tune

    from trainables.ray_trainable import run_trial

    return tune.with_resources(run_trial, {"cpu": resources["cpu"], "gpu": resources["gpu"]})


def _param_space(spec: StudySpec) -> dict[str, Any]:
    """Full configs (defaults filled in), with the grid entries as Tune grid searches."""
    from ray import tune

    fixed = spec.trial_configs()[0].model_dump()
    return {**fixed, **{k: tune.grid_search(list(v)) for k, v in spec.grid.items()}}


def _run_config(spec: StudySpec, storage: Path, name: str):
    from ray import tune

    return tune.RunConfig(
        name=name, storage_path=str(storage),
        failure_config=tune.FailureConfig(max_failures=spec.max_failures),
        checkpoint_config=tune.CheckpointConfig(num_to_keep=2),
        verbose=1,
    )


def run(spec: StudySpec, *, storage: Path, name: Optional[str] = None, address: Optional[str] = None) -> Path:
    from ray import tune

    name = name or spec.name
    experiment_dir = storage.resolve() / name
    if experiment_dir.exists():
        raise UserError(str(experiment_dir), "experiment folder exists; use `ganstudy resume` to finish it "
                                             "or choose another --name")
    init_ray(address)
    manifest.write(experiment_dir, manifest.build(spec))
    tuner = tune.Tuner(
        _trainable(spec.resources.model_dump()),
        param_space=_param_space(spec),
        tune_config=tune.TuneConfig(reuse_actors=True, trial_dirname_creator=lambda t: f"trial_{t.trial_id}"),
        run_config=_run_config(spec, storage.resolve(), name),
    )
    tuner.fit()
    return experiment_dir


def resume(experiment_dir: Path, *, address: Optional[str] = None) -> Path:
    from ray import tune

    experiment_dir = experiment_dir.resolve()
    if not (experiment_dir / manifest.FILENAME).is_file():
        raise UserError(str(experiment_dir), f"not a study folder (no {manifest.FILENAME})")
    spec = StudySpec(**manifest.read(experiment_dir)["spec"])
    init_ray(address)
    if not tune.Tuner.can_restore(str(experiment_dir)):
        raise UserError(str(experiment_dir), "Ray has no experiment state here yet (it stopped before the "
                                             "first trial started); start it again with `ganstudy run`")
    tuner = tune.Tuner.restore(str(experiment_dir), trainable=_trainable(spec.resources.model_dump()),
                               resume_unfinished=True, resume_errored=True)
    tuner.fit()
    return experiment_dir
