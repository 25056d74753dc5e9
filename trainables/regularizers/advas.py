"""The Adversary's Assistant, AdvAs (Munk, Harvey & Wood, IJCNN 2021, arXiv:2010.01274).

The generator's gradient assumes an optimal discriminator (grad_phi L_D = 0); AdvAs adds a
generator-side penalty that moves G towards points where the current D is first-order optimal:

    L_G^AdvAs = L_G(theta, phi) + lambda_t * r(theta, phi),   r = ||grad_phi L_D(theta, phi)||_2^2,

with r on the same minibatch as L_G (D's full training loss; only its fake terms depend on theta)
and lambda_t reset every step so that the assist has the size of the main gradient:

    lambda_t = gamma * ||grad_theta L_G|| / ||grad_theta r||   (norms detached).

Verified (paper abstract, arXiv:2010.01274 / OpenReview BVPowUU1cR): a penalty on the generator
"based on the norm of the gradients used to train the discriminator", D's objective unchanged.
Unverified, recalled: the squared L2 norm, the per-step rescaling of lambda
and gamma = 1 — the body of the paper could not be retrieved here, so check them against the PDF
before quoting. No official code exists.

Cost: grad_phi L_D with a graph (one gradient call) and grad_theta r (one double backward) on top
of grad_theta L_G: two extra gradient calls per generator step.

Zero-sum solvers (bcgd, acgd) cannot take it, and neither does gacgd: GMRES-ACGD forms mixed
Hessian-vector products of G's loss, so the penalty would need third derivatives through D in every
product and a lambda_t held fixed across the solve; ``trainables.compat`` refuses the pair.
"""
from __future__ import annotations

import torch

from trainables.methods.base import grads
from trainables.regularizers.base import Regularizer
from trainables.regularizers.members import member_dot, member_grads, member_norm, per_member

Tensor = torch.Tensor


def _norm(tensors: list[Tensor]) -> Tensor:
    return torch.sqrt(sum((t.detach() ** 2).sum() for t in tensors))


def d_gradient_norm_sq(game, batch) -> Tensor:
    """r = ||grad_phi L_D||^2 with the graph kept, so it can be differentiated in theta."""
    d_loss = game.d_loss(batch)
    d_grads = torch.autograd.grad(d_loss, game.d_params, create_graph=True, allow_unused=True)
    return sum((g ** 2).sum() for g in d_grads if g is not None)


def advas_generator_grads(game, batch, g_loss: Tensor) -> list[Tensor]:
    """grad_theta L_G + lambda_t grad_theta r, lambda_t as in the module docstring."""
    main = grads(g_loss, game.g_params)
    r = d_gradient_norm_sq(game, batch)
    if not (torch.is_tensor(r) and r.requires_grad):  # D's gradient cannot move with G
        return main
    assist = grads(r, game.g_params)
    assist_norm = _norm(assist)
    if assist_norm == 0:
        return main
    lam = game.cfg.advas_gamma * _norm(main) / assist_norm
    return [m + lam * a for m, a in zip(main, assist)]


def advas_population_grads(game, batch, g_loss: Tensor) -> list[Tensor]:
    """``advas_generator_grads`` for a population's game (``g_loss`` one value per member): each
    member's r, norms and lambda_t are its own, and a member whose assist vanishes follows its main
    gradient, as alone."""
    main = member_grads(g_loss, game.g_params)
    d_loss = game.d_loss(batch)  # D-side penalty included: its draws come from each member's stream
    d_grads = torch.autograd.grad(d_loss.sum(), game.d_params, create_graph=True, allow_unused=True)
    r = member_dot(d_grads, d_grads)  # each member's ||grad_phi L_D||^2, with graph
    if not (torch.is_tensor(r) and r.requires_grad):
        return main
    assist = member_grads(r, game.g_params)
    assist_norm = member_norm(assist)
    lam = game.cfg.advas_gamma * member_norm(main) / assist_norm  # inf/nan where assist_norm is 0: not used
    vanished = assist_norm == 0
    return [torch.where(per_member(vanished, m), m, m + per_member(lam, m) * a) for m, a in zip(main, assist)]


advas = Regularizer("advas", "g", 2, generator_grads=advas_generator_grads,
                    population_grads=advas_population_grads, batches=True,
                    source="the Adversary's Assistant; gamma 1 (arXiv:2010.01274)",
                    defaults={"advas_gamma": 1.0}, uses=("advas_gamma",))
