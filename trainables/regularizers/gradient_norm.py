"""The two gradient-norm penalties on D's input: WGAN-GP (two-sided, on interpolates) and R1
(zero-centred, on real data)."""
from __future__ import annotations

import torch
from torch import nn

from trainables.regularizers.base import Regularizer

Tensor = torch.Tensor


def gradient_penalty(D: nn.Module, real: Tensor, fake: Tensor, cfg, *, rand=None, batch_dims: int = 1) -> Tensor:
    """WGAN-GP as published (Gulrajani et al. 2017, arXiv:1704.00028): two-sided,
    lambda * E[(||grad_x D(x_hat)||_2 - 1)^2] with x_hat = a*real + (1-a)*fake, a ~ U[0, 1] per sample.
    (The ICR code drew a from a normal distribution; we do not.)

    ``a`` is drawn on the CPU (``rand(shape, dtype)``, default ``torch.rand``) on any device, so one
    random stream drives a trial wherever it runs. ``batch_dims=2``: ``real`` is ``(members, batch, ...)``
    for a population (``trainables.population``) and the result has one value per member."""
    rand = rand or (lambda shape, dtype: torch.rand(shape, dtype=dtype))
    alpha = rand((real.shape[batch_dims - 1],) + (1,) * (real.dim() - batch_dims), real.dtype).to(real.device)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return cfg.gp_lambda * ((grad.flatten(batch_dims).norm(dim=-1) - 1) ** 2).mean(dim=-1)


def r1_penalty(D: nn.Module, real: Tensor, fake: Tensor, cfg, *, rand=None, batch_dims: int = 1) -> Tensor:
    """R1 (Mescheder, Geiger & Nowozin 2018, arXiv:1801.04406): a zero-centred gradient penalty on
    real data only, (gamma / 2) * E_real ||grad_x D(x)||^2, on D's logit.

    Verified in LMescheder/GAN_stability (``gan_training/train.py``, ``reg_type: real``): the penalty
    is on real data, on the logit, squared norm summed over input dimensions, averaged over the
    batch. That code multiplies by ``reg_param`` (10 in ``configs/default.yaml``) without the 1/2,
    i.e. gamma = 20 in the paper's form. The paper's gamma/2 form and its gamma = 10 are recalled
    (not checked against the PDF); we keep the paper's form. ``batch_dims`` as for the gradient penalty."""
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return 0.5 * cfg.r1_gamma * grad.flatten(batch_dims).pow(2).sum(dim=-1).mean(dim=-1)


gp = Regularizer("gp", "d", 1, gradient_penalty, source="WGAN-GP, lambda 10 (arXiv:1704.00028)",
                 defaults={"gp_lambda": 10.0}, uses=("gp_lambda",), batches=True)
r1 = Regularizer("r1", "d", 1, r1_penalty, source="R1 on real data, gamma 10 (arXiv:1801.04406)",
                 defaults={"r1_gamma": 10.0}, uses=("r1_gamma",), batches=True)
