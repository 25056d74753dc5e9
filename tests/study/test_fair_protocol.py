"""A fair instrument: per-solver tolerances, published defaults as sets, equal compute, the unbiased
energy distance, composed regularizers, BatchNorm at evaluation and stored samples.

Each test fails on an instrument that drops one of these rules."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from study.cli import main
from study.search import default_points
from study.spec import Distribution, parse_spec
from trainables.config import TrialConfig, method_defaults
from trainables.datasets import toy
from trainables.loop import Trial, train
from trainables.metrics.evaluate import for_evaluation, generate
from trainables.metrics.toy import energy_distance
from trainables.registry import OPTIMIZERS

QUICK = "studies/quick.yaml"


def _trial_json(capsys, *sets: str) -> dict:
    args = ["trial", QUICK, "--json"]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


# --- solvers: each reads its tolerances in the reference's own sense, and cap hits are counted ---

def test_gmres_takes_the_reference_norm_tolerances_and_stays_cheap(capsys):
    cfg = TrialConfig(optimizer="gacgd")
    assert (cfg.cg_tol, cfg.cg_atol, cfg.acgd_eps) == (1e-5, 1e-6, 1e-6)  # CGDs 0.4.5 GACGD
    acgd = TrialConfig(optimizer="acgd")
    assert (acgd.cg_tol, acgd.cg_atol, acgd.acgd_eps) == (1e-10, 1e-16, 1e-5)
    out = _trial_json(capsys, "optimizer=gacgd", "iterations=20", "eval_every=10")
    assert out["grad_calls"] <= 30 * 20  # was 202 per step: GMRES ran to its cap on squared-residual bounds
    assert out["solver_solves"] == 20 and out["solver_cap_hits"] == 0


def test_solves_that_stop_at_the_cap_are_counted(tiny):
    out = train({**tiny, "optimizer": "acgd", "lr": 1e-2, "cg_tol": 1e-30, "cg_atol": 1e-40, "cg_max_iter": 1})
    assert out["solver_solves"] == 20
    assert out["solver_cap_hits"] >= 19  # a warm start may meet even this tolerance once


# --- the published default is a set of settings ---

def test_default_set_is_registered_with_its_source():
    assert OPTIMIZERS.get("adam").defaults == {"lr": 1e-4, "beta1": 0.5, "beta2": 0.9, "n_critic": 5}
    assert "igul222/improved_wgan_training" in OPTIMIZERS.get("adam").source
    assert method_defaults(TrialConfig(optimizer="adam", regularizer="gp"))["gp_lambda"] == 10.0


def test_search_enqueues_every_searched_default_and_covers_the_space():
    space = {"lr": Distribution(low=1e-5, high=1e-2, log=True), "beta1": Distribution(low=0.0, high=0.9)}
    assert default_points(space, TrialConfig(optimizer="adam")) == [{"lr": 1e-4, "beta1": 0.5}]
    # ACGD does not read beta1: the point still covers the space (Ray refuses a partial point)
    assert default_points(space, TrialConfig(optimizer="acgd")) == [{"lr": 1e-4, "beta1": 0.5}]
    outside = {"lr": Distribution(low=1e-3, high=1e-2, log=True)}
    assert default_points(outside, TrialConfig(optimizer="adam")) == []


def test_settings_a_method_ignores_do_not_multiply_its_trials():
    spec = parse_spec({"name": "t", "trial": {"iterations": 10, "eval_every": 10},
                       "grid": {"optimizer": ["adam", "acgd"], "beta2": [0.9, 0.99], "lr": [1e-4, 1e-3]}})
    configs = spec.trial_configs()
    assert sum(c.optimizer == "adam" for c in configs) == 4
    assert sum(c.optimizer == "acgd" for c in configs) == 2  # one trial per lr, reported once
    assert {c.beta2 for c in configs if c.optimizer == "acgd"} == {0.9}


# --- equal compute ---

@pytest.mark.parametrize("optimizer", ["adam", "acgd", "gacgd", "extra_adam", "optimistic_adam", "bcgd"])
def test_a_budget_stops_every_optimizer_within_one_step(tiny, optimizer):
    records = []
    budget = 600
    final = train({**tiny, "optimizer": optimizer, "regularizer": "gp", "iterations": 100000,
                   "max_grad_calls": budget, "eval_from": 100},
                  on_report=lambda record, save: records.append(record))
    per_step = final["grad_calls"] / final["iteration"]
    assert budget <= final["grad_calls"] < budget + per_step + 1
    assert final["status"] == "ok" and final["finished"]
    # evaluated at the same gradient-call counts whatever the method costs per step, and at the end
    points = [100, 125, 160, 200, 250, 315, 400, 500]
    calls = [r["grad_calls"] for r in records]
    assert len(calls) == len(points) + 1 and calls[-1] == final["grad_calls"]
    for point, spent in zip(points, calls):
        assert point <= spent < point + per_step + 1


# --- the unbiased energy distance ---

def test_energy_distance_of_data_against_data_is_zero_within_noise():
    data = toy.ring8()
    values = [energy_distance(data.sample(1000), data.sample(1000)) for _ in range(20)]
    assert abs(np.mean(values)) < 3 * np.std(values) / np.sqrt(len(values)) + 1e-4
    assert min(values) < 0 < max(values)  # an unbiased estimate of 0 falls on both sides
    # the biased V-statistic of the same draws had a floor of about (E|X-X'| + E|Y-Y'|) / n > 0
    x, y = data.sample(1000).double(), data.sample(1000).double()
    v_stat = float(2 * torch.cdist(x, y).mean() - torch.cdist(x, x).mean() - torch.cdist(y, y).mean())
    assert v_stat > 5 * abs(energy_distance(x, y)) or v_stat > 1e-3


# --- composed regularizers ---

def test_a_d_side_penalty_composes_with_a_g_side_term(capsys):
    assert TrialConfig(regularizer="advas+gp").regularizer == "gp+advas"
    out = _trial_json(capsys, "regularizer=gp+advas", "iterations=10", "eval_every=10")
    assert out["status"] == "ok"
    # 5 critic steps with GP (2 calls each) + one generator step with AdvAs (1 + 2 calls)
    assert out["grad_calls"] == 10 * (5 * 2 + 3)


def test_two_penalties_of_one_side_exit_2_naming_both(capsys):
    assert main(["trial", QUICK, "--set", "regularizer=gp+r1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'gp' and 'r1'" in err


# --- BatchNorm at evaluation ---

def test_batch_statistics_make_evaluation_independent_of_running_averages():
    G = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2))
    before = generate(for_evaluation(G, "batch"), 256, 2, torch.device("cpu"))
    running = generate(for_evaluation(G, "running"), 256, 2, torch.device("cpu"))
    G.train()
    for _ in range(5):  # refresh the running averages, as extra generator passes in training would
        G(torch.randn(64, 2) * 3 + 1)
    assert torch.equal(generate(for_evaluation(G, "batch"), 256, 2, torch.device("cpu")), before)
    assert not torch.allclose(generate(for_evaluation(G, "running"), 256, 2, torch.device("cpu")), running)
    assert G[1].running_mean is not None  # the trained generator keeps its averages


# --- samples for the report ---

def test_the_final_checkpoint_holds_the_samples(tiny, tmp_path):
    saved = []

    def on_report(record, save):
        if record["finished"]:
            save(str(tmp_path))
            saved.append(record)

    train({**tiny, "optimizer": "adam"}, on_report=on_report)
    assert saved[-1]["samples_file"] == "samples.npz"
    arrays = np.load(tmp_path / "samples.npz")
    assert arrays["samples"].shape == (1000, 2) and arrays["reference"].shape == (1000, 2)
    assert (tmp_path / "state.pt").is_file()


def test_ignored_settings_are_reset_so_equal_trials_hash_equal():
    assert TrialConfig(optimizer="acgd", beta1=0.0) == TrialConfig(optimizer="acgd")
    assert TrialConfig(optimizer="adam", beta1=0.0) != TrialConfig(optimizer="adam")
    assert Trial(TrialConfig(dataset="ring8", width=8, depth=1, batch_size=8)).game.d_regularizer is None


# --- the paper's protocol, at its length, and swept ---

def _load(name: str):
    import yaml

    return parse_spec(yaml.safe_load(open(f"studies/{name}.yaml")), name)


def test_icr_protocol_runs_the_papers_length_and_its_sweep_sweeps_learning_rates_and_architectures():
    assert {c.iterations for c in _load("icr-cifar10").trial_configs()} == {468_000}  # 600 epochs of 781
    sweep = _load("icr-cifar10-sweep").trial_configs()
    lrs = sorted({c.lr for c in sweep})
    assert len(lrs) >= 5 and lrs[-1] / lrs[0] >= 100 and 1e-4 in lrs
    assert np.allclose(np.diff(np.log10(lrs)), np.log10(lrs[1] / lrs[0]), atol=1e-3)  # log-spaced
    assert {c.arch for c in sweep} == {"dcgan", "resnet"}


def test_quick_digits_and_claim_studies_compare_at_equal_compute():
    for name in ("quick", "digits", "claim"):
        configs = _load(name).trial_configs()
        for env in {(c.dataset, c.arch) for c in configs}:
            budgets = {c.max_grad_calls for c in configs if (c.dataset, c.arch) == env}
            assert len(budgets) == 1 and None not in budgets, (name, env)
