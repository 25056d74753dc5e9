"""Best-Response Constraint, BRC (Liu, Gao, Liu & Fan, arXiv:2205.10146).

GAN training as a bilevel (Stackelberg) problem: G (theta, the leader) minimises its loss F at D's
best response phi*(theta) = argmin_phi f(theta, phi), f = D's loss. By the implicit function
theorem G should follow the hypergradient

    dF/dtheta = grad_theta F - grad2_{theta phi} f . [grad2_{phi phi} f]^-1 . grad_phi F,

and BRC approximates the Hessian by a damped outer product of D's gradient g = grad_phi f,
H ~ mu I + g g^T, inverted in closed form (Sherman–Morrison):

    H^-1 v = (v - g (g^T v) / (mu + g^T g)) / mu,     v = grad_phi F.

The mixed product grad2_{theta phi} f . w is grad_theta (g . w) with w held fixed: one double backward.

Verified (paper abstract): the bilevel view with G as leader and an "implicit gradient scheme with
outer-product Hessian approximation" as a plug-in on existing GANs. Unverified, recalled: that the
approximation is exactly mu I + g g^T with g = grad_phi f, and the
damping value — no published default was found, so ``brc_mu = 1`` is our choice and should be
swept. No official code was found.

Cost: grad_theta F and grad_phi F come from one backward; g with a graph is one gradient call and
the mixed product one double backward: two extra gradient calls per generator step.
"""
from __future__ import annotations

import torch

from trainables.methods.base import grads
from trainables.regularizers.base import Regularizer
from trainables.regularizers.members import member_dot, member_grads, per_member

Tensor = torch.Tensor


def _dot(a: list[Tensor], b: list[Tensor]) -> Tensor:
    return sum((x * y).sum() for x, y in zip(a, b))


def rank_one_inverse(g: list[Tensor], v: list[Tensor], mu: float) -> list[Tensor]:
    """(mu I + g g^T)^-1 v by Sherman–Morrison, on lists of tensors (no graph)."""
    coef = _dot(g, v) / (mu + _dot(g, g))
    return [(vi - coef * gi) / mu for vi, gi in zip(v, g)]


def brc_generator_grads(game, batch, g_loss: Tensor) -> list[Tensor]:
    """The implicit hypergradient of G's loss with the rank-one Hessian approximation."""
    n_g = len(game.g_params)
    both = grads(g_loss, game.g_params + game.d_params)  # grad_theta F and grad_phi F, one backward
    grad_theta, v = both[:n_g], both[n_g:]
    d_loss = game.d_loss(batch)
    g_graph = torch.autograd.grad(d_loss, game.d_params, create_graph=True, allow_unused=True)
    g = [torch.zeros_like(p) if gi is None else gi.detach() for p, gi in zip(game.d_params, g_graph)]
    w = rank_one_inverse(g, v, game.cfg.brc_mu)
    inner = sum((gi * wi).sum() for gi, wi in zip(g_graph, w) if gi is not None)
    if not (torch.is_tensor(inner) and inner.requires_grad):  # D's gradient does not move with G
        return grad_theta
    mixed = grads(inner, game.g_params)
    return [a - m for a, m in zip(grad_theta, mixed)]


def brc_population_grads(game, batch, g_loss: Tensor) -> list[Tensor]:
    """``brc_generator_grads`` for a population's game (``g_loss`` one value per member): each member's
    Sherman–Morrison coefficient from its own dot products, its own mixed product."""
    n_g = len(game.g_params)
    both = member_grads(g_loss, game.g_params + game.d_params)
    grad_theta, v = both[:n_g], both[n_g:]
    d_loss = game.d_loss(batch)
    g_graph = torch.autograd.grad(d_loss.sum(), game.d_params, create_graph=True, allow_unused=True)
    g = [torch.zeros_like(p) if gi is None else gi.detach() for p, gi in zip(game.d_params, g_graph)]
    mu = game.cfg.brc_mu
    coef = member_dot(g, v) / (mu + member_dot(g, g))
    w = [(vi - per_member(coef, gi) * gi) / mu for vi, gi in zip(v, g)]
    inner = member_dot(g_graph, w)
    if not (torch.is_tensor(inner) and inner.requires_grad):
        return grad_theta
    mixed = member_grads(inner, game.g_params)
    return [a - m for a, m in zip(grad_theta, mixed)]


brc = Regularizer("brc", "g", 2, generator_grads=brc_generator_grads,
                  population_grads=brc_population_grads, batches=True,
                  source="best-response constraint; rank-one Hessian damped by mu 1 (arXiv:2205.10146)",
                  uses=("brc_mu",))  # mu 1 is our choice, not a published value: no default set
