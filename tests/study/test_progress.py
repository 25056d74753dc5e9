"""The live progress line: best score so far per method, never comparing two environments' scores."""
from types import SimpleNamespace

from study.progress import StudyProgress


def _trial(dataset, optimizer, status="TERMINATED"):
    return SimpleNamespace(config={"dataset": dataset, "optimizer": optimizer, "regularizer": "none"},
                           status=status, last_result={"status": "ok"})


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
