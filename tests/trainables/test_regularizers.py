"""One contract, run over every registered regularizer, and each formula against an independent
computation (after optuna's reusable plug-in tests).

Contract: a finite value, gradients that reach only the intended player, determinism under a seed,
and a short training trial that runs and counts its gradient calls. Formulas: R1 on a linear critic
in closed form; ALR's adversarial direction against a known steepest direction; AdvAs's generator
gradient against finite differences; BRC's hypergradient against the exact implicit gradient on a
quadratic game where the rank-one Hessian approximation is exact.
"""
import math

import pytest
import torch
from pydantic import ValidationError
from torch import nn

from trainables.config import TrialConfig
from trainables.game import Batch, GANGame, TwoPlayerGame
from trainables.loop import train
from trainables.losses.adversarial import ns, wgan
from trainables.methods.base import grads
from trainables.registry import OPTIMIZERS, REGULARIZERS
from trainables.regularizers.advas import advas_generator_grads
from trainables.regularizers.alr import adversarial_direction, alr_penalty
from trainables.regularizers.brc import brc_generator_grads
from trainables.regularizers.gradient_norm import r1_penalty

DTYPE = torch.float64


def _players(seed=0):
    """A tiny G and a steep, smooth D (Lipschitz well above 1, so ALR's one-sided penalty is active)."""
    torch.manual_seed(seed)
    G = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).to(DTYPE)
    D = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).to(DTYPE)
    with torch.no_grad():
        for p in D.parameters():
            p.mul_(4.0)
    return G, D


def _batch(seed=1, n=16):
    g = torch.Generator().manual_seed(seed)
    return Batch(torch.randn(n, 2, generator=g, dtype=DTYPE), torch.randn(n, 2, generator=g, dtype=DTYPE))


def _evaluate(name, seed=0):
    """(value or None, gradients w.r.t. G's parameters, gradients w.r.t. D's parameters)."""
    reg = REGULARIZERS.get(name)
    G, D = _players()
    batch = _batch()
    cfg = TrialConfig(regularizer=name)
    torch.manual_seed(seed)
    if reg.side == "d":
        value = reg.penalty(D, batch.real, G(batch.z), cfg)
        params = list(G.parameters()) + list(D.parameters())
        if value.requires_grad:
            out = torch.autograd.grad(value, params, allow_unused=True)
        else:
            out = [None] * len(params)
        n_g = len(list(G.parameters()))
        return value, list(out[:n_g]), list(out[n_g:]), (G, D)
    game = GANGame(G, D, wgan, reg, data=None, cfg=cfg, device=torch.device("cpu"))
    g_loss = game.g_loss(batch)
    g_grads = reg.generator_grads(game, batch, g_loss)
    return None, g_grads, [p.grad for p in D.parameters()], (G, D)


@pytest.fixture(params=REGULARIZERS.names())
def regularizer(request):
    return request.param


class TestRegularizerContract:
    def test_value_is_finite_and_reaches_only_its_player(self, regularizer):
        reg = REGULARIZERS.get(regularizer)
        value, g_side, d_side, (G, D) = _evaluate(regularizer)
        if reg.side == "d":
            assert value.dim() == 0 and torch.isfinite(value)
            assert all(g is None for g in g_side), "a D-side penalty must not reach G"
            if regularizer != "none":
                assert any(g is not None and g.abs().sum() > 0 for g in d_side)
                assert all(torch.isfinite(g).all() for g in d_side if g is not None)
        else:
            assert reg.side == "g"
            assert [g.shape for g in g_side] == [p.shape for p in G.parameters()]
            assert all(torch.isfinite(g).all() for g in g_side)
            assert any(g.abs().sum() > 0 for g in g_side)
            # returned, not accumulated: nothing is left on either player
            assert all(p.grad is None for p in list(G.parameters()) + list(D.parameters()))

    def test_deterministic_under_a_seed(self, regularizer):
        a, b = _evaluate(regularizer, seed=3), _evaluate(regularizer, seed=3)
        if a[0] is not None:
            assert torch.equal(a[0], b[0])
        for x, y in zip(a[1] + a[2], b[1] + b[2]):
            assert (x is None and y is None) or torch.equal(x, y)

    def test_short_trial_runs_and_counts_its_cost(self, regularizer, tiny):
        cfg = {**tiny, "regularizer": regularizer, "iterations": 4, "eval_every": 4}
        final = train(cfg)
        assert final["status"] == "ok"
        reg, n_critic = REGULARIZERS.get(regularizer), TrialConfig(**cfg).n_critic
        extra = reg.grad_calls(TrialConfig(**cfg))
        d_cost, g_cost = 1 + extra * (reg.side == "d"), 1 + extra * (reg.side == "g")
        assert final["grad_calls"] == 4 * (n_critic * d_cost + g_cost)

    def test_composes_with_every_optimizer_or_is_refused_by_name(self, regularizer, tiny):
        for optimizer in OPTIMIZERS:
            cfg = {**tiny, "regularizer": regularizer, "optimizer": optimizer, "iterations": 2,
                   "eval_every": 2}
            try:
                TrialConfig(**cfg)
            except ValidationError as e:
                assert f"regularizer: {regularizer!r}" in str(e) and repr(optimizer) in str(e)
                continue
            final = train(cfg)
            assert final["status"] == "ok", (optimizer, final["status"])
            assert final["grad_calls"] >= 2 * 2


def test_r1_on_a_linear_critic_is_closed_form():
    torch.manual_seed(0)
    critic = nn.Linear(3, 1).to(DTYPE)
    real, fake = torch.randn(16, 3, dtype=DTYPE), torch.randn(16, 3, dtype=DTYPE)
    value = r1_penalty(critic, real, fake, TrialConfig(regularizer="r1", r1_gamma=4.0))
    w = critic.weight.detach()
    # grad_x (w.x + b) = w for every real sample: (gamma/2) ||w||^2, and its gradient gamma * w
    assert torch.allclose(value, 2.0 * w.pow(2).sum())
    (grad_w,) = torch.autograd.grad(value, critic.weight)
    assert torch.allclose(grad_w, 4.0 * w)


class _Ridge(nn.Module):
    """f(x) = h(w.x) with h' > 0: the steepest direction is +-w at every point, for any step."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, x):
        s = x @ self.w
        return (s + s ** 3 / 3).unsqueeze(1)


def test_alr_direction_beats_a_random_one_on_a_known_steepest_direction():
    torch.manual_seed(0)
    dim, n = 16, 64
    w = torch.randn(dim, dtype=DTYPE)
    f, x = _Ridge(w), torch.randn(n, dim, dtype=DTYPE)
    adv = adversarial_direction(f, x, xi=10.0, power_iters=1)
    rand = adversarial_direction(f, x, xi=10.0, power_iters=0)
    unit_w = w / w.norm()
    cos_adv, cos_rand = (adv @ unit_w).abs(), (rand @ unit_w).abs()
    assert torch.allclose(cos_adv, torch.ones(n, dtype=DTYPE), atol=1e-9)
    assert (cos_rand < 0.9).all()  # a random unit vector in 16-D is far from +-w

    def slope(d):  # |directional derivative|, largest along +-w
        x_ = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x_).sum(), x_)
        return (grad * d).sum(dim=1).abs()

    assert (slope(adv) > slope(rand)).all()


def test_alr_penalty_on_a_linear_critic_is_closed_form():
    torch.manual_seed(0)
    critic = nn.Linear(5, 1).to(DTYPE)
    with torch.no_grad():
        critic.weight.mul_(10.0)  # ||w|| > K, so the one-sided penalty is active
    real, fake = torch.randn(8, 5, dtype=DTYPE), torch.randn(8, 5, dtype=DTYPE)
    cfg = TrialConfig(regularizer="alr", alr_lambda=3.0, alr_k=1.0)
    value = alr_penalty(critic, real, fake, cfg)
    # r_adv is along +-w, so |D(x) - D(x + r)| / ||r|| = ||w|| for every sample and every eps
    w_norm = critic.weight.detach().norm()
    assert w_norm > 1
    assert torch.allclose(value, 3.0 * (w_norm - 1.0) ** 2)


def _flat(tensors):
    return torch.cat([t.reshape(-1) for t in tensors])


def test_advas_generator_gradient_matches_finite_differences():
    G, D = _players()
    batch = _batch()
    cfg = TrialConfig(regularizer="advas", advas_gamma=0.7, loss="ns")
    game = GANGame(G, D, ns, REGULARIZERS.get("advas"), data=None, cfg=cfg, device=torch.device("cpu"))
    got = _flat(advas_generator_grads(game, batch, game.g_loss(batch)))

    theta = nn.utils.parameters_to_vector(G.parameters()).detach()

    def at(vec, fn):
        nn.utils.vector_to_parameters(vec, G.parameters())
        return fn()

    def g_loss():
        with torch.no_grad():
            return game.g_loss(batch).item()

    def r():  # ||grad_phi L_D||^2, first-order autograd only
        return sum(float((g ** 2).sum()) for g in grads(game.d_loss(batch), game.d_params))

    def central(fn, h=1e-6):
        out = torch.empty_like(theta)
        for i in range(theta.numel()):
            e = torch.zeros_like(theta)
            e[i] = h
            out[i] = (at(theta + e, fn) - at(theta - e, fn)) / (2 * h)
        at(theta, lambda: None)
        return out

    main, assist = central(g_loss), central(r)
    expected = main + 0.7 * main.norm() / assist.norm() * assist
    assert assist.norm() > 0
    assert torch.allclose(got, expected, rtol=1e-6, atol=1e-8)


class QuadraticLeaderFollower(TwoPlayerGame):
    """f(theta, phi) = 1/2 phi^T H phi + phi^T B theta + c^T phi (D's loss), F = sum sin(theta) +
    phi^T A theta + 1/2 ||phi||^2 (G's loss), with H = mu I + g0 g0^T and c chosen so that
    grad_phi f = g0 at the current point: there the rank-one approximation is exact."""

    def __init__(self, mu, n_theta=3, n_phi=4, seed=0):
        gen = torch.Generator().manual_seed(seed)
        rand = lambda *s: torch.randn(*s, generator=gen, dtype=DTYPE)  # noqa: E731
        self.theta, self.phi = nn.Parameter(rand(n_theta)), nn.Parameter(rand(n_phi))
        self.g_params, self.d_params = [self.theta], [self.phi]
        self.g0, self.B, self.A = rand(n_phi), rand(n_phi, n_theta), rand(n_phi, n_theta)
        self.H = mu * torch.eye(n_phi, dtype=DTYPE) + torch.outer(self.g0, self.g0)
        with torch.no_grad():
            self.c = self.g0 - self.H @ self.phi - self.B @ self.theta
        self.cfg = TrialConfig(regularizer="brc", brc_mu=mu)

    def d_loss(self, batch, detach_fake=False):
        return 0.5 * self.phi @ self.H @ self.phi + self.phi @ self.B @ self.theta + self.c @ self.phi

    def g_loss(self, batch):
        return self.theta.sin().sum() + self.phi @ self.A @ self.theta + 0.5 * self.phi @ self.phi

    def exact_hypergradient(self):
        with torch.no_grad():
            grad_theta_F = self.theta.cos() + self.A.T @ self.phi
            grad_phi_F = self.A @ self.theta + self.phi
            return grad_theta_F - self.B.T @ torch.linalg.solve(self.H, grad_phi_F)


@pytest.mark.parametrize("mu", [0.3, 1.0])
def test_brc_hypergradient_is_the_exact_implicit_gradient_where_the_approximation_is_exact(mu):
    game = QuadraticLeaderFollower(mu)
    assert torch.allclose(grads(game.d_loss(None), game.d_params)[0], game.g0)
    (got,) = brc_generator_grads(game, None, game.g_loss(None))
    exact = game.exact_hypergradient()
    (plain,) = grads(game.g_loss(None), game.g_params)
    assert torch.allclose(got, exact, rtol=1e-10, atol=1e-12)
    assert not torch.allclose(plain, exact, atol=1e-3)  # the correction matters here


def test_alr_eps_range_is_validated():
    with pytest.raises(ValidationError, match="alr_eps_min: 5.0 exceeds alr_eps_max"):
        TrialConfig(regularizer="alr", alr_eps_min=5.0, alr_eps_max=1.0)
    assert math.isclose(TrialConfig(regularizer="alr", alr_eps_min=1.0, alr_eps_max=1.0).alr_eps_min, 1.0)
