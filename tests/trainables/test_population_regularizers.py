"""ALR, AdvAs, BRC and compositions in a population: each member is its solo trial, step by step.

ALR's penalty batches like GP's (``batch_dims=2``, its draws from each member's stream); AdvAs and
BRC transform each member's own generator gradient (``Regularizer.population_grads``). The pairs come
from ``trainables.compat``: every optimizer that batches with every pair it allows.
"""
import pytest
import torch
from pydantic import ValidationError

from tests.trainables.test_population import configs
from tests.trainables.test_population_competitive import (
    EXACT,
    assert_same_parameters,
    members_and_solo_trials,
    run_population,
    run_solo,
)
from trainables.config import make_config
from trainables.population import Population
from trainables.population.population import BATCHED_OPTIMIZERS
from trainables.registry import REGULARIZERS

REGULARIZERS_UNDER_TEST = ("alr", "advas", "brc", "gp+advas")
COMPETITIVE = ("bcgd", "acgd", "gacgd")


def allowed(optimizer: str, regularizer: str) -> bool:
    try:
        make_config(configs(optimizer, regularizer)[0])
    except ValidationError:
        return False
    return True


PAIRS = [(o, r) for o in BATCHED_OPTIMIZERS for r in REGULARIZERS_UNDER_TEST if allowed(o, r)]


def test_the_pairs_are_what_compat_allows():
    # the G-side methods need an optimizer that follows G's gradient: compat refuses the competitive ones
    refused = {(o, r) for o in BATCHED_OPTIMIZERS for r in REGULARIZERS_UNDER_TEST} - set(PAIRS)
    assert refused == {(o, r) for o in COMPETITIVE for r in ("advas", "brc", "gp+advas")}
    assert {o for o, r in PAIRS if r == "alr"} == set(BATCHED_OPTIMIZERS)


def assert_same_steps(mine: list, theirs: list) -> None:
    """Step by step: the same outcome, the same counts exactly, the same losses."""
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        assert (a is None) == (b is None)
        if a is None:
            continue
        assert a.keys() == b.keys()
        assert {k: a[k] for k in EXACT if k in a} == {k: b[k] for k in EXACT if k in b}
        assert a["d_loss"] == pytest.approx(b["d_loss"], rel=1e-6)
        assert a["g_loss"] == pytest.approx(b["g_loss"], rel=1e-6)


# ALR at K = 0: at its default K = 1 the one-sided penalty is zero for whole runs of some members on
# this toy (their critics stay flatter than K), which would test nothing; at K = 0 every sample is
# penalised from the first step, so its gradients (and the solvers' Hessian-vector products) count
ALR_ACTIVE = {"alr_k": 0.0}


def settings(regularizer: str) -> dict:
    return ALR_ACTIVE if "alr" in regularizer else {}


@pytest.mark.parametrize("optimizer, regularizer", PAIRS + [("adam", "alr+brc")])
def test_members_match_their_solo_trials_after_50_iterations(float64, optimizer, regularizer):
    # alr+brc: ALR's draws and power iterations also run inside BRC's evaluation of D's loss
    cfgs = configs(optimizer, regularizer, **settings(regularizer))
    assert len(list(members_and_solo_trials(cfgs, 50, same_steps=assert_same_steps))) == len(cfgs)


def test_alr_counts_its_power_iterations(float64):
    # two power iterations: two gradient calls on top of each of D's gradients, as alone
    cfgs = configs("sgd", "alr", alr_power_iters=2, **ALR_ACTIVE)
    population, steps = run_population(cfgs, 10)
    n_critic = population.cfg.n_critic
    assert {s["grad_calls"] for member in steps for s in member} == {n_critic * (1 + 2) + 1}
    for k, cfg in enumerate(cfgs):
        solo, solo_steps = run_solo(cfg, 10)
        assert_same_steps(steps[k], solo_steps)
        population.sync(k)
        assert_same_parameters(population.members[k], solo)


@pytest.mark.parametrize("regularizer", ["advas", "brc"])
def test_each_member_follows_its_own_transformed_gradient(float64, regularizer):
    # one evaluation on one batch, member by member against the solo formula on that member's
    # modules; member 1's critic is flat (all weights zero): its D gradient does not move with G, so
    # its AdvAs assist vanishes (lambda_t would be 0/0) and BRC's correction is zero, and it follows
    # its plain gradient while its neighbours follow transformed ones
    population = Population(configs("adam", regularizer))
    with torch.no_grad():
        for w in population.D.weights:
            w[1].zero_()
    batch = population.game.next_batch()
    _, stacked = population.game.g_grads(batch)
    reg = REGULARIZERS.get(regularizer)
    for k, member in enumerate(population.members):
        population.sync(k)
        game = member.game
        solo_batch = type(batch)(batch.real[k], batch.z[k])
        expected = reg.generator_grads(game, solo_batch, game.g_loss(solo_batch))
        plain = torch.autograd.grad(game.g_loss(solo_batch), game.g_params)
        # the stacked weights are transposed (baddbmm's x W); biases carry a leading 1
        mine = [stacked[i][k] for i in range(len(stacked))]
        for a, p, e in zip(mine, game.g_params, expected):
            a = a.T if p.dim() == 2 else a.reshape(p.shape)
            assert torch.allclose(a, e, rtol=1e-10, atol=1e-14)
        transformed = any(not torch.allclose(e, q) for e, q in zip(expected, plain))
        assert transformed == (k != 1)
