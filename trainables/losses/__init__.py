"""Adversarial losses on discriminator logits (``adversarial``): wgan, minimax, ns, hinge."""
from trainables.losses.adversarial import Loss

__all__ = ["Loss"]
