"""Running, resuming and extending a study on Ray Tune.

A study folder ``STORAGE/NAME`` holds ``ganstudy.json`` (every expected trial and the Tune
experiments that run them), ``progress.log``, and one Tune experiment folder per launch: ``grid``
for ``ganstudy run``, ``extend-1``, ``extend-2``, ... for ``ganstudy extend``. Each Tune experiment
runs an explicit list of full trial configs (``points_to_evaluate``), so a restored experiment
never changes its search space and an extension runs only the configs the study lacks.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from study import manifest
from study.errors import UserError
from study.ray_setup import init_ray
from study.spec import StudySpec

GRID = "grid"


def _trainable(resources: dict[str, float]):
    from ray import tune

    from trainables.ray_trainable import run_trial

    return tune.with_resources(run_trial, {"cpu": resources["cpu"], "gpu": resources["gpu"]})


def _new_tuner(study_dir: Path, experiment: dict[str, Any], configs: list[dict[str, Any]]):
    from ray import tune
    from ray.tune.search.basic_variant import BasicVariantGenerator

    from study.progress import StudyProgress

    return tune.Tuner(
        _trainable(experiment["resources"]),
        param_space={key: None for key in configs[0]},
        tune_config=tune.TuneConfig(
            search_alg=BasicVariantGenerator(points_to_evaluate=configs), num_samples=len(configs),
            reuse_actors=True, trial_dirname_creator=lambda t: f"trial_{t.trial_id}"),
        run_config=tune.RunConfig(
            name=experiment["name"], storage_path=str(study_dir),
            failure_config=tune.FailureConfig(max_failures=experiment["max_failures"]),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=2),
            verbose=0,
            callbacks=[StudyProgress(study_dir / "progress.log", label=f"{study_dir.name}/{experiment['name']}")]),
    )


def _launch(study_dir: Path, experiment: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    from ray import tune

    path = study_dir / experiment["name"]
    if tune.Tuner.can_restore(str(path)):
        tuner = tune.Tuner.restore(str(path), trainable=_trainable(experiment["resources"]),
                                   resume_unfinished=True, resume_errored=True)
    else:  # never started (or stopped before Ray wrote its state): start it from the manifest
        wanted = set(experiment["keys"])
        tuner = _new_tuner(study_dir, experiment, [e["config"] for e in entries if e["key"] in wanted])
    tuner.fit()


def _experiment(name: str, spec: StudySpec, keys: list[str]) -> dict[str, Any]:
    return {"name": name, "keys": keys, "resources": spec.resources.model_dump(),
            "max_failures": spec.max_failures}


def run(spec: StudySpec, *, storage: Path, name: Optional[str] = None, address: Optional[str] = None) -> Path:
    study_dir = storage.resolve() / (name or spec.name)
    if study_dir.exists():
        raise UserError(str(study_dir), "study folder exists; finish it with `ganstudy resume`, add grid "
                                        "points with `ganstudy extend`, or choose another --name")
    data = manifest.build(spec)
    data["experiments"] = [_experiment(GRID, spec, [t["key"] for t in data["trials"]])]
    init_ray(address)
    manifest.write(study_dir, data)
    _launch(study_dir, data["experiments"][0], data["trials"])
    return study_dir


def _read(study_dir: Path) -> dict[str, Any]:
    if not (study_dir / manifest.FILENAME).is_file():
        raise UserError(str(study_dir), f"not a study folder (no {manifest.FILENAME})")
    return manifest.read(study_dir)


def resume(study_dir: Path, *, address: Optional[str] = None) -> Path:
    """Finish every Tune experiment of the study: completed trials stay, the rest continue."""
    study_dir = study_dir.resolve()
    data = _read(study_dir)
    init_ray(address)
    for experiment in data["experiments"]:
        _launch(study_dir, experiment, data["trials"])
    return study_dir


def extend(study_dir: Path, spec: StudySpec, *, address: Optional[str] = None) -> tuple[Path, int]:
    """Add the spec's grid points that the study lacks (matched by config hash) and run only those."""
    study_dir = study_dir.resolve()
    data = _read(study_dir)
    known = {t["key"] for t in data["trials"]}
    new = [t for t in manifest.trial_entries(spec) if t["key"] not in known]
    if not new:
        return study_dir, 0
    name = f"extend-{sum(e['name'].startswith('extend-') for e in data['experiments']) + 1}"
    experiment = _experiment(name, spec, [t["key"] for t in new])
    data["trials"] += new
    data["experiments"].append(experiment)
    data.setdefault("extensions", []).append({"experiment": name, "spec": spec.model_dump()})
    init_ray(address)
    manifest.write(study_dir, data)
    _launch(study_dir, experiment, data["trials"])
    return study_dir, len(new)
