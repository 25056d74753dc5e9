"""One trial without Ray: reports, divergence as a result, bit-identical resume."""
import math
import tempfile

import pytest
import torch

from trainables import checkpoint
from trainables.config import TrialConfig
from trainables.loop import Trial, train


def _run(cfg, stop_after=None):
    """Train, collecting reports; optionally keep the checkpoint written at iteration ``stop_after``."""
    reports, saved = [], {}

    def on_report(metrics, save):
        reports.append(metrics)
        if metrics["iteration"] == stop_after:
            with tempfile.TemporaryDirectory() as d:
                save(d)
                saved["state"] = checkpoint.load(d)

    final = train(cfg, on_report=on_report)
    return final, reports, saved.get("state")


def test_trial_reports_every_eval_every_and_counts_cost(tiny):
    final, reports, _ = _run(tiny)
    assert [r["iteration"] for r in reports] == [10, 20]
    assert final["status"] == "ok" and final["finished"] is True
    assert final["grad_calls"] == 20 * (5 * 1 + 1)  # adam: n_critic D gradients + one G gradient per iteration
    assert final["wall_time_s"] > 0
    assert math.isfinite(final["score"]) and final["score_name"] == "energy"
    assert final["best_score"] <= max(r["score"] for r in reports)


def test_same_seed_same_trial_other_seed_other_trial(tiny):
    a, b, c = train(tiny), train(tiny), train({**tiny, "seed": 1})
    assert a["score"] == b["score"]
    assert a["score"] != c["score"]


@pytest.mark.parametrize("optimizer", ["adam", "acgd"])
def test_explosion_is_a_diverged_result_with_the_worst_score(tiny, optimizer):
    cfg = {**tiny, "optimizer": optimizer, "lr": 1e3, "diverge_loss": 1e3, "iterations": 40}
    final = train(cfg)
    assert final["status"] == "diverged" and final["finished"] is True
    assert final["score"] == 10.0 and final["iteration"] < 40


@pytest.mark.parametrize("optimizer", ["adam", "acgd", "extra_adam"])
def test_resume_from_checkpoint_is_bit_identical(tiny, optimizer):
    cfg = {**tiny, "optimizer": optimizer, "regularizer": "gp", "iterations": 30}
    straight, straight_reports, state = _run(cfg, stop_after=10)
    resumed_final = train(cfg, resume=state)
    assert resumed_final["score"] == straight["score"]
    assert resumed_final["grad_calls"] == straight["grad_calls"]
    # and the parameters themselves (one trial at a time: they share the global RNG)
    reference = Trial(TrialConfig(**cfg))
    for _ in range(30):
        reference.step()
    again = Trial(TrialConfig(**cfg))
    again.restore(state)
    for _ in range(10, 30):
        again.step()
    for p, q in zip(reference.G.parameters(), again.G.parameters()):
        assert torch.equal(p, q)


def test_weights_overflowed_by_the_last_update_count_as_divergence(tiny):
    trial = Trial(TrialConfig(**{**tiny, "iterations": 10, "eval_every": 10}))
    for _ in range(10):
        trial.step()
    with torch.no_grad():  # what an overflowing final update leaves behind, with finite losses seen
        next(trial.G.parameters()).fill_(float("inf"))
    record = trial.record()
    assert record["status"] == "diverged" and record["score"] == 10.0
