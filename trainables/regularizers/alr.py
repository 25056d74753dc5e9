"""Adversarial Lipschitz Regularization (Terjék, ICLR 2020, arXiv:1907.05681).

An explicit, one-sided Lipschitz penalty at adversarial perturbations of the samples, added to D's
loss (no double backward, unlike the gradient penalty):

    lambda * mean_x max(0, |D(x) - D(x + r_adv)| / ||r_adv||_p - K)^2,   x in real ∪ fake,

where r_adv = eps * d, eps ~ U(eps_min, eps_max) per sample, and d approximates the direction in
which D changes fastest, found VAT-style: start from a random unit d and repeat ``power_iters``
times d <- normalize(grad_d mean|D(x) - D(x + xi d)|) (no gradient through d).

Verified against the reference code (dterjek/adversarial_lipschitz_regularization, ``wgan_alp.py``,
the CIFAR-10 WGAN-ALP run): the formula above, the sample set (real and fake batch concatenated),
the start d ~ U(-1/2, 1/2) normalised per sample in L2, the mean reduction, the norm floor 1e-10,
and the defaults lambda 10, eps_min 0.1, eps_max 10, xi 10, power iterations (``ip``) 1, K 1,
p 2. The reference clips perturbed images to [-1, 1] (the data range); we clip image batches the
same way and leave point data unclipped (it has no bounded range). Unverified (recalled): whether
the paper's text uses lambda 100 for its ResNet run. Note the eps range is in
data units: 0.1–10 was set for 32x32x3 images in [-1, 1]; on the unit-radius ring it is large.
"""
from __future__ import annotations

import torch
from torch import nn

from trainables.regularizers.base import Regularizer

Tensor = torch.Tensor

_FLOOR = 1e-10  # the reference's floor on norms


def _normalize(v: Tensor, batch_dims: int = 1) -> Tensor:
    """Each sample scaled to unit L2 norm (the reference normalises directions in L2 whatever p is)."""
    norms = v.flatten(batch_dims).norm(dim=-1).clamp_min(_FLOOR)
    return v / norms.view(norms.shape + (1,) * (v.dim() - batch_dims))


def _perturb(x: Tensor, r: Tensor, clip: tuple[float, float] | None) -> Tensor:
    return x + r if clip is None else (x + r).clamp(*clip)


def _data_range(x: Tensor, batch_dims: int = 1) -> tuple[float, float] | None:
    """Images in this project are scaled to [-1, 1] (tanh generators); points are unbounded."""
    return (-1.0, 1.0) if x.dim() - batch_dims > 1 else None


def _cpu_rand(shape: tuple[int, ...], dtype: torch.dtype) -> Tensor:
    return torch.rand(shape, dtype=dtype)


def adversarial_direction(D: nn.Module, x: Tensor, *, xi: float, power_iters: int,
                          clip: tuple[float, float] | None = None, rand=None, batch_dims: int = 1) -> Tensor:
    """Unit direction per sample along which D changes fastest, by ``power_iters`` power-iteration
    steps from a random start (0 steps: the random direction itself, the paper's ablation).
    ``rand`` and ``batch_dims`` as for ``alr_penalty``."""
    rand = rand or _cpu_rand
    x = x.detach()
    d = _normalize(rand(x.shape[batch_dims - 1:], x.dtype).to(x.device) - 0.5, batch_dims)
    if power_iters == 0:
        return d
    with torch.no_grad():
        y = D(x)  # does not depend on d: one forward serves every iteration
    for _ in range(power_iters):
        d = d.requires_grad_(True)
        # each member's own mean; member k's direction moves only member k's term of the sum
        dist = (y - D(_perturb(x, xi * d, clip))).abs().flatten(batch_dims - 1).mean(dim=-1)
        (grad,) = torch.autograd.grad(dist.sum(), d)
        d = _normalize(grad, batch_dims)  # autograd.grad returns no graph: the stop-gradient of the reference
    return d


def alr_penalty(D: nn.Module, real: Tensor, fake: Tensor, cfg, *, rand=None, batch_dims: int = 1) -> Tensor:
    """The ALP term of D's loss; depends on D only (both sample sets are detached).

    The start direction and eps are drawn on the CPU (``rand(shape, dtype)``, default ``torch.rand``)
    on any device, as GP's weights, so one random stream drives a trial wherever it runs.
    ``batch_dims=2``: ``real`` is ``(members, batch, ...)`` for a population (``trainables.population``),
    ``D`` a stacked MLP, ``rand`` draws one ``shape`` per member, and the result has one value per member."""
    rand = rand or _cpu_rand
    sample_dim = batch_dims - 1
    x = torch.cat([real.detach(), fake.detach()], dim=sample_dim)
    clip = _data_range(x, batch_dims)
    d = adversarial_direction(D, x, xi=cfg.alr_xi, power_iters=cfg.alr_power_iters, clip=clip, rand=rand,
                              batch_dims=batch_dims)
    u = rand((x.shape[sample_dim],) + (1,) * (x.dim() - batch_dims), x.dtype).to(x.device)
    eps = cfg.alr_eps_min + (cfg.alr_eps_max - cfg.alr_eps_min) * u
    x_hat = _perturb(x, eps * d, clip)
    # one forward for both; equal to two because no registered D normalises over the batch
    y, y_hat = D(torch.cat([x, x_hat], dim=sample_dim)).flatten(batch_dims).chunk(2, dim=sample_dim)
    dist_x = (x - x_hat).flatten(batch_dims).norm(p=cfg.alr_p, dim=-1).clamp_min(_FLOOR)
    dist_y = (y - y_hat).abs().sum(dim=-1)  # D has one output
    excess = (dist_y / dist_x - cfg.alr_k).clamp_min(0.0)
    return cfg.alr_lambda * excess.pow(2).mean(dim=-1)


# cost: each power iteration is one gradient call (w.r.t. d); the penalty itself is first order
alr = Regularizer("alr", "d", lambda cfg: cfg.alr_power_iters, alr_penalty,
                  source="adversarial Lipschitz penalty; lambda 10, eps ~ U(0.1, 10), xi 10, K 1, p 2, "
                         "1 power iteration (arXiv:1907.05681, reference code)",
                  defaults={"alr_lambda": 10.0, "alr_eps_min": 0.1, "alr_eps_max": 10.0, "alr_xi": 10.0,
                            "alr_power_iters": 1, "alr_k": 1.0, "alr_p": 2.0},
                  uses=("alr_lambda", "alr_eps_min", "alr_eps_max", "alr_xi", "alr_power_iters", "alr_k", "alr_p"),
                  batches=True)
