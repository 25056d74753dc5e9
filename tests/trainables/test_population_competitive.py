"""Competitive optimizers (bcgd, acgd, gacgd) in a population: each member is its solo trial, step by
step -- same weights, the same CG (GMRES) iterations and gradient calls, the same divergence."""
import pytest
import torch

from tests.trainables.test_population import configs
from trainables.config import make_config
from trainables.loop import Trial, train
from trainables.population import Population
from trainables.population.loop import train_population

# solver diagnostics that are counts or flags: a member's must equal its solo trial's exactly
EXACT = ("grad_calls", "cg_iters", "cg_converged", "cg_capped", "hvp_calls")


def recording(trial: Trial) -> list:
    """Every step's stats as ``trial.account`` receives them (None: the solver raised NonFiniteError)."""
    steps, account = [], trial.account

    def record(stats, seconds):
        steps.append(None if stats is None else dict(stats))
        return account(stats, seconds)

    trial.account = record
    return steps


def run_population(cfgs, iterations):
    """``iterations`` population steps, freezing finished members as the population loop does."""
    population = Population(cfgs)
    steps = [recording(m) for m in population.members]
    for _ in range(iterations):
        if not population.running:
            break
        for k in population.step():
            population.record(k)
    return population, steps


def run_solo(cfg, iterations):
    solo = Trial(make_config(cfg))
    steps = recording(solo)
    for _ in range(iterations):
        if not solo.step():
            break
    return solo, steps


def parameters(trial: Trial) -> list[torch.Tensor]:
    return [p.detach() for p in (*trial.G.parameters(), *trial.D.parameters())]


def assert_same_steps(mine: list, theirs: list, *, values: bool = True) -> None:
    """Step by step: the same outcome and counts; with ``values``, also the same loss and residual."""
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        assert (a is None) == (b is None)
        if a is None:
            continue
        assert {k: a[k] for k in EXACT} == {k: b[k] for k in EXACT}
        if values:
            assert a["d_loss"] == pytest.approx(b["d_loss"], rel=1e-6)
            # far below the stopping bound (sqrt(cg_tol) = 1e-5) the recursive residual is rounding noise
            assert a["cg_rel_residual"] == pytest.approx(b["cg_rel_residual"], rel=1e-3, abs=1e-8)


def assert_same_parameters(mine: Trial, theirs: Trial) -> None:
    for a, b in zip(parameters(mine), parameters(theirs)):
        assert float((a - b).norm() / b.norm().clamp_min(1e-300)) < 1e-6


def members_and_solo_trials(cfgs, iterations: int, *, same_steps=None):
    """Each member of a population of ``cfgs`` after ``iterations`` steps, and its solo trial, once both
    are checked to match: parameters, every step (``same_steps``, by default ``assert_same_steps``),
    gradient calls and iterations."""
    same_steps = same_steps or assert_same_steps
    population, steps = run_population(cfgs, iterations)
    for k, cfg in enumerate(cfgs):
        solo, solo_steps = run_solo(cfg, iterations)
        population.sync(k)
        member = population.members[k]
        assert_same_parameters(member, solo)
        same_steps(steps[k], solo_steps)
        assert member.progress.grad_calls == solo.progress.grad_calls
        assert member.progress.iteration == solo.progress.iteration == iterations
        yield member, solo


@pytest.mark.parametrize("optimizer", ["acgd", "bcgd", "gacgd"])
@pytest.mark.parametrize("regularizer", ["none", "gp", "r1"])
def test_members_match_their_solo_trials_step_by_step(float64, optimizer, regularizer):
    cfgs = configs(optimizer, regularizer)
    for member, solo in members_and_solo_trials(cfgs, 50):
        assert member.progress.solver_solves == solo.progress.solver_solves == 50
        assert member.progress.solver_cap_hits == solo.progress.solver_cap_hits


def test_each_member_is_charged_its_own_cg_iterations(float64):
    # at rates 1e-5 .. 5e-2 the members' CG systems differ in conditioning: in every batched solve
    # each member stops on its own residual (1, 2 and 4-7 iterations here) and pays only its own
    cfgs = configs("acgd", "none", [{"seed": 0, "lr": 1e-5}, {"seed": 1, "lr": 1e-3}, {"seed": 2, "lr": 5e-2}])
    population, steps = run_population(cfgs, 20)
    iters = [[s["cg_iters"] for s in member] for member in steps]
    assert all(len(set(step)) == 3 for step in zip(*iters)), iters
    for k, cfg in enumerate(cfgs):
        solo, solo_steps = run_solo(cfg, 20)
        assert_same_steps(steps[k], solo_steps)
        assert population.members[k].progress.grad_calls == solo.progress.grad_calls
        population.sync(k)
        assert_same_parameters(population.members[k], solo)
    assert len({m.progress.grad_calls for m in population.members}) == 3


def member_state(population: Population, k: int) -> list[torch.Tensor]:
    """Member ``k``'s slices of the stacked players and of its optimizer's state."""
    opt = population.method.opt
    tensors = [*population.G.parameters(), *population.D.parameters(), opt.steps, opt.solve_x,
               *(getattr(opt, name) for name in opt.VECTORS)]
    return [t[k].detach().clone() for t in tensors]


def test_a_member_whose_solver_meets_a_non_finite_value_diverges_as_alone(float64):
    # BCGD at lr 100 overflows within a few steps: a Hessian-vector product turns inf inside its CG
    # solve, which alone raises NonFiniteError before anything changes; its neighbour trains on
    cfgs = configs("bcgd", "none", [{"seed": 0, "lr": 1e-3}, {"seed": 1, "lr": 100.0}], diverge_loss=1e300)
    population = Population(cfgs)
    steps = [recording(m) for m in population.members]
    failed = None  # member 1's weights and optimizer state before the step that failed
    for _ in range(50):
        before = member_state(population, 1)
        for k in population.step():
            population.record(k)
        if failed is None and steps[1][-1] is None:
            failed = before
    # neither the failed step nor the population's later ones changed anything of it
    assert failed is not None and not bool(population.active[1])
    assert all(torch.equal(a, b) for a, b in zip(member_state(population, 1), failed))
    solo, solo_steps = run_solo(cfgs[1], 50)
    assert solo.progress.status == population.members[1].progress.status == "diverged"
    assert solo_steps[-1] is None and 1 < len(solo_steps) < 50
    # the overflowing trajectory amplifies rounding: compare its counts and outcome, not its values
    assert_same_steps(steps[1], solo_steps, values=False)
    assert population.members[1].progress.grad_calls == solo.progress.grad_calls
    survivor, survivor_steps = run_solo(cfgs[0], 50)
    assert population.members[0].progress.iteration == 50
    assert_same_steps(steps[0], survivor_steps)
    population.sync(0)
    assert_same_parameters(population.members[0], survivor)


@pytest.mark.parametrize("optimizer, regularizer, lr", [
    ("acgd", "gp", 1e150),  # a Hessian-vector product overflows in the first CG iteration
    ("gacgd", "none", 1e160),  # the first update overflows
])
def test_a_diverged_competitive_member_reports_as_its_solo_trial(float64, optimizer, regularizer, lr):
    cfgs = configs(optimizer, regularizer, [{"seed": 0, "lr": 1e-3}, {"seed": 1, "lr": lr}])
    final = {}
    train_population(cfgs, on_report=lambda records, save: final.update(records))
    for k, cfg in enumerate(cfgs):
        solo = train(cfg)
        assert final[k]["status"] == solo["status"] and final[k]["iteration"] == solo["iteration"]
        assert final[k]["grad_calls"] == solo["grad_calls"]
        assert final[k]["score"] == pytest.approx(solo["score"], rel=1e-6)
    assert final[1]["status"] == "diverged" and final[0]["status"] == "ok"
