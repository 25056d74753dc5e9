"""One contract, run over every registered optimizer (after optuna's reusable plug-in tests).

Each method must be deterministic under a seed, round-trip its state exactly, and behave as the
theory says on the bilinear game f(x, y) = x^T A y (equilibrium at 0): simultaneous GDA spirals
away; OGDA, extragradient, CGD and ACGD converge.
"""
import copy

import pytest
import torch
from torch import nn

from trainables.config import TrialConfig
from trainables.game import TwoPlayerGame
from trainables.registry import OPTIMIZERS

CONVERGES = {"ogda", "extragradient", "bcgd", "acgd", "gacgd"}
MOVES_AWAY = {"gda"}
# a suitable step size: CGD's contraction on x^T A y is about eta^2 s^2 / (1 + eta^2 s^2) per step
STEP_SIZE = {"bcgd": 0.5}


class BilinearGame(TwoPlayerGame):
    """x (the 'generator') maximises x^T A y, y (the 'discriminator') minimises it."""

    def __init__(self, dim=4, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.A = torch.eye(dim, dtype=torch.float64) + 0.1 * torch.randn(dim, dim, generator=g, dtype=torch.float64)
        self.x = nn.Parameter(torch.randn(dim, generator=g, dtype=torch.float64))
        self.y = nn.Parameter(torch.randn(dim, generator=g, dtype=torch.float64))
        self.g_params, self.d_params = [self.x], [self.y]

    def next_batch(self):
        return None

    def d_loss(self, batch, detach_fake=False):
        return self.x @ self.A @ self.y

    def g_loss(self, batch):
        return -(self.x @ self.A @ self.y)

    def distance(self) -> float:
        return float(torch.cat([self.x, self.y]).detach().norm())


def _method(name, game, **overrides):
    cfg = TrialConfig(optimizer=name, n_critic=1, cg_tol=1e-20, cg_atol=1e-30, cg_max_iter=None, **overrides)
    return OPTIMIZERS.get(name).build(game, cfg)


def _run(name, steps, seed=0, **overrides):
    game = BilinearGame(seed=seed)
    method = _method(name, game, **overrides)
    stats = [method.step() for _ in range(steps)]
    return game, method, stats


@pytest.fixture(params=OPTIMIZERS.names())
def optimizer(request):
    return request.param


def test_step_reports_losses_and_cost(optimizer):
    _, _, stats = _run(optimizer, 2, lr=0.05)
    for s in stats:
        assert {"d_loss", "g_loss", "grad_calls"} <= set(s)
        assert s["grad_calls"] >= 2


def test_seeded_determinism(optimizer):
    a, _, _ = _run(optimizer, 20, lr=0.05)
    b, _, _ = _run(optimizer, 20, lr=0.05)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)


def test_state_round_trip_is_exact(optimizer):
    straight, _, _ = _run(optimizer, 20, lr=0.05)
    half, method, _ = _run(optimizer, 10, lr=0.05)
    state = copy.deepcopy(method.state_dict())
    resumed = BilinearGame()
    with torch.no_grad():
        resumed.x.copy_(half.x)
        resumed.y.copy_(half.y)
    fresh = _method(optimizer, resumed, lr=0.05)
    fresh.load_state_dict(state)
    for _ in range(10):
        fresh.step()
    assert torch.equal(straight.x, resumed.x) and torch.equal(straight.y, resumed.y)


def test_bilinear_game_behaves_as_theory_says(optimizer):
    game = BilinearGame()
    start = game.distance()
    method = _method(optimizer, game, lr=STEP_SIZE.get(optimizer, 0.3), beta1=0.0, beta2=0.9)
    for _ in range(300):
        method.step()
    end = game.distance()
    if optimizer in CONVERGES:
        assert end < 0.05 * start, f"{optimizer} should converge: {start:.3g} -> {end:.3g}"
    elif optimizer in MOVES_AWAY:
        assert end > 2 * start, f"{optimizer} should spiral away: {start:.3g} -> {end:.3g}"
    else:
        assert torch.isfinite(torch.tensor(end))
