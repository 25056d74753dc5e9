"""Per-trial table -> one block per method and environment: its grid cells and their bootstrap replicates.

Every statistic downstream (summary, expected best, width, IQM, Phi, plots) reads these blocks, so the
grouping, the treatment of failures and the resampling are decided once, here:
- scored trials (``ok`` and ``diverged``, the latter with the worst score) enter every statistic;
  ``error``/``incomplete``/``pending`` trials have no score and are only counted as missing;
- a cell's score is the mean over its seeds; the bootstrap resamples seeds, once per environment and
  replicate, and every cell holding those seeds takes the same draw (paired by seed:
  :func:`analysis.stats.estimators.paired_resample`), so differences between cells and methods keep the
  pairing that seed s's shared initial weights give them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.ingest.defaults import Defaults, MethodDefault
from analysis.ingest.grid import (
    ENVIRONMENT,
    METHOD,
    SCORED,
    add_design_columns,
    fill_nonfinite_scores,
    lr_axes,
    swept_columns,
)
from analysis.stats import inference
from analysis.stats.estimators import N_BOOT, Replicates, paired_resample

NAN = math.nan
CONFIRMATION = "confirmation"  # a trial's phase: a selected or default cell re-run on fresh seeds
CONFIRMED_GROUPS = 1_000_000  # fresh seeds' draws are numbered apart: never paired with the grid's


@dataclass(frozen=True)
class SeedSample:
    """One value per seed (a cell's goodness, or the per-seed mean of cells holding the same seeds) and
    its paired bootstrap draws: samples of one ``group`` drew the same seeds in every replicate."""
    values: np.ndarray  # (n,) in seed order
    reps: np.ndarray  # (B, n)
    group: int | None
    seeds: np.ndarray

    def minus(self, other: SeedSample) -> SeedSample | None:
        """The per-seed difference ``self - other``, or None when the two do not hold the same seeds."""
        if self.group is None or self.group != other.group:
            return None
        return SeedSample(self.values - other.values, self.reps - other.reps, self.group, self.seeds)


@dataclass
class MethodCells:
    """One method (optimizer + regularizer) in one environment (dataset / arch / loss)."""
    env: tuple[str, str, str]
    optimizer: str
    regularizer: str
    mode: str  # "min": lower is better
    score_name: str | None
    default: MethodDefault  # the published default set
    trials: pd.DataFrame  # every expected trial of the method, any status (``at_default`` decided per trial)
    cells: pd.DataFrame  # one row per grid cell with at least one score
    values: list[np.ndarray] = field(default_factory=list)  # goodness of each cell's seeds
    seeds: list[np.ndarray] = field(default_factory=list)  # the seed of each value, same order
    keys: list[np.ndarray] = field(default_factory=list)  # the trial key of each value, same order
    reps: Replicates | None = None
    # fresh seeds (``ganstudy confirm``): "default" and "tuned" (the cell selected on the grid's seeds)
    confirmed: dict[str, SeedSample] = field(default_factory=dict)

    @property
    def default_lr(self) -> float | None:
        return self.default.lr

    @property
    def method(self) -> str:
        return f"{self.optimizer}+{self.regularizer}"

    @property
    def scored(self) -> pd.DataFrame:
        return self.trials[self.trials["status"].isin(SCORED)]

    @property
    def good(self) -> np.ndarray:
        """(C,) cell means, higher is better."""
        return self.cells["good"].to_numpy(float)

    def rep_means(self) -> np.ndarray:
        """(B, C) bootstrap replicates of the cell means (goodness)."""
        return self.reps.stratum_means()

    def sample(self, which) -> SeedSample | None:
        """The cells ``which`` (indices) as one sample: their per-seed mean, when they hold the same seeds
        (None otherwise, or without scores)."""
        which = np.atleast_1d(np.asarray(which, dtype=int))
        if self.reps is None or not len(which):
            return None
        groups = {int(self.reps.groups[i]) for i in which} if self.reps.groups is not None else {None}
        if len(groups) != 1:
            return None
        values = np.mean([self.values[i] for i in which], axis=0)
        reps = np.mean([self.reps.stratum(i) for i in which], axis=0)
        return SeedSample(values, reps, groups.pop(), self.seeds[which[0]])

    @property
    def min_seeds(self) -> int:
        return int(self.cells["n_seeds"].min()) if len(self.cells) else 0


@dataclass
class StudyCells:
    methods: list[MethodCells]
    trials: pd.DataFrame  # the grid's trials with design columns (method, environment, lr_*_eff, good)
    swept: list[str]  # swept config columns (learning rates first), seed excluded
    lr_axes: list[str]  # [], ["lr_eff"] or ["lr_g_eff", "lr_d_eff"]
    n_boot: int
    n_imputed: int  # scored trials whose non-finite score was replaced by the worst one
    noise: dict = field(default_factory=dict)  # environment -> seed noise (see seed_noise)
    confirmation: pd.DataFrame = field(default_factory=pd.DataFrame)  # fresh-seed trials, same columns

    @property
    def all_trials(self) -> pd.DataFrame:
        """The grid's trials and the confirmation trials: what the study expects."""
        return pd.concat([self.trials, self.confirmation], ignore_index=True) if len(self.confirmation) \
            else self.trials

    @property
    def confirmed(self) -> bool:
        return any(mc.confirmed for mc in self.methods)


def seed_noise(methods: list[MethodCells]) -> dict[tuple, float]:
    """Per environment, the typical spread between seeds: the median over every method's cells with
    two or more seeds and none diverged of the standard deviation over seeds (NaN with no such cell).
    Differences smaller than this are not resolved by the study; it is the floor of the scale that
    relative gaps and near-best tolerances are measured against."""
    sds: dict[tuple, list[float]] = {}
    for mc in methods:
        if mc.cells.empty:
            continue
        ok = mc.cells[(mc.cells["n_seeds"] >= 2) & (mc.cells["n_diverged"] == 0)]
        sds.setdefault(mc.env, []).extend(ok["sd"].dropna().astype(float).tolist())
    return {env: float(np.median(v)) if v else float("nan") for env, v in sds.items()}


def cell_labels(cells: pd.DataFrame, swept: list[str]) -> list[str]:
    """``"lr_g=0.001, lr_d=0.0001"``: a cell's name, the same in every environment (Phi aligns on it)."""
    if not swept:
        return ["all"] * len(cells)
    text = lambda v: f"{v:g}" if isinstance(v, float) else str(v)  # noqa: E731
    columns = [[f"{c}={text(v)}" for v in cells[c].tolist()] for c in swept]
    return [", ".join(parts) for parts in zip(*columns)]


def _method_cells(group: pd.DataFrame, swept: list[str], default: MethodDefault) -> MethodCells:
    scored = group[group["status"].isin(SCORED)]
    first = group.iloc[0]
    mode_values = scored["score_mode"].dropna() if "score_mode" in scored else pd.Series(dtype=object)
    names = scored["score_name"].dropna() if "score_name" in scored else pd.Series(dtype=object)
    mc = MethodCells(env=tuple(first[ENVIRONMENT]), optimizer=first["optimizer"], regularizer=first["regularizer"],
                     mode=mode_values.iloc[0] if len(mode_values) else "min",
                     score_name=names.iloc[0] if len(names) else None, default=default,
                     trials=group, cells=pd.DataFrame())
    if scored.empty:
        return mc
    by = swept or ["_cell"]
    frame = scored.assign(_cell=0, _default=scored["at_default"].fillna(False).astype(bool),
                          _diverged=scored["status"] == "diverged")
    grouped = frame.groupby(by, dropna=False, sort=True)
    cells = grouped.agg(good=("good", "mean"), score=("final_score", "mean"), sd=("final_score", "std"),
                        n_seeds=("good", "size"), n_diverged=("_diverged", "sum"), at_default=("_default", "all"),
                        lr_eff=("lr_eff", "first"), lr_g_eff=("lr_g_eff", "first"),
                        lr_d_eff=("lr_d_eff", "first")).reset_index()
    cells["cell"] = cell_labels(cells, swept)
    mc.cells = cells.drop(columns=["_cell"], errors="ignore")
    # group numbers follow the agg's (sorted) row order; split the goodness values by them, each cell's
    # runs in seed order (the paired bootstrap matches cells by seed)
    number = grouped.ngroup().to_numpy()
    seeds = frame["seed"].to_numpy() if "seed" in frame else np.zeros(len(frame), dtype=int)
    order = np.lexsort((seeds, number))
    cuts = np.cumsum(np.bincount(number))[:-1]
    mc.values = np.split(frame["good"].to_numpy(float)[order], cuts)
    mc.seeds = np.split(seeds[order], cuts)
    mc.keys = np.split(frame["key"].to_numpy()[order], cuts)
    return mc


def _resample_environment(blocks: list[MethodCells], n_boot: int, rng: np.random.Generator) -> None:
    """One paired draw of seeds for every cell of every method in an environment; each block keeps its
    own columns (:class:`Replicates` of its cells), the pairing across blocks in ``groups``."""
    blocks = [mc for mc in blocks if mc.values]
    if not blocks:
        return
    reps = paired_resample([v for mc in blocks for v in mc.values], [s for mc in blocks for s in mc.seeds],
                           n_boot, rng)
    start = 0
    for mc in blocks:
        mc.reps = reps.select(range(start, start + len(mc.values)))
        start += len(mc.values)
        ends = [inference.interval(mc.values[i], mc.reps.stratum(i)) if len(mc.values[i]) >= 2 else (NAN, NAN)
                for i in range(len(mc.values))]
        lo, hi = (np.array([float(e[k]) for e in ends]) for k in (0, 1))
        # back to the metric's units: for "min" the sign flip swaps the interval's ends
        mc.cells["score_lo"], mc.cells["score_hi"] = (lo, hi) if mc.mode == "max" else (-hi, -lo)


def build(trials: pd.DataFrame, config_columns: list[str], defaults: Defaults, *,
          n_boot: int = N_BOOT, seed: int = 0) -> StudyCells:
    """Group the per-trial table into method blocks with seeded bootstrap replicates. A trial's
    ``at_default`` column (``trials.csv``) says whether it trains at its method's default set; when
    it is missing it is decided here from ``defaults``."""
    swept = swept_columns(trials, config_columns)
    if "at_default" not in trials:
        trials = trials.assign(at_default=defaults.mask(trials, swept).to_numpy(bool))
    design, n_imputed = fill_nonfinite_scores(add_design_columns(trials))
    confirming = (design["phase"] == CONFIRMATION).to_numpy(bool) if "phase" in design else np.zeros(len(design), bool)
    design, confirmation = design[~confirming], design[confirming]
    axes = lr_axes(design[design["status"].isin(SCORED)]) if design["status"].isin(SCORED).any() else []
    methods = []
    for _, group in design.groupby(ENVIRONMENT + METHOD, sort=True):
        default = defaults.method(group["optimizer"].iloc[0], group["regularizer"].iloc[0])
        methods.append(_method_cells(group, swept, default))
    for i, env in enumerate(sorted({mc.env for mc in methods})):
        rng = np.random.default_rng([seed, i])  # one stream per environment: results do not depend on order
        _resample_environment([mc for mc in methods if mc.env == env], n_boot, rng)
    _confirm(methods, confirmation, swept, n_boot, seed)
    return StudyCells(methods, design, swept, axes, n_boot, n_imputed, seed_noise(methods), confirmation)


def selected_cell(mc: MethodCells) -> int:
    """The tuned cell: the best cell mean on the grid's seeds (what ``ganstudy confirm`` re-runs)."""
    return int(np.argmax(mc.good))


def to_confirm(study: StudyCells) -> list[dict]:
    """The cells ``ganstudy confirm`` re-runs on fresh seeds: each method's default cell and the cell
    the grid selects (once when they are the same), each with one of its trials' keys (its config, the
    seed aside, is the cell's). Cells are selected on the grid's seeds only."""
    chosen = []
    for mc in study.methods:
        if mc.cells.empty:
            continue
        picks = [int(i) for i in np.flatnonzero(mc.cells["at_default"].to_numpy(bool))] + [selected_cell(mc)]
        for i in dict.fromkeys(picks):
            chosen.append({"environment": mc.env, "method": mc.method, "cell": mc.cells.iloc[i]["cell"],
                           "key": str(mc.keys[i][0])})
    return chosen


def _confirm(methods: list[MethodCells], confirmation: pd.DataFrame, swept: list[str], n_boot: int, seed: int) -> None:
    """Attach the fresh-seed scores of each method's default cell and of its selected cell (the one the
    grid selects now: if the grid grew since ``ganstudy confirm`` and selects another cell, that cell
    has no fresh seeds and the method stays in-sample). Fresh seeds are paired across methods like the
    grid's, in draws of their own."""
    scored = confirmation[confirmation["status"].isin(SCORED)] if len(confirmation) else confirmation
    if scored.empty:
        return
    frame = scored.assign(_cell=cell_labels(scored, swept))
    blocks = {(mc.env, mc.method): mc for mc in methods if not mc.cells.empty}
    for i, (env, rows) in enumerate(frame.groupby(ENVIRONMENT, sort=True)):
        found = []
        for (method, label), cell in rows.groupby(["method", "_cell"], sort=True):
            mc = blocks.get((tuple(env), method))
            if mc is None:
                continue
            cell = cell.sort_values("seed") if "seed" in cell else cell
            seeds = cell["seed"].to_numpy() if "seed" in cell else np.arange(len(cell))
            found.append((mc, label, cell["good"].to_numpy(float), seeds))
        if not found:
            continue
        reps = paired_resample([f[2] for f in found], [f[3] for f in found], n_boot,
                               np.random.default_rng([seed, 1, i]))  # a stream apart from the grid's
        for k, (mc, label, values, seeds) in enumerate(found):
            sample = SeedSample(values, reps.stratum(k), CONFIRMED_GROUPS + int(reps.groups[k]), seeds)
            if label in set(mc.cells.loc[mc.cells["at_default"].astype(bool), "cell"]):
                mc.confirmed["default"] = sample
            if label == mc.cells.iloc[selected_cell(mc)]["cell"]:
                mc.confirmed["tuned"] = sample


def cells_table(study: StudyCells) -> pd.DataFrame:
    """``cells.csv``: one row per method, environment and grid cell."""
    frames = []
    for mc in study.methods:
        if mc.cells.empty:
            continue
        frames.append(mc.cells.assign(**dict(zip(ENVIRONMENT, mc.env)), optimizer=mc.optimizer,
                                      regularizer=mc.regularizer, method=mc.method, score_name=mc.score_name,
                                      mode=mc.mode))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    first = ENVIRONMENT + METHOD + ["method", "cell"] + study.swept + [
        "lr_eff", "lr_g_eff", "lr_d_eff", "n_seeds", "n_diverged", "at_default", "score", "score_lo", "score_hi", "sd",
        "score_name", "mode"]
    return out[[c for c in first if c in out]]
