"""DCGAN and ResNet: sized by resolution and channels, width multiplier, spectral norm, the ICR shapes."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from trainables.architectures.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan
from trainables.architectures.resnet import resnet


@pytest.mark.parametrize("build", [dcgan, resnet])
@pytest.mark.parametrize("side, channels", [(8, 1), (16, 1), (32, 3)])
def test_images_of_the_data_shape_and_one_logit_each(build, side, channels):
    G, D = build(data_shape=(channels, side, side), z_dim=8, width_mult=1 / 16, spectral_norm=False)
    x = G(torch.randn(4, 8))
    assert x.shape == (4, channels, side, side) and x.abs().max() <= 1
    assert D(x).shape == (4, 1)


def test_dcgan_at_32_is_the_icr_network():
    """ICR's DCGAN (arXiv:1910.05852): G Linear(128 -> 4*4*256), ConvT 256 -> 128 -> 64 -> 3;
    D Conv 3 -> 64 -> 128 -> 256, Linear(4096 -> 1)."""
    G, D = DCGANGenerator(), DCGANDiscriminator()
    convs = [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert G.project[0].weight.shape == (4 * 4 * 256, 128)
    assert [(m.in_channels, m.out_channels) for m in convs] == [(256, 128), (128, 64), (64, 3)]
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert [(m.in_channels, m.out_channels) for m in convs] == [(3, 64), (64, 128), (128, 256)]
    assert D.head.weight.shape == (1, 4096)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())


def test_width_multiplier_and_resnet_base_of_128_channels():
    _, D = resnet(data_shape=(3, 32, 32), z_dim=128)
    assert D.head.in_features == 128
    G, D = dcgan(data_shape=(1, 16, 16), z_dim=16, width_mult=0.5)
    assert G.top == 64 and D.head.in_features == 4 * 4 * 64  # dim 32, two stages


@pytest.mark.parametrize("build", [dcgan, resnet])
def test_spectral_norm_wraps_the_discriminator_only(build):
    G, D = build(data_shape=(1, 16, 16), z_dim=8, width_mult=1 / 16, spectral_norm=True)
    sn = lambda m: any("parametrizations" in n for n, _ in m.named_parameters())  # noqa: E731
    assert sn(D) and not sn(G)


@pytest.mark.parametrize("build", [dcgan, resnet])
def test_gradient_penalty_double_backward_works(build):
    _, D = build(data_shape=(3, 16, 16), z_dim=8, width_mult=1 / 16, spectral_norm=True)
    x = torch.randn(3, 3, 16, 16, requires_grad=True)
    (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    g.pow(2).sum().backward()
    # every weight feels the penalty (biases of a piecewise-linear net may not: the gradient ignores them)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for n, p in D.named_parameters() if "bias" not in n)


def test_unsupported_resolution_is_a_value_error():
    with pytest.raises(ValueError, match="4\\*2\\^k"):
        dcgan(data_shape=(1, 28, 28), z_dim=8)
