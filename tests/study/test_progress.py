"""The live progress line: best score so far per method, never comparing two environments' scores."""
from types import SimpleNamespace

from study.progress import StudyProgress


def _trial(dataset, optimizer, status="TERMINATED"):
    return SimpleNamespace(config={"dataset": dataset, "optimizer": optimizer, "regularizer": "none"},
                           status=status, last_result={"status": "ok"}, trial_id=f"{dataset}-{optimizer}")


def test_best_scores_are_kept_per_environment():
    progress = StudyProgress("UNUSED", label="grid", total=4)
    trials = [_trial("ring8", "adam"), _trial("ring8", "acgd"), _trial("digits", "adam"), _trial("digits", "acgd")]
    results = [(0, 0.01, "energy"), (1, 0.02, "energy"), (2, 80.0, "fid"), (3, 60.0, "fid"), (0, 0.5, "energy")]
    for i, score, name in results:
        progress.on_trial_result(0, trials, trials[i], {"score": score, "score_mode": "min", "score_name": name})
    line = progress.line(trials)
    assert "digits fid: acgd+none 60, adam+none 80" in line
    assert "ring8 energy: adam+none 0.01, acgd+none 0.02" in line
    assert line.startswith("grid: 4/4 done (0 diverged)")


def test_a_populations_members_count_one_by_one():
    progress = StudyProgress("UNUSED", label="grid", total=1)
    member = {"dataset": "ring8", "optimizer": "adam", "regularizer": "gp"}
    population = SimpleNamespace(config={"members": [{**member, "seed": 0}, {**member, "seed": 1}]},
                                 status="RUNNING", last_result={}, trial_id="p")
    progress.on_trial_result(0, [population], population, {"members": {
        "0": {"score": 0.3, "score_mode": "min", "score_name": "energy", "status": "running"},
        "1": {"score": 9.0, "score_mode": "min", "score_name": "energy", "status": "diverged"}}})
    progress.on_trial_result(0, [population], population, {"members": {
        "0": {"score": 0.1, "score_mode": "min", "score_name": "energy", "status": "ok"}}})
    line = progress.line([population])
    assert line.startswith("grid: 0/1 done (1 diverged), 1 running")
    assert line.endswith("best energy: adam+gp 0.1")
