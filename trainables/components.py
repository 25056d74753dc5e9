"""Every built-in component, registered once. A new method is one module plus one line here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from trainables import compat
from trainables.architectures import dcgan, mlp, resnet
from trainables.datasets import images, toy
from trainables.losses import adversarial
from trainables.regularizers import advas, alr, base, brc, gradient_norm
from trainables.methods.alternating import Alternating
from trainables.methods.competitive import GeneralSum, ZeroSum
from trainables.methods.extragradient import Extragradient
from trainables.methods.optimistic import Optimistic
from trainables.methods.simultaneous import Simultaneous
from trainables.methods.base import adam_or_sgd
from trainables.registry import ARCHITECTURES, CONFIG_RULES, DATASETS, LOSSES, OPTIMIZERS, REGULARIZERS


@dataclass(frozen=True)
class OptimizerSpec:
    """How to build a training method, and what the study needs to know about it."""

    build: Callable  # (game, cfg) -> Method
    default_lr: Optional[float]  # the published default, part of every grid; None if there is none
    zero_sum_only: bool  # needs a zero-sum loss
    source: str
    follows_generator_grads: bool = True  # steps G along game.g_grads (so AdvAs/BRC can act on it)


@dataclass(frozen=True)
class DatasetSpec:
    build: Callable  # (**cfg) -> dataset with .sample(n), .shape, .kind
    kind: str  # "points" | "images"


@dataclass(frozen=True)
class ArchSpec:
    build: Callable  # (data_shape=..., **cfg) -> (G, D)
    kind: str  # data kind it accepts


def _pair(optimizer_cls, adaptive: bool):
    def build(game, cfg):
        def make(params, lr):
            if optimizer_cls is None:
                return adam_or_sgd(params, cfg, lr, adaptive)
            return optimizer_cls(params, lr, adaptive=adaptive, betas=(cfg.beta1, cfg.beta2))
        return make(game.g_params, cfg.lr_generator), make(game.d_params, cfg.lr_discriminator)
    return build


def _simultaneous(optimizer_cls, adaptive):
    return lambda game, cfg: Simultaneous(game, *_pair(optimizer_cls, adaptive)(game, cfg))


def _extragradient(adaptive):
    return lambda game, cfg: Extragradient(game, *_pair(None, adaptive)(game, cfg))


DATASETS.register("ring8", DatasetSpec(toy.ring8, "points"))
DATASETS.register("grid25", DatasetSpec(toy.grid25, "points"))
DATASETS.register("digits", DatasetSpec(images.digits, "images"))
DATASETS.register("mnist", DatasetSpec(images.mnist, "images"))
DATASETS.register("cifar10", DatasetSpec(images.cifar10, "images"))
DATASETS.register("folder", DatasetSpec(images.folder, "images"))

ARCHITECTURES.register("mlp", ArchSpec(mlp.mlp, "points"))
ARCHITECTURES.register("dcgan", ArchSpec(dcgan.dcgan, "images"))
ARCHITECTURES.register("resnet", ArchSpec(resnet.resnet, "images"))

LOSSES.register("wgan", adversarial.wgan)
LOSSES.register("minimax", adversarial.minimax)
LOSSES.register("ns", adversarial.ns)
LOSSES.register("hinge", adversarial.hinge)

REGULARIZERS.register("none", base.none)
REGULARIZERS.register("gp", gradient_norm.gp)
REGULARIZERS.register("r1", gradient_norm.r1)
REGULARIZERS.register("alr", alr.alr)
REGULARIZERS.register("advas", advas.advas)
REGULARIZERS.register("brc", brc.brc)

OPTIMIZERS.register("sgd", OptimizerSpec(
    lambda game, cfg: Alternating(game, cfg, adaptive=False), None, False,
    "alternating SGD, n_critic D steps per G step"))
OPTIMIZERS.register("adam", OptimizerSpec(
    lambda game, cfg: Alternating(game, cfg, adaptive=True), 1e-4, False,
    "alternating Adam; default lr 1e-4, betas (0.5, 0.9), n_critic 5 (WGAN-GP, arXiv:1704.00028)"))
OPTIMIZERS.register("gda", OptimizerSpec(
    _simultaneous(None, False), None, False, "simultaneous gradient descent-ascent"))
OPTIMIZERS.register("ogda", OptimizerSpec(
    _simultaneous(Optimistic, False), None, False, "optimistic GDA (arXiv:1711.00141)"))
OPTIMIZERS.register("optimistic_adam", OptimizerSpec(
    _simultaneous(Optimistic, True), None, False, "optimistic Adam (arXiv:1711.00141)"))
OPTIMIZERS.register("extragradient", OptimizerSpec(
    _extragradient(False), None, False, "extragradient (arXiv:1802.10551)"))
OPTIMIZERS.register("extra_adam", OptimizerSpec(
    _extragradient(True), None, False, "Extra-Adam (arXiv:1802.10551)"))
OPTIMIZERS.register("bcgd", OptimizerSpec(
    lambda game, cfg: ZeroSum(game, cfg, adaptive=False), None, True,
    "competitive gradient descent (arXiv:1905.12103)", follows_generator_grads=False))
OPTIMIZERS.register("acgd", OptimizerSpec(
    lambda game, cfg: ZeroSum(game, cfg, adaptive=True), 1e-4, True,
    "adaptive CGD; default lr 1e-4 for both players (ICR, arXiv:1910.05852, cifar10-acgd script)",
    follows_generator_grads=False))
OPTIMIZERS.register("gacgd", OptimizerSpec(
    lambda game, cfg: GeneralSum(game, cfg), 1e-3, False,
    "general-sum ACGD solved with GMRES (CGDs 0.4.5 GACGD; default lr = the package default 1e-3)",
    follows_generator_grads=False))

CONFIG_RULES.register("compatible", compat.check_compatible)
