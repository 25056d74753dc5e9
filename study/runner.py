"""Running, resuming and extending a study on Ray Tune.

A study folder ``STORAGE/NAME`` holds ``ganstudy.json`` (every expected trial and the Tune
experiments that run them), ``progress.log``, and one Tune experiment folder per launch: ``grid``
for ``ganstudy run``, ``extend-1``, ``extend-2``, ... for ``ganstudy extend``, ``optuna-<method>``
for a search. Each grid experiment runs an explicit list of full trial configs (``points_to_evaluate``),
or of populations (a grid over lists of full configs: see ``study.populations``), so a restored
experiment never changes its search space and an extension runs only the configs the study lacks.
``ganstudy confirm`` adds ``confirm-1``, ``confirm-2``, ...: selected and default cells on fresh seeds.
"""
from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any

from analysis.keys import config_key
from analysis.manifest import Experiment, Extension, Manifest, TrialEntry
from study import manifest, populations
from study.errors import StudyIncomplete, UserError
from study.ray_setup import init_ray
from study.spec import NAME, PopulationSetting, StudySpec
from study.storage import LocalCopy, Location, location
from trainables.config import TrialConfig
from trainables.population.loop import CONTINUE_FROM

GRID = "grid"
PROGRESS_LOG_ENV = "GANSTUDY_PROGRESS_LOG"


def _trainable(resources: dict[str, float]):
    from ray import tune

    from trainables.ray_trainable import run_trial

    return tune.with_resources(run_trial, {"cpu": resources["cpu"], "gpu": resources["gpu"]})


def _run_config(study_dir: Location, experiment: Experiment, tracking: dict[str, Any]):
    from ray import tune

    from study.progress import StudyProgress
    from study.result_log import ResultLog

    callbacks = [StudyProgress(PROGRESS_LOG_ENV, label=experiment.name, total=experiment.size),
                 ResultLog()]  # in place of Tune's JSON logger: no report written twice on resume
    if tracking.get("mlflow"):
        from study.tracking import StudyMLflow

        callbacks.append(StudyMLflow(tracking["mlflow"], study=study_dir.name, experiment=experiment.name))
    return tune.RunConfig(
        name=experiment.name, **study_dir.for_tune(),
        failure_config=tune.FailureConfig(max_failures=experiment.max_failures),
        # in an object store Tune uploads its experiment state in the background: after a kill it can
        # name a checkpoint that pruning already deleted, and resume fails; keep them all there
        checkpoint_config=tune.CheckpointConfig(num_to_keep=2 if study_dir.is_local else None),
        verbose=0,
        callbacks=callbacks)


def _new_tuner(study_dir: Location, experiment: Experiment, data: Manifest):
    from ray import tune
    from ray.tune.search.basic_variant import BasicVariantGenerator

    from study.search import searcher

    configs = {e.key: e.config for e in data.trials}
    if experiment.kind == "optuna":
        param_space, search_alg, samples = experiment.fixed, searcher(experiment), experiment.budget
    elif experiment.populations:
        # a population's config is a list of whole configs, which Tune's preset points cannot hold
        # (they are merged into the space key by key): a grid over the populations, in order
        groups = [[configs[k] for k in keys] for keys in experiment.populations]
        param_space = {populations.MEMBERS: tune.grid_search(groups)}
        if experiment.continue_from:  # each population's own checkpoint, found by its first member
            start = {keys[0]: str(study_dir / rel)
                     for keys, rel in zip(experiment.populations, experiment.continue_from)}
            param_space[CONTINUE_FROM] = tune.sample_from(
                lambda config: start[config_key(config[populations.MEMBERS][0])])
        search_alg, samples = BasicVariantGenerator(), 1
    else:
        points = [configs[k] for k in experiment.keys]
        param_space = {key: None for key in points[0]}
        search_alg, samples = BasicVariantGenerator(points_to_evaluate=points), len(points)
    return tune.Tuner(
        _trainable(experiment.resources),
        param_space=param_space,
        tune_config=tune.TuneConfig(search_alg=search_alg, num_samples=samples, reuse_actors=True,
                                    trial_dirname_creator=lambda t: f"trial_{t.trial_id}"),
        run_config=_run_config(study_dir, experiment, data.tracking),
    )


def _launch(study_dir: Location, experiment: Experiment, data: Manifest):
    from ray import tune

    path = study_dir / experiment.name
    where = path.for_tune()
    if tune.Tuner.can_restore(where["storage_path"], storage_filesystem=where.get("storage_filesystem")):
        tuner = tune.Tuner.restore(where["storage_path"], trainable=_trainable(experiment.resources),
                                   resume_unfinished=True, resume_errored=True,
                                   storage_filesystem=where.get("storage_filesystem"))
    else:  # never started (or stopped before Ray wrote its state): start it from the manifest
        tuner = _new_tuner(study_dir, experiment, data)
    os.environ[PROGRESS_LOG_ENV] = str(study_dir)  # StudyProgress appends to progress.log there (driver)
    # the event files are in the trial folders of the study, not in Ray's session folder
    print(f"{experiment.name}: trials in {path}\n"
          f"TensorBoard: tensorboard --logdir {study_dir}", flush=True)
    return tuner.fit()  # returns normally on Ctrl-C and on errored trials: check completeness after


def unfinished(study_dir: Location) -> dict[str, int]:
    """Expected trials without a final score, by status (error, incomplete, pending)."""
    from analysis.ingest import collect

    with LocalCopy(study_dir) as local:
        trials = collect.load(local).trials
    if trials.empty:
        return {}
    return trials.loc[~trials["status"].isin(("ok", "diverged")), "status"].value_counts().to_dict()


def _require_finished(study_dir: Location, experiment: Experiment, results) -> None:
    short = experiment.size - len(results)
    left = sum(1 for r in results if not (r.metrics or {}).get("finished")) + max(short, 0)
    if left:
        # Tune writes each failure to error.txt in the trial's folder: name them, so the line says where to look
        error_files = [f"{r.path.replace(study_dir.path, str(study_dir), 1)}/error.txt"
                       for r in results if r.error is not None and r.path]
        raise StudyIncomplete(study_dir, experiment.name, left, results.num_errors, error_files)


def _experiment(name: str, entries: list[TrialEntry], setting: PopulationSetting, *, resources: dict[str, float],
                max_failures: int) -> Experiment:
    """A grid experiment of these trials, grouped into populations where ``setting`` lets them batch."""
    keys = {TrialConfig(**e.config): e.key for e in entries}
    groups = [[keys[cfg] for cfg in group] for group in populations.group(list(keys), setting)]
    return Experiment(name=name, kind="grid", keys=[e.key for e in entries],
                      populations=groups if any(len(g) > 1 for g in groups) else [],
                      resources=resources, max_failures=max_failures)


def _grid_experiment(name: str, spec: StudySpec, entries: list[TrialEntry]) -> Experiment:
    return _experiment(name, entries, spec.population, resources=spec.resources.model_dump(),
                       max_failures=spec.max_failures)


def _check_resources(spec: StudySpec, address: str | None) -> None:
    """On the local Ray a trial asking for more than the machine has would wait forever."""
    import ray

    if address is not None:  # an autoscaling cluster may add the nodes
        return
    have = ray.cluster_resources()
    for key, ray_key in (("cpu", "CPU"), ("gpu", "GPU")):
        want = getattr(spec.resources, key)
        if want > have.get(ray_key, 0):
            raise UserError(f"resources.{key}", f"a trial asks for {want:g} but this machine's Ray has "
                                                f"{have.get(ray_key, 0):g}")


def run(spec: StudySpec, *, storage: Path | str, name: str | None = None, address: str | None = None,
        mlflow: str | None = None) -> Location:
    if name is not None and not NAME.fullmatch(name):
        raise UserError(f"--name {name}", "use letters, digits, '_', '.', '-' (a folder name, no path)")
    root = location(storage, arg=f"--storage {storage}")
    root.check_reachable()  # endpoint, bucket, credentials: before anything starts
    study_dir = root / (name or spec.name)
    if study_dir.exists():
        raise UserError(str(study_dir), "study folder exists; finish it with `ganstudy resume`, add grid "
                                        "points with `ganstudy extend`, or choose another --name")
    data = manifest.build(spec)
    if spec.search.kind == "optuna":
        from study.search import experiments

        data.trials = []  # decided by the searches as they go; the report finds them in their folders
        data.experiments = experiments(spec)
    else:
        data.experiments = [_grid_experiment(GRID, spec, data.trials)]
    init_ray(address)
    _check_resources(spec, address)
    data.tracking = _tracking(spec.tracking.model_dump(), mlflow, study_dir.name)
    manifest.write(study_dir, data)
    _launch_all(study_dir, data)
    return study_dir


def _tracking(tracking: dict[str, Any], mlflow: str | None, study: str) -> dict[str, Any]:
    """The spec's trackers, ``--mlflow`` overriding, each reached before anything is written."""
    if mlflow is not None:
        tracking = {**tracking, "mlflow": mlflow}
    if tracking.get("mlflow"):
        from study import tracking as trackers

        where = f"--mlflow {mlflow}" if mlflow is not None else "tracking.mlflow"
        trackers.check(tracking["mlflow"], where, study)
    return tracking


def _launch_all(study_dir: Location, data: Manifest) -> None:
    for experiment in data.experiments:
        # interrupted or errored: stop here, `ganstudy resume` continues
        _require_finished(study_dir, experiment, _launch(study_dir, experiment, data))


def _read(study_dir: Location) -> Manifest:
    study_dir.check_reachable()
    if not study_dir.is_file(manifest.FILENAME):
        raise UserError(str(study_dir), f"not a study folder (no {manifest.FILENAME})")
    return manifest.read(study_dir)


def resume(study: str | Path, *, address: str | None = None) -> Location:
    """Finish every Tune experiment of the study: completed trials stay, the rest continue."""
    study_dir = location(study)
    data = _read(study_dir)
    init_ray(address)
    _launch_all(study_dir, data)
    return study_dir


def _grid_study(study: str | Path, refusal: str) -> tuple[Location, Manifest]:
    """A study folder and its manifest, refused with ``refusal`` when it holds a search."""
    study_dir = location(study)
    data = _read(study_dir)
    if any(e.kind == "optuna" for e in data.experiments):
        raise UserError(str(study_dir), refusal)
    return study_dir, data


def extend_budget(study: str | Path, max_grad_calls: int, *, address: str | None = None) -> tuple[Location, int]:
    """Continue every finished, budgeted trial of the study from its final checkpoint to
    ``max_grad_calls`` gradient calls (diverged trials stay as they are); the number continued."""
    if max_grad_calls < 1:
        raise UserError(f"--max-grad-calls {max_grad_calls}", "a budget is a positive number of gradient calls")
    study_dir, data = _grid_study(study, "--max-grad-calls continues grid trials; a search study has none")
    return study_dir, _continue(study_dir, data, {t.key: max_grad_calls for t in data.trials},
                                where="--max-grad-calls", address=address)


def _continue(study_dir: Location, data: Manifest, budgets: dict[str, int], *, where: str,
              address: str | None) -> int:
    """Continue the trials whose budget grows (key -> new ``max_grad_calls``) from their final checkpoints,
    as one new experiment; each population that trained them continues as a whole."""
    from analysis.ingest import collect

    configs = {t.key: t.config for t in data.trials}
    for key in budgets:
        if configs[key].get("max_grad_calls") is None:
            raise UserError(where, f"trial {key} runs by iterations (no max_grad_calls): only budgeted trials grow")
    budgets = {k: b for k, b in budgets.items() if b > configs[k]["max_grad_calls"]}
    if not budgets:
        return 0
    with LocalCopy(study_dir) as local:
        folder = collect.load(local)
    trials = folder.trials.set_index("key")
    left = trials.loc[list(budgets)]
    left = left[~left["status"].isin(("ok", "diverged"))]
    if not left.empty:
        raise UserError(str(study_dir), f"{len(left)} trial(s) are unfinished; run `ganstudy resume "
                                        f"{study_dir}` before growing their budget")
    final = folder.evals.drop_duplicates("key", keep="last").set_index("key")["checkpoint_dir_name"]
    groups, starts = _trained_together(trials, final, budgets)
    if not groups:
        return 0
    for group in groups:
        budget = max(budgets.get(k, 0) for k in group)  # members of one population share their budget
        for key in group:
            configs[key]["max_grad_calls"] = budget
    name = f"extend-{sum(e.name.startswith('extend-') for e in data.experiments) + 1}"
    experiment = Experiment(name=name, kind="grid", keys=[k for g in groups for k in g], populations=groups,
                            continue_from=starts, resources=data.experiments[0].resources,
                            max_failures=data.experiments[0].max_failures)
    data.experiments.append(experiment)
    data.extensions.append(Extension(experiment=name, spec={"max_grad_calls": sorted(set(budgets.values()))}))
    init_ray(address)  # (once per process: a no-op after extend's)
    manifest.write(study_dir, data)
    _require_finished(study_dir, experiment, _launch(study_dir, experiment, data))
    return len(experiment.keys)


def _trained_together(trials, final_checkpoint, budgets: dict[str, int]) -> tuple[list[list[str]], list[str]]:
    """The Tune trials that last trained the growing trials, as populations (keys in member order) with
    the final checkpoint of each (relative to the study folder); a population continues if any of its
    members finished ok."""
    folders: dict[str, dict[int, str]] = {}
    checkpoints: dict[str, str] = {}
    for key, row in trials.iterrows():
        # a member's checkpoint is its folder in its population's checkpoint (../checkpoint_N/member_i)
        checkpoint = posixpath.normpath(f"{row['trial_dir']}/{final_checkpoint[key]}")
        member = posixpath.basename(checkpoint).startswith("member_")
        folder = posixpath.dirname(posixpath.dirname(checkpoint) if member else checkpoint)
        index = int(posixpath.basename(checkpoint).split("_")[1]) if member else 0
        folders.setdefault(folder, {})[index] = key
        # the population's last checkpoint (Tune keeps it) holds every member, however early it finished
        checkpoints[folder] = max(checkpoints.get(folder, ""), posixpath.dirname(checkpoint) if member else checkpoint)
    groups, starts = [], []
    for folder, members in folders.items():
        keys = [members[i] for i in sorted(members)]
        if any(k in budgets and trials.loc[k, "status"] == "ok" for k in keys):
            groups.append(keys)
            starts.append(checkpoints[folder])
    return groups, starts


def extend(study: str | Path, spec: StudySpec, *, address: str | None = None,
           mlflow: str | None = None) -> tuple[Location, int]:
    """Add the spec's grid points that the study lacks (matched by config hash) and run only those;
    trials the study has, at a larger ``max_grad_calls`` in the spec, continue from their checkpoints."""
    study_dir = location(study)
    data = _read(study_dir)
    if spec.search.kind != "grid" or any(e.kind == "optuna" for e in data.experiments):
        raise UserError(str(study_dir), "extend adds grid points to grid studies; a search study grows by "
                                        "running a new study with a larger trials_per_method")
    known = {t.key: t.config for t in data.trials}
    entries = manifest.trial_entries(spec)
    new = [t for t in entries if t.key not in known]
    grown = {t.key: t.config["max_grad_calls"] for t in entries
             if t.key in known and (t.config["max_grad_calls"] or 0) > (known[t.key]["max_grad_calls"] or 0)}
    if not new and not grown:
        left = unfinished(study_dir)
        if left:
            raise UserError(str(study_dir), f"nothing new to add, but {sum(left.values())} trial(s) are "
                                            f"unfinished; run `ganstudy resume {study_dir}`")
        return study_dir, 0
    init_ray(address)
    _check_resources(spec, address)
    if new:
        name = f"extend-{sum(e.name.startswith('extend-') for e in data.experiments) + 1}"
        experiment = _grid_experiment(name, spec, new)
        data.trials += new
        data.experiments.append(experiment)
        data.extensions.append(Extension(experiment=name, spec=spec.model_dump()))
        tracking = spec.tracking.model_dump() if spec.tracking.mlflow else data.tracking
        data.tracking = _tracking(tracking, mlflow, study_dir.name)
        manifest.write(study_dir, data)
        _require_finished(study_dir, experiment, _launch(study_dir, experiment, data))
    continued = _continue(study_dir, data, grown, where=f"{study_dir}", address=address) if grown else 0
    return study_dir, len(new) + continued


CONFIRM = "confirm"


def confirm(study: str | Path, *, seeds: int, address: str | None = None) -> tuple[Location, list[int], int]:
    """Select, then confirm: score each method's default cell and the cell its grid selects on ``seeds``
    fresh seeds, as a new Tune experiment of the study (``confirm-N``, phase ``confirmation``), so that
    the tuned cell is chosen on some seeds and scored on others (Schmidt, Schneider & Hennig 2021;
    compare_gan's third phase). Returns the study, the fresh seeds and the number of new trials."""
    if seeds < 2:
        raise UserError(f"--seeds {seeds}", "at least 2 fresh seeds (an interval needs two)")
    study_dir, data = _grid_study(study, "confirm re-runs grid cells on fresh seeds; a search study has no cells")
    left = unfinished(study_dir)
    if left:
        raise UserError(str(study_dir), f"{sum(left.values())} trial(s) are unfinished; cells are selected on "
                                        f"finished trials: run `ganstudy resume {study_dir}` first")
    used = [int(t.config["seed"]) for t in data.trials if t.config.get("seed") is not None]
    fresh = list(range(max(used) + 1 if used else 0, (max(used) + 1 if used else 0) + seeds))
    configs = {t.key: t.config for t in data.trials}
    new: dict[str, Any] = {}
    for cell in _selected_cells(study_dir):
        for seed in fresh:  # the cell's config with a seed no trial of the study has used
            config = {**configs[cell["key"]], "seed": seed}
            new.setdefault(config_key(config), config)
    name = f"{CONFIRM}-{sum(e.phase == 'confirmation' for e in data.experiments) + 1}"
    first = data.experiments[0]
    # a cell's fresh seeds differ only in seed: they train together where the study's trials did
    setting = PopulationSetting(**data.spec.get("population", {}))
    entries = [TrialEntry(key=key, config=config) for key, config in new.items()]
    experiment = _experiment(name, entries, setting, resources=first.resources,
                             max_failures=first.max_failures).model_copy(update={"phase": "confirmation"})
    data.trials += entries
    data.experiments.append(experiment)
    init_ray(address)
    manifest.write(study_dir, data)
    _require_finished(study_dir, experiment, _launch(study_dir, experiment, data))
    return study_dir, fresh, len(new)


def _selected_cells(study_dir: Location) -> list[dict]:
    """Each method's default cell and its selected cell, chosen on the grid's finished trials."""
    from analysis.ingest import collect, tidy
    from analysis.ingest.defaults import Defaults
    from analysis.stats import cells

    with LocalCopy(study_dir) as local:
        exp = collect.load(local)
    trials = tidy.trials_table(tidy.from_experiment(exp), exp.config_columns)
    study = cells.build(trials, exp.config_columns, Defaults.from_manifest(exp.manifest), n_boot=1)
    return cells.to_confirm(study)
