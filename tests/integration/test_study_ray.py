"""A real (tiny) study through Ray Tune: run, report, resume, refuse to overwrite."""
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from study.cli import main
from tests.running import run_spec

SPEC = """
name: tiny
trial: {dataset: ring8, width: 16, depth: 1, batch_size: 32, iterations: 20, eval_every: 10, eval_samples: 200}
grid: {optimizer: [adam, acgd], lr: [1.0e-3, 1.0e+3], seed: [0]}
resources: {cpu: 1, gpu: 0}
"""


@pytest.fixture(scope="module")
def finished_study(ray_local, tmp_path_factory):
    return run_spec(tmp_path_factory.mktemp("study"), "tiny", SPEC)


def _result_lines(experiment):
    return {p.parent.name: len(p.read_text().splitlines()) for p in experiment.rglob("result.json")}


def test_study_runs_every_grid_point_and_reports(finished_study):
    _, experiment = finished_study
    assert (experiment / "ganstudy.json").is_file()
    assert main(["report", str(experiment)]) == 0
    trials = pd.read_csv(experiment / "report" / "trials.csv")
    assert len(trials) == 4
    assert set(trials["status"]) <= {"ok", "diverged"}
    huge = trials[trials["lr"] == 1e3]
    assert (huge["status"] == "diverged").all()  # an absurd step size diverges, and is counted
    sane = trials[trials["lr"] == 1e-3]
    assert (sane["status"] == "ok").all() and (sane["iterations_done"] == 20).all()
    assert (trials["grad_calls"] > 0).all()  # cost is counted, also for the step that diverged
    assert list(experiment.glob("grid/trial_*/checkpoint_*/state.pt")), "trials report with checkpoints"
    for name in ("summary.csv", "report.md", "score_vs_lr.png"):
        assert (experiment / "report" / name).is_file()


def test_each_trial_uses_exactly_the_cpus_it_was_given_and_records_them(finished_study):
    # Reduction order (and so the score) depends on the thread count: it must not come from the
    # worker's environment. The spec gives each trial 1 CPU.
    _, experiment = finished_study
    rows = [json.loads(line) for p in experiment.glob("grid/trial_*/result.json")
            for line in p.read_text().splitlines()]
    assert rows and {r["torch_threads"] for r in rows} == {1}
    assert all(r["cpu_capability"] for r in rows)


def test_run_into_an_existing_study_refuses_and_points_to_resume(finished_study, capsys):
    spec, experiment = finished_study
    before = _result_lines(experiment)
    assert main(["run", str(spec), "--storage", str(experiment.parent)]) == 2
    err = capsys.readouterr().err
    assert "`ganstudy resume`" in err and "`ganstudy extend`" in err
    assert _result_lines(experiment) == before


def test_resume_of_a_finished_study_reruns_nothing(finished_study):
    _, experiment = finished_study
    before = _result_lines(experiment)
    assert main(["resume", str(experiment)]) == 0
    assert _result_lines(experiment) == before


def test_extend_runs_only_the_new_grid_points_and_reports_the_union(finished_study, tmp_path):
    _, experiment = finished_study
    before = _result_lines(experiment)
    bigger = tmp_path / "bigger.yaml"
    # adds seed 1 for both optimizers at the sane lr; the four existing trials are matched by hash
    bigger.write_text(SPEC.replace("lr: [1.0e-3, 1.0e+3], seed: [0]", "lr: [1.0e-3], seed: [0, 1]"))
    assert main(["extend", str(experiment), str(bigger)]) == 0
    after = _result_lines(experiment)
    assert {k: after[k] for k in before} == before  # nothing re-run
    assert len(after) == len(before) + 2
    assert (experiment / "extend-1").is_dir()
    assert main(["extend", str(experiment), str(bigger)]) == 0  # idempotent: nothing left to add
    assert len(_result_lines(experiment)) == len(after)
    assert main(["report", str(experiment)]) == 0
    trials = pd.read_csv(experiment / "report" / "trials.csv")
    assert len(trials) == 6 and trials["key"].is_unique
    assert set(trials["status"]) <= {"ok", "diverged"}


def test_resources_beyond_the_local_ray_are_refused_before_writing(ray_local, tmp_path, capsys):
    spec = tmp_path / "greedy.yaml"
    spec.write_text(SPEC.replace("resources: {cpu: 1, gpu: 0}", "resources: {cpu: 64, gpu: 0}"))
    assert main(["run", str(spec), "--storage", str(tmp_path / "results")]) == 2
    assert "error: resources.cpu: a trial asks for 64" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without a GPU")
def test_errored_trials_make_the_run_exit_1_and_point_to_resume(ray_local, tmp_path, capsys):
    spec = tmp_path / "broken.yaml"  # valid, but the trials fail at run time: there is no GPU here
    spec.write_text(SPEC.replace("eval_samples: 200}", "eval_samples: 200, device: cuda}")
                    .replace("lr: [1.0e-3, 1.0e+3]", "lr: [1.0e-3]").replace("optimizer: [adam, acgd]",
                                                                            "optimizer: [adam]")
                    + "max_failures: 0\n")
    assert main(["run", str(spec), "--storage", str(tmp_path / "results")]) == 1
    err = capsys.readouterr().err
    assert "incomplete:" in err and "1 errored" in err and "ganstudy resume" in err
    named = re.search(r"why: (\S+/error\.txt)", err)
    assert named and Path(named.group(1)).is_file(), err  # the line names the file that says why
    assert main(["report", str(tmp_path / "results" / "tiny")]) == 0
    trials = pd.read_csv(tmp_path / "results" / "tiny" / "report" / "trials.csv")
    assert list(trials["status"]) == ["error"]
    assert trials.loc[0, "error"].startswith("RuntimeError: ")  # the exception line, not Ray's "Failure #" header
    report = (tmp_path / "results" / "tiny" / "report" / "report.md").read_text()
    assert f"1 × `{trials.loc[0, 'error']}`" in report
