"""Every built-in component, registered once. A new method is one module plus one line here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trainables import compat
from trainables.architectures import dcgan, mlp, resnet
from trainables.datasets import images, toy
from trainables.losses import adversarial
from trainables.methods.alternating import Alternating
from trainables.methods.base import adam_or_sgd
from trainables.methods.competitive import GeneralSum, ZeroSum
from trainables.methods.extragradient import Extragradient
from trainables.methods.optimistic import Optimistic
from trainables.methods.simultaneous import Simultaneous
from trainables.registry import ARCHITECTURES, CONFIG_RULES, DATASETS, LOSSES, OPTIMIZERS, REGULARIZERS
from trainables.regularizers import advas, alr, base, brc, gradient_norm


@dataclass(frozen=True)
class OptimizerSpec:
    """How to build a training method, and what the study needs to know about it."""

    build: Callable  # (game, cfg) -> Method
    zero_sum_only: bool  # needs a zero-sum loss
    source: str  # where the method and its published default settings come from
    # the published default as a whole set of settings (with "lr" for both players); part of every grid
    defaults: dict[str, Any] = field(default_factory=dict)
    uses: tuple[str, ...] = ()  # the settings it reads beyond the learning rates (others are reset)
    competitive: bool = False  # a competitive (CGD-family) solver: the claim under test
    follows_generator_grads: bool = True  # steps G along game.g_grads (so AdvAs/BRC can act on it)

    @property
    def default_lr(self) -> float | None:
        return self.defaults.get("lr")


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

ADAM_KEYS = ("beta1", "beta2")
SOLVER_KEYS = ("cg_tol", "cg_atol", "cg_max_iter")
ADAPTIVE_SOLVER_KEYS = SOLVER_KEYS + ("acgd_beta", "acgd_eps")

OPTIMIZERS.register("sgd", OptimizerSpec(
    lambda game, cfg: Alternating(game, cfg, adaptive=False), False,
    "alternating SGD, n_critic D steps per G step", uses=("n_critic",)))
OPTIMIZERS.register("adam", OptimizerSpec(
    lambda game, cfg: Alternating(game, cfg, adaptive=True), False,
    "alternating Adam as in the WGAN-GP code (igul222/improved_wgan_training, arXiv:1704.00028): "
    "lr 1e-4, betas (0.5, 0.9), n_critic 5",
    defaults={"lr": 1e-4, "beta1": 0.5, "beta2": 0.9, "n_critic": 5}, uses=ADAM_KEYS + ("n_critic",)))
OPTIMIZERS.register("gda", OptimizerSpec(
    _simultaneous(None, False), False, "simultaneous gradient descent-ascent"))
OPTIMIZERS.register("ogda", OptimizerSpec(
    _simultaneous(Optimistic, False), False, "optimistic GDA (arXiv:1711.00141)"))
OPTIMIZERS.register("optimistic_adam", OptimizerSpec(
    _simultaneous(Optimistic, True), False, "optimistic Adam (arXiv:1711.00141)", uses=ADAM_KEYS))
OPTIMIZERS.register("extragradient", OptimizerSpec(
    _extragradient(False), False, "extragradient (arXiv:1802.10551)"))
OPTIMIZERS.register("extra_adam", OptimizerSpec(
    _extragradient(True), False, "Extra-Adam (arXiv:1802.10551)", uses=ADAM_KEYS))
OPTIMIZERS.register("bcgd", OptimizerSpec(
    lambda game, cfg: ZeroSum(game, cfg, adaptive=False), True,
    "competitive gradient descent (arXiv:1905.12103); CG tolerances of the ICR CIFAR-10 trainer "
    "(squared residual 1e-10, 1e-16)",
    defaults={"cg_tol": 1e-10, "cg_atol": 1e-16}, uses=SOLVER_KEYS, competitive=True,
    follows_generator_grads=False))
OPTIMIZERS.register("acgd", OptimizerSpec(
    lambda game, cfg: ZeroSum(game, cfg, adaptive=True), True,
    "adaptive CGD (ICR, arXiv:1910.05852): lr 1e-4 for both players (cifar10-acgd script), beta 0.99 "
    "and eps 1e-5 (CGDs 0.4.5 ACGD), CG on the squared residual to 1e-10 / 1e-16 (ICR CIFAR-10 trainer)",
    defaults={"lr": 1e-4, "acgd_beta": 0.99, "acgd_eps": 1e-5, "cg_tol": 1e-10, "cg_atol": 1e-16},
    uses=ADAPTIVE_SOLVER_KEYS, competitive=True, follows_generator_grads=False))
OPTIMIZERS.register("gacgd", OptimizerSpec(
    lambda game, cfg: GeneralSum(game, cfg), False,
    "general-sum ACGD solved with GMRES, CGDs 0.4.5 GACGD defaults: lr 1e-3, beta 0.99, eps 1e-6, "
    "GMRES residual norm to 1e-5 (relative) / 1e-6 (absolute)",
    defaults={"lr": 1e-3, "acgd_beta": 0.99, "acgd_eps": 1e-6, "cg_tol": 1e-5, "cg_atol": 1e-6},
    uses=ADAPTIVE_SOLVER_KEYS, competitive=True, follows_generator_grads=False))

CONFIG_RULES.register("compatible", compat.check_compatible)
