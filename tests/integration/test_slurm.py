"""``cluster/slurm.sbatch`` on a real Slurm with two nodes (two slurmd on this machine): a tiny study
submitted with ``sbatch --nodes=2`` runs on the two-node Ray the job starts (both nodes join it), the
job's Ray refuses a driver without the job's token meanwhile, and the study reports.

The submission test is out of the default suite (about two minutes, and it needs root to install and
start Slurm through ``tests/local_slurm.sh``): ``pytest -m slurm tests/integration/test_slurm.py``. The script's
own refusals need no Slurm and run with the rest.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import pandas as pd
import pytest

from study.cli import main
from tests.running import ROOT

ACTIVE = ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING")  # a job in these states has not ended

SPEC = """
name: onslurm
trial: {dataset: ring8, width: 32, depth: 2, batch_size: 64, iterations: 300, eval_every: 50, eval_samples: 300}
grid: {optimizer: [adam, acgd], lr: [1.0e-3], seed: [0]}
resources: {cpu: 1, gpu: 0}
"""


@pytest.fixture(scope="module")
def slurm():
    """The two-node Slurm of tests/local_slurm.sh on this machine."""
    answers = shutil.which("sinfo") and subprocess.run(["scontrol", "ping"], capture_output=True).returncode == 0
    if not answers and os.geteuid() != 0:
        pytest.skip("no Slurm answers here, and starting one needs root")
    started = subprocess.run(["bash", str(ROOT / "tests" / "local_slurm.sh")], capture_output=True, text=True)
    assert started.returncode == 0, started.stderr


def _job_state(job: str) -> tuple[str, str]:
    """(JobState, ExitCode) as the controller reports them."""
    text = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True).stdout
    state = re.search(r"JobState=(\S+)", text)
    code = re.search(r"ExitCode=(\S+)", text)
    return (state.group(1) if state else "GONE"), (code.group(1) if code else "?")


def _wait_for(predicate, timeout_s: float, what: str):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


SBATCH = ROOT / "cluster" / "slurm.sbatch"


def test_the_script_without_a_ganstudy_command_is_exit_2_with_its_usage():
    done = subprocess.run(["bash", str(SBATCH)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and done.stderr.startswith("usage: sbatch"), done.stderr


def test_a_venv_without_ganstudy_is_exit_2_naming_it(tmp_path):
    done = subprocess.run(["bash", str(SBATCH), "run", "studies/quick.yaml", "--storage", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "GANSTUDY_VENV": str(tmp_path / "venv")})
    assert done.returncode == 2 and f"GANSTUDY_VENV={tmp_path / 'venv'}" in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slurm
def test_a_study_submitted_with_sbatch_runs_on_the_jobs_ray_and_reports(slurm, tmp_path):
    spec = tmp_path / "onslurm.yaml"
    spec.write_text(SPEC)
    log = tmp_path / "job.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}  # the job makes its own token
    submitted = subprocess.run(
        ["sbatch", "--parsable", f"--chdir={ROOT}", "--nodes=2", "--cpus-per-task=1", f"--output={log}",
         str(SBATCH), "run", str(spec), "--storage", str(tmp_path / "results")],
        capture_output=True, text=True, env=env)
    assert submitted.returncode == 0, submitted.stderr
    job = submitted.stdout.strip().split(";")[0]

    try:
        # while the study runs, its Ray refuses a driver that lacks the job's token
        head = _wait_for(lambda: log.is_file() and re.search(r"Ray head on \S+ \((\S+:\d+)\)", log.read_text()),
                         300, "the job's Ray head").group(1)
        _wait_for(lambda: "trials in" in log.read_text() or _job_state(job)[0] != "RUNNING", 300, "the driver")
        assert _job_state(job)[0] == "RUNNING", log.read_text()
        intruder = subprocess.run(
            [sys.executable, "-m", "study.cli", "run", str(spec), "--storage", str(tmp_path / "intruder"),
             "--address", head],
            capture_output=True, text=True, cwd=ROOT, env={**env, "HOME": str(tmp_path)}, timeout=60)
        assert intruder.returncode == 2, intruder.stderr
        assert "token" in intruder.stderr and intruder.stderr.strip().count("\n") == 0, intruder.stderr
        assert not (tmp_path / "intruder").exists()

        state, code = _wait_for(lambda: (s := _job_state(job))[0] not in ACTIVE and s,
                                600, "the job to end")
    finally:
        subprocess.run(["scancel", job], capture_output=True)
    assert (state, code) == ("COMPLETED", "0:0"), log.read_text()
    assert "study finished" in log.read_text() and "2 of 2 node(s) joined" in log.read_text()
    assert "2 node(s), 1 CPU(s)" in log.read_text()

    study = tmp_path / "results" / "onslurm"
    assert main(["report", str(study)]) == 0
    trials = pd.read_csv(study / "report" / "trials.csv")
    assert len(trials) == 2 and (trials["status"] == "ok").all() and (trials["iterations_done"] == 300).all()
