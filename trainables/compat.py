"""Which components go together: the one place that rejects incompatible trial configs.

It decides from the registries alone and takes any object with the config's attributes, so it never
imports the config that declares them; ``trainables/components.py`` registers it as a config rule."""
from __future__ import annotations

from trainables.registry import ARCHITECTURES, DATASETS, LOSSES, OPTIMIZERS, REGULARIZERS


def check_compatible(cfg) -> None:
    """Raise ``ValueError('<field>: <why>')`` for a combination that cannot be trained."""
    optimizer = OPTIMIZERS.get(cfg.optimizer)
    if optimizer.zero_sum_only:
        if not LOSSES.get(cfg.loss).zero_sum:
            zero_sum = [n for n in LOSSES if LOSSES.get(n).zero_sum]
            raise ValueError(
                f"loss: optimizer {cfg.optimizer!r} solves zero-sum games and loss {cfg.loss!r} is not "
                f"zero-sum; use gacgd or one of {zero_sum}")
    if REGULARIZERS.get(cfg.regularizer).side == "g" and not optimizer.follows_generator_grads:
        followers = [n for n in OPTIMIZERS if OPTIMIZERS.get(n).follows_generator_grads]
        raise ValueError(
            f"regularizer: {cfg.regularizer!r} changes the generator's gradient, which optimizer "
            f"{cfg.optimizer!r} cannot follow (it differentiates the game itself); use one of {followers}")
    data_kind = DATASETS.get(cfg.dataset).kind
    arch_kind = ARCHITECTURES.get(cfg.arch).kind
    if data_kind != arch_kind:
        # about the pair, so it names both (a spec check of one key against defaults must not claim it)
        raise ValueError(f"arch and dataset: {cfg.arch!r} models {arch_kind} but {cfg.dataset!r} holds {data_kind}")
    if data_kind == "images":
        side = cfg.resolution
        if side is not None and (side < 8 or side & (side - 1)):  # 4*2^k, k >= 1: a power of two >= 8
            raise ValueError(f"resolution: {cfg.arch!r} builds 4*2^k pixels (8, 16, 32, 64, ...), got {side}")
        if cfg.eval_samples < 10:
            raise ValueError(f"eval_samples: IS/FID/KID need at least 10 generated images, got {cfg.eval_samples}")
    if cfg.eval_every > cfg.iterations:
        raise ValueError(f"eval_every and iterations: eval_every {cfg.eval_every} exceeds iterations ({cfg.iterations})")
