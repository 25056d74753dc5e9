"""Budgets that grow: evaluations at fixed gradient-call counts, and longer runs from checkpoints.

A trial run past a budget is, at that budget, exactly the trial stopped there (same weights, same
scores), and a finished trial continued from its final checkpoint to a larger budget is exactly the
trial run to that budget in one go; the same for populations.
"""
import pytest
import torch

from trainables import checkpoint
from trainables.loop import next_eval_point, train
from trainables.population.loop import train_population

TINY = {"dataset": "ring8", "arch": "mlp", "loss": "wgan", "width": 16, "depth": 2, "batch_size": 32,
        "iterations": 10**6, "eval_samples": 300, "eval_from": 100, "device": "cpu", "lr": 1e-3}
SHORT, LONG = 630, 2500  # 630 is a fixed evaluation point (100 x 6.3)


def _run(cfg, folder=None, *, at=None, resume=None):
    """The records of a trial; its checkpoint (in ``folder``) at the first record past ``at`` calls,
    or at the end."""
    records = []
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)

    def keep(record, save):
        records.append(record)
        if folder is not None and (record["finished"] if at is None else len(records) == _first_past(records, at)):
            save(str(folder))

    train(cfg, resume=resume, on_report=keep)
    return records


def _first_past(records, calls) -> int:
    return next((i + 1 for i, r in enumerate(records) if r["grad_calls"] >= calls), -1)


def _weights(folder):
    state = checkpoint.load(folder)
    return [*state["G"].values(), *state["D"].values()]


def test_evaluation_points_are_fixed_gradient_call_counts():
    points, x = [], 0
    while x < 20000:
        x = next_eval_point(x, 1000)
        points.append(x)
    assert points == [1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000]
    assert next_eval_point(1003, 1000) == 1250 and next_eval_point(7999, 1000) == 8000


@pytest.mark.parametrize("optimizer, regularizer", [("adam", "gp"), ("acgd", "none")])
def test_a_trial_run_past_a_budget_is_at_that_budget_the_trial_stopped_there(tmp_path, optimizer, regularizer):
    cfg = {**TINY, "optimizer": optimizer, "regularizer": regularizer}
    short = _run({**cfg, "max_grad_calls": SHORT}, tmp_path / "short")
    long = _run({**cfg, "max_grad_calls": LONG}, tmp_path / "long", at=SHORT)
    at_short = long[_first_past(long, SHORT) - 1]
    assert short[-1]["grad_calls"] == at_short["grad_calls"] and short[-1]["iteration"] == at_short["iteration"]
    assert short[-1]["score"] == at_short["score"]
    # every evaluation before it at the same counts, with the same scores
    assert [(r["grad_calls"], r["score"]) for r in short] == [(r["grad_calls"], r["score"]) for r in long[:len(short)]]
    for mine, theirs in zip(_weights(tmp_path / "short"), _weights(tmp_path / "long")):
        assert torch.equal(mine, theirs)


@pytest.mark.parametrize("optimizer, short", [("adam", SHORT), ("acgd", SHORT), ("adam", 700)])
def test_a_finished_trial_continued_to_a_larger_budget_is_the_trial_run_there(tmp_path, optimizer, short):
    cfg = {**TINY, "optimizer": optimizer, "regularizer": "none"}
    stopped = _run({**cfg, "max_grad_calls": short}, tmp_path / "short")[-1]["grad_calls"]
    continued = _run({**cfg, "max_grad_calls": LONG}, tmp_path / "continued",
                     resume=checkpoint.load(tmp_path / "short"))
    direct = _run({**cfg, "max_grad_calls": LONG}, tmp_path / "direct")
    assert continued[-1]["grad_calls"] == direct[-1]["grad_calls"] and continued[-1]["score"] == direct[-1]["score"]
    for mine, theirs in zip(_weights(tmp_path / "continued"), _weights(tmp_path / "direct")):
        assert torch.equal(mine, theirs)
    # the continued run evaluates where the direct one does (a budget off the fixed points adds its own)
    assert [r["grad_calls"] for r in continued] == [r["grad_calls"] for r in direct if r["grad_calls"] > stopped]


def test_a_diverged_trial_stays_diverged_when_its_budget_grows(tmp_path):
    cfg = {**TINY, "optimizer": "sgd", "regularizer": "none", "lr": 1e4, "diverge_loss": 10.0}
    records = _run({**cfg, "max_grad_calls": SHORT}, tmp_path / "short")
    assert records[-1]["status"] == "diverged"
    again = train({**cfg, "max_grad_calls": LONG}, resume=checkpoint.load(tmp_path / "short"))
    assert again["status"] == "diverged" and again["grad_calls"] == records[-1]["grad_calls"]


@pytest.mark.parametrize("optimizer, regularizer", [("adam", "gp"), ("acgd", "none")])
def test_a_population_continued_to_a_larger_budget_is_the_population_run_there(tmp_path, optimizer, regularizer):
    # ACGD members at different learning rates spend different calls per step: they reach the first
    # budget at different steps, so they continue solving different players (each as alone)
    members = [{**TINY, "optimizer": optimizer, "regularizer": regularizer, "seed": seed, "lr": lr}
               for seed, lr in ((0, 1e-3), (1, 1e-2))]

    def run(budget, resume=None):
        final = {}

        (tmp_path / f"at_{budget}").mkdir(exist_ok=True)

        def keep(records, save):
            final.update(records)
            if all(r["finished"] for r in final.values()) and len(final) == len(members):
                save(str(tmp_path / f"at_{budget}"))

        train_population([{**m, "max_grad_calls": budget} for m in members], resume=resume, on_report=keep)
        return final

    run(SHORT)
    continued = run(LONG, resume=checkpoint.load(tmp_path / f"at_{SHORT}"))
    direct = train_population([{**m, "max_grad_calls": LONG} for m in members])
    for k in direct:
        assert continued[k]["score"] == direct[k]["score"] and continued[k]["grad_calls"] == direct[k]["grad_calls"]
