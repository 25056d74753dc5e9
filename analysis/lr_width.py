"""Learning-rate robustness width: over how many decades of learning rate is a method near its best?

1-D (one learning rate, or one player's): the profile is the mean score at each learning rate (over
seeds, and over any other swept setting). The learning rates *near the best* are those whose mean is
within 10% of the best mean: ``score <= best + 0.1 |best|`` when lower is better (``>= best -
0.1 |best|`` when higher is better). The width is the log10 span of the contiguous run of near-best
grid points that contains the best one, so a lucky isolated point far away does not widen it:

    width = log10(lr_right) - log10(lr_left)      (0 when only the best point qualifies)

2-D (lr_G x lr_D both swept): the near-best cells form a mask on the grid; the region is its
4-connected component containing the best cell. We report the log10 span of
the region along each axis and the fraction of grid cells it covers.
All functions work on goodness (higher is better) and are vectorised over bootstrap replicates.
``floor`` (the environment's seed noise, :func:`analysis.cells.seed_noise`) bounds the tolerance's
scale from below: near-best is within ``tol * max(|best|, floor)``, so a score whose best is near 0
(the unbiased energy distance) does not make every other point "far".
"""
from __future__ import annotations

import numpy as np
from analysis.grid import TOLERANCE


def near_best(good: np.ndarray, tol: float = TOLERANCE, axis=-1, floor: float = 0.0) -> np.ndarray:
    """Mask of entries within ``tol`` (relative to ``max(|best|, floor)``) of the best entry along
    ``axis``; NaN never qualifies."""
    floor = 0.0 if floor is None or np.isnan(floor) else floor
    with np.errstate(invalid="ignore"):
        best = np.nanmax(np.where(np.isnan(good), -np.inf, good), axis=axis, keepdims=True)
        return good >= best - tol * np.maximum(np.abs(best), floor)


def width_1d(lrs: np.ndarray, profile: np.ndarray, tol: float = TOLERANCE, floor: float = 0.0) -> np.ndarray:
    """Width in decades for each row of ``profile`` (..., L); ``lrs`` (L,) sorted ascending."""
    profile = np.atleast_2d(profile)
    logs = np.log10(np.asarray(lrs, dtype=float))
    valid = ~np.isnan(profile).all(axis=1)
    filled = np.where(np.isnan(profile), -np.inf, profile)
    best = filled.argmax(axis=1)
    ok = near_best(profile, tol, axis=1, floor=floor)
    idx = np.arange(profile.shape[1])[None, :]
    # nearest non-qualifying point on each side of the best one bounds the contiguous run
    left = np.where(~ok & (idx < best[:, None]), idx, -1).max(axis=1) + 1
    right = np.where(~ok & (idx > best[:, None]), idx, profile.shape[1]).min(axis=1) - 1
    width = logs[right] - logs[left]
    return np.where(valid, width, np.nan)


def region_2d(lr_g: np.ndarray, lr_d: np.ndarray, grid: np.ndarray, tol: float = TOLERANCE, floor: float = 0.0):
    """(width_g, width_d, fraction) of the near-best region of a (G, D) grid of goodness, or of each
    grid in a (B, G, D) stack. Missing cells (NaN) are never near-best. The 4-connected component of
    the best cell is grown by repeated dilation, vectorised over the stack (the same component
    ``scipy.ndimage.label`` finds; the tests check that)."""
    stack = grid[None] if grid.ndim == 2 else grid
    n, g, d = stack.shape
    log_g, log_d = np.log10(np.asarray(lr_g, float)), np.log10(np.asarray(lr_d, float))
    flat = stack.reshape(n, -1)
    valid = ~np.isnan(flat).all(axis=1)
    ok = near_best(flat, tol, axis=1, floor=floor).reshape(stack.shape)
    region = np.zeros_like(ok)
    best = np.where(np.isnan(flat), -np.inf, flat).argmax(axis=1)
    region.reshape(n, -1)[np.arange(n), best] = True
    region &= ok
    while True:
        grown = region.copy()
        grown[:, 1:, :] |= region[:, :-1, :]
        grown[:, :-1, :] |= region[:, 1:, :]
        grown[:, :, 1:] |= region[:, :, :-1]
        grown[:, :, :-1] |= region[:, :, 1:]
        grown &= ok
        if np.array_equal(grown, region):
            break
        region = grown
    rows, cols = region.any(axis=2), region.any(axis=1)  # (n, G), (n, D)

    def span(mask, logs):  # log10 distance between the first and the last True of each row
        return logs[mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)] - logs[mask.argmax(axis=1)]

    out = np.column_stack([span(rows, log_g), span(cols, log_d), region.reshape(n, -1).mean(axis=1)])
    out[~valid] = np.nan
    return out[0] if grid.ndim == 2 else out
