"""The WGAN-GP / SNGAN CIFAR ResNet, sized by resolution, with a width multiplier.

After Gulrajani et al., arXiv:1704.00028 (``gan_cifar_resnet.py``: 128 channels in G and D, BN in G
only) and Miyato et al., arXiv:1802.05957 (SNGAN's CIFAR ResNet: same layout with spectral
normalisation in D). At 32x32:
G: Linear(z -> 4*4*128), 3 up-blocks (BN-ReLU-up-conv3-BN-ReLU-conv3, shortcut up-conv1)
   4 -> 8 -> 16 -> 32, BN-ReLU-conv3(-> C)-tanh.
D: optimized first block (conv3-ReLU-conv3-avgpool, shortcut avgpool-conv1) 32 -> 16, one
   down-block 16 -> 8, two plain blocks at 8x8, ReLU, global mean pooling (WGAN-GP's
   ``reduce_mean``; SNGAN sums, which only rescales the head), Linear(128 -> 1).
Other sides ``4 * 2**k``: G has k up-blocks; D has max(1, k-1) down-sampling blocks (the first
one optimized) then two plain blocks, so its last feature map is 8x8 for k >= 2. Upsampling is
nearest-neighbour (SNGAN); WGAN-GP's depth-to-space is equivalent up to a reparametrisation.
``resnet`` sets channels = 128 * width_mult; ``spectral_norm`` wraps D's layers only.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

from trainables.architectures.dcgan import stages
from trainables.architectures.image_shape import square_image


def _conv(c_in: int, c_out: int, k: int = 3) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=k, padding=k // 2)


class GenBlock(nn.Module):
    """Pre-activation residual block with 2x nearest upsampling."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(c_in), _conv(c_in, c_out)
        self.bn2, self.conv2 = nn.BatchNorm2d(c_out), _conv(c_out, c_out)
        self.shortcut = _conv(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class DiscBlock(nn.Module):
    """Pre-activation residual block, optionally 2x average-pooled; ``first`` is SNGAN's optimized block."""

    def __init__(self, c_in: int, c_out: int, down: bool, first: bool, wrap):
        super().__init__()
        self.down, self.first = down, first
        self.conv1, self.conv2 = wrap(_conv(c_in, c_out)), wrap(_conv(c_out, c_out))
        self.shortcut = wrap(_conv(c_in, c_out, 1)) if (down or c_in != c_out) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)  # the first block sees the image, not an activation
        h = self.conv2(F.relu(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.shortcut is not None:
            if self.first:  # pool then conv (optimized block), else conv then pool
                s = self.shortcut(F.avg_pool2d(x, 2) if self.down else x)
            else:
                s = self.shortcut(x)
                s = F.avg_pool2d(s, 2) if self.down else s
        return h + s


class ResNetGenerator(nn.Module):
    def __init__(self, z_dim: int = 128, ch: int = 128, channels: int = 3, resolution: int = 32):
        super().__init__()
        self.ch = ch
        self.project = nn.Linear(z_dim, 4 * 4 * ch)
        self.blocks = nn.Sequential(*[GenBlock(ch, ch) for _ in range(stages(resolution))])
        self.out = nn.Sequential(nn.BatchNorm2d(ch), nn.ReLU(), _conv(ch, channels), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(self.project(z).view(-1, self.ch, 4, 4)))


class ResNetDiscriminator(nn.Module):
    def __init__(self, ch: int = 128, channels: int = 3, resolution: int = 32, spectral_norm: bool = False):
        super().__init__()
        wrap = _sn if spectral_norm else (lambda m: m)
        n_down = max(1, stages(resolution) - 1)
        blocks = [DiscBlock(channels, ch, down=True, first=True, wrap=wrap)]
        blocks += [DiscBlock(ch, ch, down=True, first=False, wrap=wrap) for _ in range(n_down - 1)]
        blocks += [DiscBlock(ch, ch, down=False, first=False, wrap=wrap) for _ in range(2)]
        self.blocks = nn.Sequential(*blocks)
        self.head = wrap(nn.Linear(ch, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.blocks(x)).mean(dim=(2, 3))
        return self.head(h)


def resnet(*, data_shape: tuple[int, ...], z_dim: int, width_mult: float = 1.0, spectral_norm: bool = False,
           **_: object) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) for images of ``data_shape`` = (C, H, H); 128 channels at width 1."""
    channels, height, ch = square_image(data_shape, "resnet", 128, width_mult)
    return (ResNetGenerator(z_dim, ch, channels, height),
            ResNetDiscriminator(ch, channels, height, spectral_norm=spectral_norm))
