"""Experiment tracking: every trial's config and metrics in MLflow, one MLflow run per trial (and per
member of a population).

Through Ray Tune's ``MLflowLoggerCallback`` (it runs on the driver, so a file store is written on
the machine that runs ``ganstudy``). The MLflow experiment is named after the study; each run is
tagged with the study, its Tune experiment and the trial's config hash (the ``key`` column of the
report), so a run in MLflow and a row of ``trials.csv`` are matched exactly. A trial continued by
``ganstudy resume`` logs into the run it started, not a new one.
"""
from __future__ import annotations

from ray.air.integrations.mlflow import MLflowLoggerCallback
from ray.tune.result import TRAINING_ITERATION

from analysis.keys import config_key
from study.errors import UserError
from study.populations import MEMBERS, is_population, member_folder, member_reports

STUDY_TAG, EXPERIMENT_TAG, KEY_TAG = "ganstudy.study", "ganstudy.experiment", "ganstudy.key"


def check(uri: str, where: str, study: str) -> None:
    """Reach the tracking store before anything starts (a ``UserError`` naming the URI if not)."""
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise UserError(where, "MLflow is not installed; pip install mlflow-skinny (or mlflow)") from None
    try:
        client = MlflowClient(tracking_uri=uri)
        if client.get_experiment_by_name(study) is None:
            client.create_experiment(study)
    except Exception as e:  # MlflowException, connection errors, a file store MLflow refuses
        text = str(e).strip().splitlines()
        raise UserError(where, f"MLflow at {uri} cannot be used: {text[0] if text else type(e).__name__}") from None


class StudyMLflow(MLflowLoggerCallback):
    """Ray's MLflow logger, with the study's tags on each run and one run per trial across resumes.
    A population's members get one run each, as if they had trained alone."""

    def __init__(self, uri: str, *, study: str, experiment: str):
        super().__init__(tracking_uri=uri, experiment_name=study,
                         tags={STUDY_TAG: study, EXPERIMENT_TAG: experiment})
        self.experiment = experiment
        self._member_runs: dict[tuple[object, int], str] = {}

    def log_trial_start(self, trial) -> None:
        if not is_population(trial.config):
            if trial not in self._trial_runs:
                self._trial_runs[trial] = self._run(trial.config, str(trial))
            return super().log_trial_start(trial)
        for index, config in enumerate(trial.config[MEMBERS]):
            if (trial, index) not in self._member_runs:
                run_id = self._member_runs[(trial, index)] = self._run(config, f"{trial}/{member_folder(index)}")
                self.mlflow_util.log_params(run_id=run_id, params_to_log=config)

    def log_trial_result(self, iteration: int, trial, result: dict) -> None:
        if not is_population(trial.config):
            return super().log_trial_result(iteration, trial, result)
        for index, _, record in member_reports(trial.config, result):
            self.mlflow_util.log_metrics(run_id=self._member_runs[(trial, index)], metrics_to_log=record,
                                         step=result[TRAINING_ITERATION])

    def log_trial_end(self, trial, failed: bool = False) -> None:
        if not is_population(trial.config):
            return super().log_trial_end(trial, failed)
        for index in range(len(trial.config[MEMBERS])):
            run_id = self._member_runs.pop((trial, index), None)
            if run_id is not None:
                self.mlflow_util.end_run(run_id=run_id, status="FAILED" if failed else "FINISHED")

    def _run(self, config: dict, name: str) -> str:
        """The run of the trial with this config: the one it started before a resume, or a new one."""
        key = config_key(config)
        run_id = self._existing_run(key)
        if run_id is None:
            tags = {**self.tags, "trial_name": name, KEY_TAG: key}
            run_id = self.mlflow_util.start_run(tags=tags, run_name=name).info.run_id
        return run_id

    def _existing_run(self, key: str) -> str | None:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=self.tracking_uri)
        runs = client.search_runs([self.mlflow_util.experiment_id],
                                  filter_string=f"tags.`{KEY_TAG}` = '{key}' and "
                                                f"tags.`{EXPERIMENT_TAG}` = '{self.experiment}'")
        if not runs:
            return None
        client.update_run(runs[0].info.run_id, status="RUNNING")  # continued by `ganstudy resume`
        return runs[0].info.run_id
