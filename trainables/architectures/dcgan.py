"""WGAN-GP's DCGAN-type generator and discriminator, as used by ICR, sized by resolution.

ICR (Schaefer, Zheng & Anandkumar, arXiv:1910.05852) trains "an existing implementation of
WGAN-GP" (Gulrajani et al., arXiv:1704.00028) with ACGD. At 32x32 with ``dim=64``: G is
Linear(128 -> 4*4*256)+BN+ReLU, ConvT(256 -> 128)+BN+ReLU, ConvT(128 -> 64)+BN+ReLU,
ConvT(64 -> 3)+tanh; D is Conv(3 -> 64 -> 128 -> 256)+LeakyReLU(0.2) without normalisation and
Linear(4*4*256 -> 1). Every (transposed) convolution has kernel 4, stride 2, padding 1, so the
spatial size doubles (G: 4 -> 8 -> 16 -> 32) or halves (D: 32 -> 16 -> 8 -> 4).

Other resolutions ``4 * 2**k`` keep that pattern with k up/down stages and the channel count
halving towards the image (the DCGAN-64 of Radford et al. is k=4, top 8*dim). ``dcgan`` (the
registry factory) sets ``dim = 64 * width_mult``; ``spectral_norm`` wraps D's layers only.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

from trainables.architectures.image_shape import square_image


def stages(resolution: int) -> int:
    """k for a side of 4 * 2**k (k >= 1); ValueError otherwise."""
    k = math.log2(resolution / 4) if resolution >= 8 else 0
    if resolution < 8 or k != int(k):
        raise ValueError(f"resolution: image architectures build 4*2^k pixels (8, 16, 32, 64, ...), got {resolution}")
    return int(k)


def _up(c_in: int, c_out: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1)


def _down(c_in: int, c_out: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=4, stride=2, padding=1)


class DCGANGenerator(nn.Module):
    """``z`` of shape (B, z_dim) -> images of shape (B, channels, resolution, resolution) in [-1, 1]."""

    def __init__(self, z_dim: int = 128, dim: int = 64, channels: int = 3, resolution: int = 32):
        super().__init__()
        k = stages(resolution)
        self.top = dim * 2 ** (k - 1)
        self.project = nn.Sequential(nn.Linear(z_dim, 4 * 4 * self.top),
                                     nn.BatchNorm1d(4 * 4 * self.top), nn.ReLU())
        layers: list[nn.Module] = []
        c = self.top
        for _ in range(k - 1):
            layers += [_up(c, c // 2), nn.BatchNorm2d(c // 2), nn.ReLU()]
            c //= 2
        layers += [_up(c, channels), nn.Tanh()]
        self.upsample = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.project(z).view(-1, self.top, 4, 4))


class DCGANDiscriminator(nn.Module):
    """Images of shape (B, channels, resolution, resolution) -> one logit per image, shape (B, 1)."""

    def __init__(self, dim: int = 64, channels: int = 3, resolution: int = 32, spectral_norm: bool = False):
        super().__init__()
        k = stages(resolution)
        wrap = _sn if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = [wrap(_down(channels, dim)), nn.LeakyReLU(0.2)]
        c = dim
        for _ in range(k - 1):
            layers += [wrap(_down(c, 2 * c)), nn.LeakyReLU(0.2)]
            c *= 2
        layers.append(nn.Flatten())
        self.features = nn.Sequential(*layers)
        self.head = wrap(nn.Linear(4 * 4 * c, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def dcgan(*, data_shape: tuple[int, ...], z_dim: int, width_mult: float = 1.0, spectral_norm: bool = False,
          **_: object) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) for images of ``data_shape`` = (C, H, H); 64 base channels at width 1."""
    channels, height, dim = square_image(data_shape, "dcgan", 64, width_mult)
    return (DCGANGenerator(z_dim, dim, channels, height),
            DCGANDiscriminator(dim, channels, height, spectral_norm=spectral_norm))
