"""Kill the driver (SIGKILL, with its local Ray) mid-study; `ganstudy resume` finishes the study.

Completed trials are not re-run, interrupted ones continue from their last checkpoint, and the
report has every grid point exactly once.
"""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.running import ROOT, ganstudy_process, kill_when

SPEC = """
name: killme
trial: {dataset: ring8, width: 32, depth: 2, batch_size: 64, iterations: 400, eval_every: 50, eval_samples: 300}
grid: {optimizer: [adam], lr: [1.0e-4, 3.0e-4, 1.0e-3], seed: [0, 1]}
resources: {cpu: 1, gpu: 0}
"""


def _iterations(result_json: Path) -> list[int]:
    return [json.loads(line)["iteration"] for line in result_json.read_text().splitlines() if line.strip()]


def test_resume_after_sigkill_finishes_without_rerunning(tmp_path):
    spec = tmp_path / "killme.yaml"
    spec.write_text(SPEC)
    study = tmp_path / "results" / "killme"
    driver = ganstudy_process("run", str(spec), "--storage", str(tmp_path / "results"))

    def one_finished_one_partway() -> bool:
        runs = [_iterations(p) for p in study.glob("grid/trial_*/result.json")]
        return any(its and its[-1] == 400 for its in runs) and any(its and its[-1] < 400 for its in runs)

    kill_when(driver, one_finished_one_partway, timeout_s=240, poll_s=0.2)
    before = {p.parent.name: _iterations(p) for p in study.glob("grid/trial_*/result.json")}

    resumed = ganstudy_process("resume", str(study))
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()

    after = {p.parent.name: _iterations(p) for p in study.glob("grid/trial_*/result.json")}
    for name, its in before.items():
        if its and its[-1] == 400:
            assert after[name] == its, f"{name} finished before the kill and must not run again"
        assert after[name][: len(its)] == its
        if len(after[name]) > len(its):  # continued from the last checkpoint (at worst one report back)
            assert after[name][len(its)] >= its[-1], f"{name} restarted instead of continuing"
    interrupted = [n for n, its in before.items() if its and its[-1] < 400]
    assert interrupted and all(after[n][-1] == 400 for n in interrupted)

    assert subprocess.run([sys.executable, "-m", "study.cli", "report", str(study)], cwd=ROOT).returncode == 0
    trials = pd.read_csv(study / "report" / "trials.csv")
    assert len(trials) == 6 and trials["key"].is_unique
    assert (trials["status"] == "ok").all() and (trials["iterations_done"] == 400).all()
