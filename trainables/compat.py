"""Which components go together: the one place that rejects incompatible trial configs.

It decides from the registries alone and takes any object with the config's attributes, so it never
imports the config that declares them; ``trainables/components.py`` registers it as a config rule."""
from __future__ import annotations

from trainables.registry import ARCHITECTURES, DATASETS, LOSSES, OPTIMIZERS, REGULARIZERS
from trainables.regularizers import compose


def check_compatible(cfg) -> None:
    """Raise ``ValueError('<field>: <why>')`` for a combination that cannot be trained."""
    optimizer = OPTIMIZERS.get(cfg.optimizer)
    if optimizer.zero_sum_only:
        if not LOSSES.get(cfg.loss).zero_sum:
            zero_sum = [n for n in LOSSES if LOSSES.get(n).zero_sum]
            raise ValueError(
                f"loss: optimizer {cfg.optimizer!r} solves zero-sum games and loss {cfg.loss!r} is not "
                f"zero-sum; use gacgd or one of {zero_sum}")
    _check_regularizers(cfg.regularizer)
    g_side = [r.name for r in compose.side_parts(cfg.regularizer, "g")]
    if g_side and not optimizer.follows_generator_grads:
        followers = [n for n in OPTIMIZERS if OPTIMIZERS.get(n).follows_generator_grads]
        raise ValueError(
            f"regularizer: {g_side[0]!r} changes the generator's gradient, which optimizer "
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
    if cfg.max_grad_calls is None and cfg.eval_every > cfg.iterations:
        raise ValueError(f"eval_every and iterations: eval_every {cfg.eval_every} exceeds iterations "
                         f"({cfg.iterations})")


def _check_regularizers(name: str) -> None:
    """At most one D-side penalty plus at most one G-side term; ``none`` stands alone."""
    names = compose.part_names(name)
    if len(names) == 1:
        return
    if compose.NONE in names:
        raise ValueError(f"regularizer: {name!r} combines 'none' with a regularizer; leave 'none' out")
    for side, what in (("d", "D-side penalties"), ("g", "G-side terms")):
        same = [r.name for r in compose.side_parts(name, side)]
        if len(same) > 1:
            d_side = [n for n in REGULARIZERS if n != compose.NONE and REGULARIZERS.get(n).side == "d"]
            g_side = [n for n in REGULARIZERS if REGULARIZERS.get(n).side == "g"]
            raise ValueError(
                f"regularizer: {' and '.join(repr(n) for n in same)} are both {what}; combine at most one "
                f"D-side penalty ({', '.join(d_side)}) with at most one G-side term ({', '.join(g_side)})")
