"""Which components go together: the one place that rejects incompatible trial configs."""
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
        raise ValueError(f"arch: {cfg.arch!r} models {arch_kind} but dataset {cfg.dataset!r} holds {data_kind}")
    if cfg.eval_every > cfg.iterations:
        raise ValueError(f"eval_every: {cfg.eval_every} exceeds iterations ({cfg.iterations})")
