"""MLflow tracking against a real local MLflow file store, and the TensorBoard hint.

A study with ``tracking: {mlflow: URI}`` gets one MLflow run per trial, tagged with the study and
the trial's config hash, with its config as parameters and its metrics at every report; the same
when the trials train together as a population.
"""
import json

import pytest

from study.cli import main

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

SPEC = """
name: track
trial: {dataset: ring8, width: 16, depth: 1, batch_size: 32, iterations: 20, eval_every: 10, eval_samples: 200}
grid: {optimizer: [adam], lr: [1.0e-3, 1.0e-2], seed: [0]}
resources: {cpu: 1, gpu: 0}
tracking: {mlflow: URI}
"""


@pytest.fixture(scope="module", params=[1, 2], ids=["alone", "populations"])
def tracked(ray_local, tmp_path_factory, request):
    root = tmp_path_factory.mktemp("tracked")
    uri = (root / "mlruns").as_uri()
    spec = root / "track.yaml"
    spec.write_text(SPEC.replace("URI", uri) + f"population: {{max_members: {request.param}}}\n")
    with pytest.MonkeyPatch.context() as mp:
        # MLflow 3 keeps file stores in maintenance mode: an explicit opt-in, as docs/running.md says
        mp.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        code = main(["run", str(spec), "--storage", str(root / "results")])
    return code, uri, root / "results" / "track"


def test_every_trial_is_one_mlflow_run_with_its_config_and_metrics(tracked, monkeypatch):
    code, uri, study = tracked
    assert code == 0
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("track")
    runs = client.search_runs([experiment.experiment_id])
    expected = {t["key"]: t["config"] for t in json.loads((study / "ganstudy.json").read_text())["trials"]}
    assert len(runs) == 2
    assert {r.data.tags["ganstudy.key"] for r in runs} == set(expected)
    for run in runs:
        config = expected[run.data.tags["ganstudy.key"]]
        assert run.data.tags["ganstudy.study"] == "track" and run.data.tags["ganstudy.experiment"] == "grid"
        assert float(run.data.params["lr"]) == config["lr"] and run.data.params["optimizer"] == "adam"
        assert run.info.status == "FINISHED"
        history = client.get_metric_history(run.info.run_id, "score")
        assert sorted(m.step for m in history) == [1, 2]  # one value per report (training_iteration)
        assert "grad_calls" in run.data.metrics and "energy" in run.data.metrics


def test_a_resumed_trial_logs_into_its_existing_run(tracked, monkeypatch):
    from ray.tune.experiment import Trial

    from study.tracking import StudyMLflow

    code, uri, study = tracked
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(tracking_uri=uri)
    experiment_id = client.get_experiment_by_name("track").experiment_id
    before = {r.data.tags["ganstudy.key"]: r.info.run_id for r in client.search_runs([experiment_id])}
    manifest = json.loads((study / "ganstudy.json").read_text())
    configs = [t["config"] for t in manifest["trials"]]
    together = bool(manifest["experiments"][0]["populations"])
    callback = StudyMLflow(uri, study="track", experiment="grid")  # as Tune rebuilds it on resume
    callback.setup()
    trial = Trial("run_trial", config={"members": configs} if together else configs[0], trial_id="resumed", stub=True)
    callback.log_trial_start(trial)
    assert len(client.search_runs([experiment_id])) == 2, "a resumed trial must not open a second run"
    runs = [callback._member_runs[(trial, i)] for i in range(2)] if together else [callback._trial_runs[trial]]
    assert set(runs) <= set(before.values())


def test_the_tensorboard_hint_names_the_study_folder(ray_local, tmp_path, capfd):
    spec = tmp_path / "track.yaml"
    spec.write_text(SPEC.replace("tracking: {mlflow: URI}\n", "").replace("lr: [1.0e-3, 1.0e-2]", "lr: [1.0e-3]"))
    assert main(["run", str(spec), "--storage", str(tmp_path / "results")]) == 0
    out = capfd.readouterr().out
    study = tmp_path / "results" / "track"
    assert f"tensorboard --logdir {study}" in out
    assert "session_" not in out, "no hint may point into Ray's temporary session folder"
    assert list(study.glob("grid/trial_*/events.out.tfevents.*")), "the event files are in the study folder"


def test_an_unusable_mlflow_uri_is_exit_2_before_anything_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)  # MLflow 3 refuses a file store then
    spec = tmp_path / "track.yaml"
    spec.write_text(SPEC.replace("tracking: {mlflow: URI}\n", ""))
    uri = (tmp_path / "mlruns").as_uri()
    assert main(["run", str(spec), "--storage", str(tmp_path / "results"), "--mlflow", uri]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: --mlflow {uri}: MLflow at {uri} cannot be used")
    assert not (tmp_path / "results").exists()


def test_unknown_tracking_keys_are_refused(tmp_path, capsys):
    spec = tmp_path / "track.yaml"
    spec.write_text(SPEC.replace("tracking: {mlflow: URI}", "tracking: {wandb: x}"))
    assert main(["validate", str(spec)]) == 2
    assert "tracking" in capsys.readouterr().err
