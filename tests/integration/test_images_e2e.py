"""The digits path end to end on tiny settings: train() with both image archs, resume, and `ganstudy trial`."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from trainables import checkpoint
from trainables.loop import train

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    """One cache for the module: the digits classifier is trained once (a few seconds) and reused."""
    return str(tmp_path_factory.mktemp("ganstudy-cache"))


def _tiny(cache: str, **over) -> dict:
    return {**dict(dataset="digits", arch="dcgan", loss="wgan", z_dim=8, width_mult=1 / 16, batch_size=16,
                   iterations=4, eval_every=2, eval_samples=50, cache_root=cache), **over}


@pytest.mark.parametrize("over", [
    dict(optimizer="adam", regularizer="gp"),
    dict(arch="resnet", spectral_norm=True, optimizer="acgd", regularizer="none"),
])
def test_digits_trial_reports_fid_is_kid_with_protocol(cache, over):
    reports = []
    final = train(_tiny(cache, **over), on_report=lambda m, save: reports.append(m))
    assert [r["iteration"] for r in reports] == [2, 4]
    assert final["status"] == "ok" and final["score_name"] == "fid" and final["score_mode"] == "min"
    assert all(math.isfinite(final[k]) for k in ("fid", "is_mean", "kid_mean", "real_is_mean", "extractor_acc"))
    assert final["extractor_acc"] > 0.9  # the digits classifier of record, not a toy
    assert final["protocol"].startswith("fidelity:classifier-") and final["protocol"].endswith(",n=50")
    assert ",ref=digits-16px-train-" in final["protocol"]
    assert final["best_score"] == min(r["score"] for r in reports)


def test_digits_resume_is_bit_identical_through_evaluations(cache):
    cfg = _tiny(cache, iterations=6)
    saved = {}

    def on_report(metrics, save):
        if metrics["iteration"] == 2:
            with tempfile.TemporaryDirectory() as d:
                save(d)
                saved["state"] = checkpoint.load(d)

    straight = train(cfg, on_report=on_report)
    resumed = train(cfg, resume=saved["state"])
    assert resumed["fid"] == straight["fid"] and resumed["kid_mean"] == straight["kid_mean"]


def test_digits_diverged_trial_gets_the_worst_fid(cache):
    final = train(_tiny(cache, lr=1e3, diverge_loss=1.0, iterations=20, eval_every=10))
    assert final["status"] == "diverged" and final["iteration"] < 20
    assert final["score"] == final["fid"] > 0 and final["is_mean"] == 1.0


def test_ganstudy_trial_runs_the_digits_study_spec(cache):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "study.cli", "trial", str(ROOT / "studies" / "digits.yaml"), "--json",
         "--set", "iterations=2", "--set", "eval_every=2", "--set", "eval_samples=50", "--set", "width_mult=0.0625",
         "--set", "batch_size=16", "--set", f"cache_root={cache}"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    final = json.loads(proc.stdout.strip().splitlines()[-1])
    assert final["status"] == "ok" and final["iteration"] == 2 and math.isfinite(final["fid"])
    assert final["protocol"].startswith("fidelity:classifier-") and final["protocol"].endswith(",n=50")
