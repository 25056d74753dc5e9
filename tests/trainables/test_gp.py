"""The gradient penalty against its closed form on a linear critic."""
import torch
from torch import nn

from trainables.config import TrialConfig
from trainables.regularizers.gradient_norm import gradient_penalty


def test_gradient_penalty_on_linear_critic_is_closed_form():
    torch.manual_seed(0)
    critic = nn.Linear(3, 1).double()
    real, fake = torch.randn(16, 3, dtype=torch.float64), torch.randn(16, 3, dtype=torch.float64)
    cfg = TrialConfig(regularizer="gp", gp_lambda=10.0)
    value = gradient_penalty(critic, real, fake, cfg)
    w = critic.weight.detach()
    # grad_x (w.x + b) = w everywhere, whatever the interpolation weights: lambda (||w|| - 1)^2
    assert torch.allclose(value, 10.0 * (w.norm() - 1) ** 2)
    (grad_w,) = torch.autograd.grad(value, critic.weight)
    assert torch.allclose(grad_w, 10.0 * 2 * (w.norm() - 1) * w / w.norm())


def test_gradient_penalty_reaches_only_the_critic():
    G, D = nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    real = torch.randn(8, 3)
    fake = G(torch.randn(8, 2))
    value = gradient_penalty(D, real, fake, TrialConfig())
    grads = torch.autograd.grad(value, list(G.parameters()) + list(D.parameters()), allow_unused=True)
    assert all(g is None for g in grads[:2])
    weights = [g for g, p in zip(grads[2:], D.parameters()) if p.dim() > 1]
    assert all(g is not None and g.abs().sum() > 0 for g in weights)  # (the last bias cannot move grad_x D)
