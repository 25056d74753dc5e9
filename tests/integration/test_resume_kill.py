"""Kill the driver (SIGKILL, with its local Ray) mid-study; `ganstudy resume` finishes the study.

Completed trials are not re-run, interrupted ones continue from their last checkpoint, no report is
written twice, and the report has every grid point exactly once. The same for populations, whose
resumed members end bit-identical to an uninterrupted population's.
"""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.running import ROOT, ganstudy_process, kill_when, uninterrupted_population_scores

SPEC = """
name: killme
trial: {dataset: ring8, width: 32, depth: 2, batch_size: 64, iterations: 400, eval_every: 50, eval_samples: 300}
grid: {optimizer: [adam], lr: [1.0e-4, 3.0e-4, 1.0e-3], seed: [0, 1]}
resources: {cpu: 1, gpu: 0}
population: {max_members: %d}
"""


def _reports(result_json: Path) -> list[dict]:
    return [json.loads(line) for line in result_json.read_text().splitlines() if line.strip()]


def _iterations(result_json: Path) -> list[int]:
    return [r["iteration"] for r in _reports(result_json)]


def _log_a_report_ahead_of_the_checkpoint(result_json: Path) -> None:
    """What a kill between Tune's logging of a report and its saving of the experiment state leaves
    (seen in about 2 of 5 runs against a bucket): a report in ``result.json`` that the restored
    checkpoint does not reach. Written here so that every run of this test meets it."""
    last = _reports(result_json)[-1]
    ahead = {**last, "iteration": last["iteration"] + 50, "training_iteration": last["training_iteration"] + 1}
    with result_json.open("a") as f:
        f.write(json.dumps(ahead) + "\n")


@pytest.mark.parametrize("members", [1, 3], ids=["alone", "populations"])
def test_resume_after_sigkill_finishes_without_rerunning(tmp_path, members):
    spec = tmp_path / "killme.yaml"
    spec.write_text(SPEC % members)
    study = tmp_path / "results" / "killme"
    # a trial's reports: its own result.json, or a population member's in member_<i>/
    pattern = "grid/trial_*/result.json" if members == 1 else "grid/trial_*/member_*/result.json"

    def runs() -> dict[str, list[int]]:
        return {p.parent.relative_to(study).as_posix(): _iterations(p) for p in study.glob(pattern)}

    def ready() -> bool:  # alone: one trial finished and one part-way; populations: one part-way
        its = [i for i in runs().values() if i]
        partway = any(i[-1] < 400 for i in its)
        return partway and (members > 1 or any(i[-1] == 400 for i in its))

    driver = ganstudy_process("run", str(spec), "--storage", str(tmp_path / "results"))
    kill_when(driver, ready, timeout_s=240, poll_s=0.2)
    before = runs()
    interrupted = [n for n, its in before.items() if its and its[-1] < 400]
    assert interrupted
    for name in interrupted:
        _log_a_report_ahead_of_the_checkpoint(study / name / "result.json")

    resumed = ganstudy_process("resume", str(study))
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()

    after = runs()
    for name, its in before.items():
        if its and its[-1] == 400:
            assert after[name] == its, f"{name} finished before the kill and must not run again"
        assert after[name] == sorted(set(after[name])), f"{name} has a report twice: {after[name]}"
        assert after[name][: len(its)] == its and after[name][-1] == 400
    for name in interrupted:  # continued from a checkpoint: Tune counts its iterations since then anew
        reports = _reports(study / name / "result.json")
        assert any(r["iterations_since_restore"] < r["training_iteration"] for r in reports), \
            f"{name} restarted from scratch instead of continuing"

    assert subprocess.run([sys.executable, "-m", "study.cli", "report", str(study)], cwd=ROOT).returncode == 0
    trials = pd.read_csv(study / "report" / "trials.csv", float_precision="round_trip")
    assert len(trials) == 6 and trials["key"].is_unique
    assert (trials["status"] == "ok").all() and (trials["iterations_done"] == 400).all()
    if members > 1:  # a resumed population is the population that was never interrupted
        whole = uninterrupted_population_scores(study)
        assert len(whole) == 6
        for key, score, calls in zip(trials["key"], trials["final_score"], trials["grad_calls"]):
            assert (score, calls) == whole[key]


def test_a_result_log_is_cut_back_to_the_checkpoint_and_loses_a_torn_line(tmp_path):
    from study.result_log import cut_to_iteration

    log = tmp_path / "result.json"
    lines = [json.dumps({"training_iteration": i, "iteration": 50 * i}) for i in (1, 2, 3)]
    log.write_text("\n".join(lines) + '\n{"training_iteration": 4, "itera')
    assert cut_to_iteration(log, 2) == 2 and log.read_text() == "".join(f"{x}\n" for x in lines[:2])
    assert cut_to_iteration(log, 2) == 0 and cut_to_iteration(log, 0) == 2 and log.read_text() == ""
    assert cut_to_iteration(tmp_path / "missing.json", 0) is None
