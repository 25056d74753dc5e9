"""A population's members are the trials they would be alone: same weights, counters and reports."""
import pytest
import torch

from trainables.config import make_config
from trainables.loop import Trial, train
from trainables.population import Population, refusal
from trainables.population.loop import train_population

SMALL = {"dataset": "ring8", "arch": "mlp", "loss": "wgan", "width": 16, "depth": 2, "batch_size": 32,
         "iterations": 50, "eval_every": 25, "eval_samples": 300, "device": "cpu"}
# three members: different seeds, learning rates, and one with its own rate per player
MEMBERS = [{"seed": 0, "lr": 1e-3}, {"seed": 1, "lr": 3e-3}, {"seed": 2, "lr": 1e-2, "lr_g": 2e-3, "lr_d": 5e-3}]


def configs(optimizer, regularizer, members=MEMBERS, **extra):
    return [{**SMALL, "optimizer": optimizer, "regularizer": regularizer, **m, **extra} for m in members]


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).detach().norm() / b.detach().norm().clamp_min(1e-300))


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("regularizer", ["none", "gp", "r1"])
def test_members_match_their_solo_trials_after_50_iterations(float64, optimizer, regularizer):
    cfgs = configs(optimizer, regularizer)
    population = Population(cfgs)
    for _ in range(50):
        population.step()
    for k, cfg in enumerate(cfgs):
        solo = Trial(make_config(cfg))
        for _ in range(50):
            assert solo.step()
        population.sync(k)
        member = population.members[k]
        for mine, theirs in zip([*member.G.parameters(), *member.D.parameters()],
                                [*solo.G.parameters(), *solo.D.parameters()]):
            assert _relative(mine, theirs) < 1e-6
        assert member.progress.grad_calls == solo.progress.grad_calls
        assert member.progress.iteration == solo.progress.iteration == 50


def test_reports_are_the_solo_trials_reports(float64):
    cfgs = configs("adam", "gp")
    reports = {k: [] for k in range(len(cfgs))}
    train_population(cfgs, on_report=lambda records, save: [reports[k].append(r) for k, r in records.items()])
    for k, cfg in enumerate(cfgs):
        solo = []
        train(cfg, on_report=lambda r, save, _solo=solo: _solo.append(r))
        assert [r["iteration"] for r in reports[k]] == [r["iteration"] for r in solo] == [25, 50]
        for mine, theirs in zip(reports[k], solo):
            assert mine["grad_calls"] == theirs["grad_calls"] and mine["status"] == theirs["status"]
            assert mine["score"] == pytest.approx(theirs["score"], rel=1e-6)
            assert mine["d_loss"] == pytest.approx(theirs["d_loss"], rel=1e-6)


def test_a_diverging_member_is_frozen_while_the_others_go_on(float64):
    # SGD at a rate far too high blows up; its neighbours train on untouched
    cfgs = [{**SMALL, "optimizer": "sgd", "regularizer": "none", "seed": 0, "lr": 1e-3},
            {**SMALL, "optimizer": "sgd", "regularizer": "none", "seed": 1, "lr": 1e4, "diverge_loss": 10.0}]
    cfgs[0]["diverge_loss"] = 10.0
    final = {}
    train_population(cfgs, on_report=lambda records, save: final.update(records))
    assert final[1]["status"] == "diverged" and final[1]["iteration"] < 50
    assert final[0]["status"] == "ok" and final[0]["iteration"] == 50
    solo = train(cfgs[1])
    assert solo["status"] == "diverged" and solo["iteration"] == final[1]["iteration"]
    assert solo["grad_calls"] == final[1]["grad_calls"]


def test_a_budgeted_population_stops_each_member_at_its_budget(float64):
    cfgs = configs("adam", "none", max_grad_calls=120, eval_from=50, iterations=1000)
    final = {}
    train_population(cfgs, on_report=lambda records, save: final.update(records))
    for k, cfg in enumerate(cfgs):
        solo = train(cfg)
        assert final[k]["grad_calls"] == solo["grad_calls"] >= 120
        assert final[k]["score"] == pytest.approx(solo["score"], rel=1e-6)


@pytest.fixture
def solo_only(monkeypatch):
    """A G-side regularizer, registered for one test, with no population counterpart (every built-in
    regularizer batches)."""
    from trainables.registry import REGULARIZERS
    from trainables.regularizers.base import Regularizer

    unbatched = Regularizer("solo_only", "g", 0, generator_grads=lambda game, batch, g_loss: [])
    monkeypatch.setitem(REGULARIZERS._items, "solo_only", unbatched)


@pytest.mark.parametrize("change, field", [
    ({"optimizer": "ogda"}, "optimizer: ogda"), ({"regularizer": "gp+solo_only"}, "regularizer: solo_only"),
    ({"spectral_norm": True}, "spectral_norm"),
    ({"arch": "dcgan", "dataset": "digits", "spectral_norm": True}, "spectral_norm")])
def test_what_cannot_batch_is_refused_by_name(solo_only, change, field):
    cfg = make_config({**SMALL, "optimizer": "adam", "regularizer": "none", **change})
    assert refusal(cfg).startswith(field)
    with pytest.raises(ValueError, match=field):
        Population([cfg])


def test_members_may_differ_only_in_seed_and_learning_rates():
    cfgs = configs("adam", "none")
    cfgs[1]["width"] = 32
    with pytest.raises(ValueError, match="members differ in width"):
        Population(cfgs)


@pytest.mark.parametrize("optimizer, regularizer", [("adam", "gp"), ("acgd", "gp"), ("sgd", "gp+advas")])
def test_a_population_resumed_from_its_checkpoint_is_bit_identical(tmp_path, optimizer, regularizer):
    from trainables import checkpoint

    cfgs = configs(optimizer, regularizer)
    whole = {}
    train_population(cfgs, on_report=lambda records, save: whole.update(records))

    def stop_after_first(records, save):
        save(str(tmp_path))
        raise KeyboardInterrupt  # the driver killed right after the first report's checkpoint

    with pytest.raises(KeyboardInterrupt):
        train_population(cfgs, on_report=stop_after_first)
    state = checkpoint.load(tmp_path)
    assert sorted(state["last_records"]) == [0, 1, 2]
    resumed = {}
    train_population(cfgs, resume=state, on_report=lambda records, save: resumed.update(records))
    assert resumed.keys() == whole.keys()
    for k in whole:
        assert resumed[k]["iteration"] == whole[k]["iteration"] == 50
        assert resumed[k]["score"] == whole[k]["score"] and resumed[k]["d_loss"] == whole[k]["d_loss"]
        assert resumed[k]["grad_calls"] == whole[k]["grad_calls"]


def test_the_final_checkpoint_holds_each_members_samples(tmp_path):
    from trainables.population.loop import member_folder

    final = {}

    def keep(records, save):
        final.update(records)
        if all(r["finished"] for r in records.values()):
            save(str(tmp_path))

    train_population(configs("sgd", "none"), on_report=keep)
    for k, record in final.items():
        assert (tmp_path / member_folder(k) / record["samples_file"]).is_file()
