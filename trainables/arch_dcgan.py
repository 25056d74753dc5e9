"""WGAN-GP's DCGAN-type generator and discriminator for 32x32 images, as used by ICR.

ICR (Schaefer, Zheng & Anandkumar, arXiv:1910.05852) trains "an existing implementation of
WGAN-GP" (Gulrajani et al., arXiv:1704.00028) with ACGD. With ``dim=64``: G is
Linear(128 -> 4*4*256)+BN+ReLU, ConvT(256 -> 128)+BN+ReLU, ConvT(128 -> 64)+BN+ReLU,
ConvT(64 -> 3)+tanh; D is Conv(3 -> 64 -> 128 -> 256)+LeakyReLU(0.2) without normalisation and
Linear(4*4*256 -> 1). Every (transposed) convolution has kernel 4, stride 2, padding 1, so the
spatial size doubles (G: 4 -> 8 -> 16 -> 32) or halves (D: 32 -> 16 -> 8 -> 4).
"""
from __future__ import annotations

import torch
from torch import nn


def _up(c_in: int, c_out: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1)


def _down(c_in: int, c_out: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=4, stride=2, padding=1)


class DCGANGenerator(nn.Module):
    """``z`` of shape (B, z_dim) -> images of shape (B, channels, 32, 32) in [-1, 1]."""

    def __init__(self, z_dim: int = 128, dim: int = 64, channels: int = 3):
        super().__init__()
        self.dim = dim
        self.project = nn.Sequential(nn.Linear(z_dim, 4 * 4 * 4 * dim),
                                     nn.BatchNorm1d(4 * 4 * 4 * dim), nn.ReLU())
        self.upsample = nn.Sequential(
            _up(4 * dim, 2 * dim), nn.BatchNorm2d(2 * dim), nn.ReLU(),
            _up(2 * dim, dim), nn.BatchNorm2d(dim), nn.ReLU(),
            _up(dim, channels), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.project(z).view(-1, 4 * self.dim, 4, 4))


class DCGANDiscriminator(nn.Module):
    """Images of shape (B, channels, 32, 32) -> one logit per image, shape (B, 1)."""

    def __init__(self, dim: int = 64, channels: int = 3):
        super().__init__()
        self.features = nn.Sequential(
            _down(channels, dim), nn.LeakyReLU(0.2),
            _down(dim, 2 * dim), nn.LeakyReLU(0.2),
            _down(2 * dim, 4 * dim), nn.LeakyReLU(0.2),
            nn.Flatten())
        self.head = nn.Linear(4 * 4 * 4 * dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
