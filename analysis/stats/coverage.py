"""How often the report's intervals cover the truth, and how often it says "worse" when nothing is.

Measured by simulating the report's own procedure, not assumed from the nominal 95%: a simulated study
draws its scores, the paired bootstrap draws seed indices once per replicate and shares them between
the cells (as :func:`analysis.stats.estimators.paired_resample` does), and the interval is
:func:`analysis.stats.inference.interval`, the function the report calls.

Scores (``shape``):
- ``normal``: N(0, 1) per seed;
- ``lognormal``: exp(N(0, 1)), right-skewed as a score whose seeds sometimes fail badly (FID), the
  case that makes a percentile interval of 5 seeds cover 73% (the skew of Agarwal et al.'s and the
  review's simulations).

Statistics:
- ``cell_mean``: the mean score of one cell;
- ``paired_difference``: score(A) - score(B) of two cells on the same seeds, each seed adding the same
  N(0, 1) effect to both (shared initial weights); A's own noise has the chosen shape, B's is N(0, 1),
  so with ``lognormal`` the difference is skewed too.

:func:`false_worse_rate` measures the winner's curse of "worse than Adam tuned": the competitive
method's default and every Adam cell are truly equal; Adam's best cell is selected on the selection
seeds and then scored either on the same seeds (in-sample, the selection re-done in every replicate,
percentile interval) or on fresh seeds (``ganstudy confirm``: paired bootstrap-t on the fresh seeds).
A "worse" is an interval wholly on the worse side of 0; its nominal rate is (1 - level) / 2.

``python -m analysis.stats.coverage`` prints every number (seeded, about half a minute).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from analysis.stats.estimators import percentile_interval
from analysis.stats.inference import LEVEL, MIN_BOOTSTRAP_T, interval

SHAPES = ("normal", "lognormal")
STATISTICS = ("cell_mean", "paired_difference")
N_SIM = 2000
N_BOOT = 1000
CHUNK = 250  # simulated studies per vectorised batch (memory: CHUNK x N_BOOT x seeds floats)


def _noise(rng: np.random.Generator, shape: str, size) -> tuple[np.ndarray, float]:
    """Draws of the given shape and their true mean."""
    if shape == "normal":
        return rng.normal(0.0, 1.0, size), 0.0
    if shape == "lognormal":
        return rng.lognormal(0.0, 1.0, size), float(np.exp(0.5))
    raise ValueError(f"shape: {shape!r} is not one of {SHAPES}")


def _sample(rng: np.random.Generator, shape: str, statistic: str, k: int, n: int) -> tuple[np.ndarray, float]:
    """(k, n) per-seed values of the statistic's sample and the true mean it estimates."""
    if statistic == "cell_mean":
        return _noise(rng, shape, (k, n))
    if statistic == "paired_difference":
        shared = rng.normal(0.0, 1.0, (k, n))  # the seed's effect on both cells cancels in the difference
        a, truth = _noise(rng, shape, (k, n))
        b = rng.normal(0.0, 1.0, (k, n))
        return (a + shared) - (b + shared), truth
    raise ValueError(f"statistic: {statistic!r} is not one of {STATISTICS}")


def _draws(rng: np.random.Generator, k: int, n_boot: int, n: int) -> np.ndarray:
    """(k, B, n) seed indices: one draw per simulated study and replicate, shared by its cells."""
    return rng.integers(0, n, size=(k, n_boot, n))


def simulate(n_seeds: int, shape: str, statistic: str, *, n_sim: int = N_SIM, n_boot: int = N_BOOT,
             level: float = LEVEL, seed: int = 0) -> float:
    """Share of ``n_sim`` simulated studies whose ``level`` interval contains the true value."""
    rng = np.random.default_rng([seed, n_seeds, SHAPES.index(shape), STATISTICS.index(statistic)])
    hits = 0
    for start in range(0, n_sim, CHUNK):
        k = min(CHUNK, n_sim - start)
        x, truth = _sample(rng, shape, statistic, k, n_seeds)
        reps = (np.take_along_axis(x[:, None, :], _draws(rng, k, n_boot, n_seeds), axis=2)
                if n_seeds >= MIN_BOOTSTRAP_T else None)  # below it the interval is Student's t
        lo, hi = interval(x, reps, level)
        hits += int(((lo <= truth) & (truth <= hi)).sum())
    return hits / n_sim


@lru_cache(maxsize=32)
def table(n_seeds: int, *, n_sim: int = N_SIM, n_boot: int = N_BOOT, seed: int = 0) -> dict[tuple[str, str], float]:
    """Coverage of every statistic and shape at ``n_seeds`` seeds (cached: a report asks once per seed count)."""
    if n_seeds < 2:
        return {}
    return {(statistic, shape): simulate(n_seeds, shape, statistic, n_sim=n_sim, n_boot=n_boot, seed=seed)
            for statistic in STATISTICS for shape in SHAPES}


def false_worse_rate(n_select: int, n_confirm: int | None, *, cells: int = 7, spread: float = 0.0,
                     n_sim: int = N_SIM, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0) -> float:
    """Share of simulated studies that call the competitive default *worse than Adam tuned* when it is
    as good as Adam's best cell. Adam's ``cells`` cells have true means spaced ``spread`` apart below
    the best (0: all equal); every run adds its seed's N(0, 1) effect (shared by every cell) and its
    own N(0, 1) noise. ``n_confirm`` None: in-sample (selected and scored on the same ``n_select``
    seeds); otherwise the selected cell and the competitive default are scored on ``n_confirm`` fresh
    seeds."""
    rng = np.random.default_rng([seed, n_select, n_confirm or 0, cells, int(1000 * spread)])
    means = -spread * np.arange(cells)[::-1]  # the last (best) cell has true mean 0, as the competitive default
    worse = 0
    for start in range(0, n_sim, CHUNK):
        k = min(CHUNK, n_sim - start)
        shared = rng.normal(0.0, 1.0, (k, 1, n_select))
        adam = means[None, :, None] + shared + rng.normal(0.0, 1.0, (k, cells, n_select))
        mine = (shared + rng.normal(0.0, 1.0, (k, 1, n_select)))[:, 0]
        if n_confirm is None:
            idx = _draws(rng, k, n_boot, n_select)  # (k, B, n), shared by every cell of a study
            adam_reps = np.take_along_axis(adam[:, :, None, :], idx[:, None], axis=3).mean(axis=3)  # (k, C, B)
            mine_reps = np.take_along_axis(mine[:, None, :], idx, axis=2).mean(axis=2)  # (k, B)
            diff_reps = mine_reps - adam_reps.max(axis=1)  # Adam's best cell re-selected in every replicate
            _, hi = percentile_interval(diff_reps, level, axis=1)
        else:
            chosen = adam.mean(axis=2).argmax(axis=1)  # selected on the selection seeds ...
            fresh = rng.normal(0.0, 1.0, (k, n_confirm))  # ... and scored on fresh ones
            selected = means[chosen][:, None] + fresh + rng.normal(0.0, 1.0, (k, n_confirm))
            default = fresh + rng.normal(0.0, 1.0, (k, n_confirm))
            d = default - selected
            reps = np.take_along_axis(d[:, None, :], _draws(rng, k, n_boot, n_confirm), axis=2)
            _, hi = interval(d, reps, level)
        worse += int((hi < 0).sum())
    return worse / n_sim


def main() -> None:
    """Print every measured coverage and false-"worse" rate (the numbers docs/protocol.md quotes)."""
    print(f"coverage of the report's {LEVEL:.0%} intervals ({N_SIM} simulated studies, {N_BOOT} replicates):")
    for n in (3, 5, 10):
        for (statistic, shape), value in table(n).items():
            print(f"  {n:2d} seeds  {statistic:18s} {shape:9s} {value:.3f}")
    print(f"'worse than Adam tuned' when truly equal (nominal {(1 - LEVEL) / 2:.3f}), 7 Adam cells:")
    for spread in (0.0, 0.5):
        for n_select, n_confirm in ((5, None), (5, 5), (5, 10)):
            rate = false_worse_rate(n_select, n_confirm, spread=spread)
            where = "in-sample" if n_confirm is None else f"confirmed on {n_confirm} fresh seeds"
            print(f"  spread {spread}  {n_select} selection seeds, {where:28s} {rate:.3f}")


if __name__ == "__main__":
    main()
