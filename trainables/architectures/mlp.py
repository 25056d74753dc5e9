"""MLP generator and discriminator for point data (width and depth configurable)."""
from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn


def _mlp(d_in: int, d_out: int, width: int, depth: int, sn: bool = False) -> nn.Sequential:
    wrap = _sn if sn else (lambda m: m)
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [wrap(nn.Linear(d_in if i == 0 else width, width)), nn.ReLU()]
    layers.append(wrap(nn.Linear(width if depth else d_in, d_out)))
    return nn.Sequential(*layers)


def mlp(*, data_shape: tuple[int, ...], z_dim: int, width: int, depth: int, spectral_norm: bool,
        **_: object) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator); spectral normalisation applies to the discriminator only."""
    (dim,) = data_shape
    return _mlp(z_dim, dim, width, depth), _mlp(dim, 1, width, depth, sn=spectral_norm)
