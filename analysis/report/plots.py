"""Seaborn figures of a study. Each function takes tidy tables and returns the path it wrote.

Every figure shows failures: diverged trials are drawn (red x) with their worst-case score, and
heatmap cells where a seed diverged are marked, because a robustness figure that hides them flatters.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import numpy as np
import pandas as pd
import seaborn as sns

from analysis.atomic import write_atomic
from analysis.ingest.grid import ENVIRONMENT, SCORED, environment_label
from analysis.report.figure_style import themed
from analysis.stats.estimators import near_best

MAX_PANELS = 30  # beyond this a figure is unreadable; the CSV tables carry everything
DIVERGED = dict(marker="x", color="crimson", s=40, zorder=6)


def _figure(rows: int, cols: int, width: float, height: float, left_in: float = 0.75, wspace: float = 0.38,
            bottom_in: float = 0.6, **kwargs):
    """Subplots with fixed spacing. No layout engine: constrained layout and bbox_inches="tight" each
    draw the figure once more, which doubles the time of a 20-panel figure."""
    fig_h = height * rows + 0.6 + bottom_in
    fig_w = width * cols + left_in - 0.75
    fig, axes = plt.subplots(rows, cols, figsize=(fig_w, fig_h), squeeze=False, **kwargs)
    fig.subplots_adjust(left=left_in / fig_w, right=1 - 0.3 / fig_w, bottom=bottom_in / fig_h, top=1 - 1.0 / fig_h,
                        hspace=0.75, wspace=wspace)
    return fig, axes


def _suptitle(fig, text: str) -> None:
    """A figure title wrapped to the figure's width (a one-panel figure is narrow)."""
    width_chars = max(40, int(fig.get_figwidth() * 11))
    fig.suptitle("\n".join(textwrap.wrap(text.replace("\n", " "), width_chars)), fontsize=11)


def _save(fig, path: Path) -> Path:
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=90))
    plt.close(fig)
    return path


def _ylabel(frame: pd.DataFrame, prefix: str = "final") -> str:
    name = frame["score_name"].dropna().iloc[0] if frame["score_name"].notna().any() else "score"
    mode = frame["mode"].dropna().iloc[0] if "mode" in frame and frame["mode"].notna().any() else "min"
    return f"{prefix} {name} ({'lower' if mode == 'min' else 'higher'} is better)"


def _log(ax, which: str = "x") -> None:
    """Log scale with 1-2-5 ticks in plain numbers and no minor ticks: matplotlib's default log ticks
    (mathtext labels, minor ticks) cost more than everything else in these figures."""
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis = ax.xaxis if which == "x" else ax.yaxis
    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    narrow = lo > 0 and hi / lo < 100
    subs = (1.0, 3.0) if which == "x" and not narrow else (1.0, 2.0, 5.0)  # x labels are wider: fewer
    axis.set_major_locator(ticker.LogLocator(base=10, subs=subs, numticks=8))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: _short(v)))
    axis.set_minor_locator(ticker.NullLocator())


def _short(v: float) -> str:
    """1e-04 -> 0.0001, 30000 -> 30k, 2e6 -> 2M: short tick labels without mathtext."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:g}{suffix}"
    return f"{v:g}"


def _maybe_log_y(ax, values: pd.Series) -> None:
    values = values.dropna()
    if len(values) and (values > 0).all() and values.max() > 20 * values.min():
        _log(ax, "y")


def _palette(methods) -> dict:
    methods = sorted(set(methods))
    return dict(zip(methods, sns.color_palette("tab10", n_colors=max(len(methods), 1))))


@themed("whitegrid")
def score_vs_lr(cells: pd.DataFrame, trials: pd.DataFrame, path: Path, axis: str = "lr_eff") -> Path:
    """Mean score over seeds against learning rate, one panel per environment: line = cell mean,
    band = 95% bootstrap interval over seeds, dots = seeds, red x = diverged, star = published default."""
    x_col = axis
    cells = cells.assign(environment=environment_label(cells))
    envs = sorted(cells["environment"].unique())
    palette = _palette(cells["method"])
    fig, axes = _figure(1, len(envs), 6.0, 4.2)
    for ax, env in zip(axes[0], envs):
        sub = cells[cells["environment"] == env]
        seeds = trials[(trials["environment"] == env) & trials["status"].isin(SCORED)]
        for method, m in sub.groupby("method"):
            colour = palette[method]
            per_lr = m.groupby(x_col).agg(score=("score", "mean"), lo=("score_lo", "mean"), hi=("score_hi", "mean"),
                                          cells=("score", "size"), default=("at_default", "any")).reset_index()
            ax.plot(per_lr[x_col], per_lr["score"], marker="o", color=colour, label=method, lw=1.8)
            if (per_lr["cells"] == 1).all() and per_lr["lo"].notna().any():
                ax.fill_between(per_lr[x_col], per_lr["lo"], per_lr["hi"], color=colour, alpha=0.18, lw=0)
            d = per_lr[per_lr["default"]]
            ax.scatter(d[x_col], d["score"], marker="*", s=180, color=colour, edgecolor="black", zorder=7)
            runs = seeds[seeds["method"] == method]
            ok = runs[runs["status"] == "ok"]
            ax.scatter(ok[x_col], ok["final_score"], color=colour, s=12, alpha=0.45, zorder=5)
            div = runs[runs["status"] == "diverged"]
            if len(div):
                ax.scatter(div[x_col], div["final_score"], **DIVERGED)
        ax.scatter([], [], label="diverged (worst score)", **DIVERGED)
        ax.scatter([], [], marker="*", s=120, color="white", edgecolor="black", label="published default")
        _log(ax, "x")
        _maybe_log_y(ax, pd.concat([sub["score"], seeds["final_score"]]))
        ax.set(title=env, xlabel="learning rate", ylabel=_ylabel(sub))
        ax.legend(fontsize=8)
    _suptitle(fig, "Score versus learning rate (line: mean over seeds; band: 95% bootstrap CI; dots: seeds)")
    return _save(fig, path)


@themed("white")
def lr_heatmaps(cells: pd.DataFrame, path: Path, floors: dict | None = None) -> Path | None:
    """lr_G x lr_D heatmaps of the mean score over seeds, one per method and environment. Red x: a seed
    diverged in that cell (bigger when more did); white box: near-best cells (within 10%); star: default.
    Drawn with pcolormesh and markers rather than per-cell text, so 20 panels of 10 x 10 take a second."""
    cells = cells.assign(environment=environment_label(cells))
    panels = list(cells.groupby(["environment", "method"], sort=True))[:MAX_PANELS]
    if not panels:
        return None
    cols = min(len(panels), 4)
    rows = int(np.ceil(len(panels) / cols))
    fig, axes = _figure(rows, cols, 5.0, 3.6, wspace=0.55)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    for ax, ((env, method), sub) in zip(axes.ravel(), panels):
        pivot = lambda v, f, sub=sub: sub.pivot_table(index="lr_g_eff", columns="lr_d_eff", values=v, aggfunc=f)
        grid, div, seeds = pivot("score", "mean"), pivot("n_diverged", "sum"), pivot("n_seeds", "sum")
        default = pivot("at_default", "any").fillna(False).astype(bool).to_numpy()
        mode = sub["mode"].iloc[0]
        values = grid.to_numpy(float)
        near = near_best((values if mode == "max" else -values).ravel(), axis=0,
                         floor=(floors or {}).get(env, 0.0)).reshape(values.shape)
        # a wide positive range is coloured by log10 on a linear colour bar (a LogNorm colour bar's
        # mathtext ticks would cost more than the rest of the figure)
        logged = np.nanmin(values) > 0 and np.nanmax(values) > 20 * np.nanmin(values)
        shown = np.log10(values) if logged else values
        mesh = ax.pcolormesh(np.arange(values.shape[1] + 1), np.arange(values.shape[0] + 1),
                             np.ma.masked_invalid(shown), cmap="viridis_r" if mode == "min" else "viridis",
                             shading="flat")
        bar = fig.colorbar(mesh, ax=ax, fraction=0.046, pad=0.03)
        bar.set_label(f"{'log10 ' if logged else ''}{sub['score_name'].iloc[0]}", fontsize=8)
        share = (div.to_numpy(float) / seeds.to_numpy(float))
        gi, di = np.nonzero(np.nan_to_num(share) > 0)
        ax.scatter(di + 0.5, gi + 0.5, s=20 + 60 * share[gi, di], marker="x", color="crimson", zorder=6)
        ni, nj = np.nonzero(near)
        ax.scatter(nj + 0.5, ni + 0.5, marker="s", s=90, facecolors="none", edgecolors="white", lw=1.5, zorder=5)
        si, sj = np.nonzero(default)
        ax.scatter(sj + 0.5, si + 0.5, marker="*", s=120, color="white", edgecolor="black", zorder=7)
        step = int(np.ceil(values.shape[1] / 10))
        ax.set_xticks(np.arange(0, values.shape[1], step) + 0.5, [f"{v:.1g}" for v in grid.columns[::step]],
                      fontsize=6, rotation=90)
        step = int(np.ceil(values.shape[0] / 10))
        ax.set_yticks(np.arange(0, values.shape[0], step) + 0.5, [f"{v:.1g}" for v in grid.index[::step]],
                      fontsize=6)
        ax.set(title=f"{method}\n{env}", xlabel="lr_D", ylabel="lr_G")
    _suptitle(fig, "Mean score over lr_G x lr_D (red x: seeds diverged; white box: within 10% of best; "
                 "star: published default)")
    return _save(fig, path)


@themed("whitegrid")
def expected_best(curves: pd.DataFrame, path: Path) -> Path:
    """Expected best score after n random-search trials (Dodge et al. 2019) versus n, gradient calls and
    wall time; band: 95% bootstrap interval over seeds (or Dodge's +-1 SD band with one seed)."""
    curves = curves.assign(environment=environment_label(curves))
    envs = sorted(curves["environment"].unique())[:MAX_PANELS // 3]
    palette = _palette(curves["method"])
    fig, axes = _figure(len(envs), 3, 5.0, 3.4)
    for row, env in zip(axes, envs):
        sub = curves[curves["environment"] == env]
        for ax, x, label in zip(row, ("n", "grad_calls", "wall_time_s"),
                                ("trials n", "gradient / HVP calls", "wall time (s)")):
            for method, m in sub.groupby("method"):
                has_ci = m["expected_best_lo"].notna().any()
                band = ("expected_best_lo", "expected_best_hi") if has_ci else ("sd_band_lo", "sd_band_hi")
                lo, hi = m[band[0]], m[band[1]]
                ax.plot(m[x], m["expected_best"], color=palette[method], label=method, lw=1.8)
                ax.fill_between(m[x], lo, hi, color=palette[method], alpha=0.15, lw=0)
            _log(ax, "x")
            _maybe_log_y(ax, sub["expected_best"])
            ax.set(xlabel=label, ylabel=_ylabel(sub, "expected best"), title=env)
        row[0].legend(fontsize=8)
    _suptitle(fig, "Expected best score after n trials of random search over the grid (Dodge et al. 2019)")
    return _save(fig, path)


@themed("whitegrid")
def arch_distributions(trials: pd.DataFrame, path: Path) -> Path | None:
    """Distribution over the whole grid of each method's final score, per architecture."""
    data = trials[trials["status"].isin(SCORED)]
    if data["arch"].nunique() < 2:
        return None
    data = data.assign(task=data["dataset"].astype(str) + " / " + data["loss"].astype(str))
    tasks = sorted(data["task"].unique())[:MAX_PANELS]
    fig, axes = _figure(1, len(tasks), max(6.0, 1.6 * data["method"].nunique()), 4.0, bottom_in=1.2)
    for ax, task in zip(axes[0], tasks):
        sub = data[data["task"] == task]
        sns.boxplot(sub, x="method", y="final_score", hue="arch", ax=ax, fliersize=2,
                    order=sorted(sub["method"].unique()))
        _maybe_log_y(ax, sub["final_score"])
        ax.set(title=f"{task} (every grid trial, diverged at worst score)", xlabel="", ylabel=_ylabel(
            sub.assign(mode=sub["score_mode"])))
        plt.setp(ax.get_xticklabels(), rotation=25, ha="right")
    _suptitle(fig, "Score over the learning-rate grid, per architecture")
    return _save(fig, path)


@themed("whitegrid")
def training_curves(table: pd.DataFrame, cells: pd.DataFrame, swept: list[str], path: Path,
                    x: str = "iteration") -> Path | None:
    """Score during training of selected trials: each method's default cell and its tuned best cell,
    against ``x`` (``iteration``, or ``grad_calls`` for a study at equal compute)."""
    if table.empty or "score" not in table or cells.empty:
        return None
    cells = cells.assign(environment=environment_label(cells))
    good = np.where(cells["mode"] == "max", cells["score"], -cells["score"])
    best = cells.assign(_g=good).sort_values("_g", ascending=False).drop_duplicates(["environment", "method"])
    roles = [best.assign(role="tuned best"), cells[cells["at_default"]].assign(role="published default")]
    chosen = pd.concat(roles, ignore_index=True)[ENVIRONMENT + ["optimizer", "regularizer", "method", "role",
                                                                  "environment", *swept]]
    rows = table.dropna(subset=["iteration"]).merge(chosen, on=ENVIRONMENT + ["optimizer", "regularizer", *swept])
    if rows.empty:
        return None
    panels = sorted(rows.groupby(["environment", "method"]).groups)[:MAX_PANELS]
    cols = min(len(panels), 4)
    nrows = int(np.ceil(len(panels) / cols))
    fig, axes = _figure(nrows, cols, 4.4, 3.0)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    colours = {"tuned best": "tab:orange", "published default": "tab:blue"}
    for ax, (env, method) in zip(axes.ravel(), panels):
        sub = rows[(rows["environment"] == env) & (rows["method"] == method)]
        for (_key, role), trial in sub.groupby(["key", "role"]):
            ax.plot(trial[x].astype(float), trial["score"], color=colours[role], lw=1, alpha=0.8)
            if (trial["status"] == "diverged").any():
                last = trial.iloc[-1]
                ax.scatter([float(last[x])], [last["score"]], **DIVERGED)
        _maybe_log_y(ax, sub["score"])
        ax.set(title=f"{method}\n{env}", xlabel="gradient calls" if x == "grad_calls" else x, ylabel="score")
    _suptitle(fig, "Training curves: published-default cell (blue) and tuned best cell (orange), every seed")
    return _save(fig, path)


@themed("whitegrid")
def iqm_intervals(aggregate: pd.DataFrame, path: Path) -> Path | None:
    """rliable-style interval estimates: IQM of normalised score at default, tuned and over the grid."""
    if aggregate.empty:
        return None
    methods = aggregate.sort_values("method")["method"].tolist()
    fig, axes = _figure(1, 3, 4.0, 0.45 * len(methods) + 0.8, left_in=1.6, sharey=True, sharex=True)
    palette = _palette(methods)
    for ax, which, title in zip(axes[0], ("default", "tuned", "grid"),
                                ("at published default", "tuned (best cell)", "whole grid (untuned)")):
        for y, method in enumerate(methods):
            r = aggregate[aggregate["method"] == method].iloc[0]
            if pd.notna(r[f"iqm_{which}_lo"]):
                ax.plot([r[f"iqm_{which}_lo"], r[f"iqm_{which}_hi"]], [y, y], color=palette[method], lw=6,
                        alpha=0.5, solid_capstyle="butt")
            ax.plot([r[f"iqm_{which}"]], [y], "|", color="black", ms=14)
        ax.set(title=title, xlabel="IQM of normalised score")
        ax.set_yticks(range(len(methods)), methods)
    _suptitle(fig, "Interquartile mean across environments with 95% stratified-bootstrap intervals\n"
                 "(score normalised per environment: 0 = 5th, 1 = 95th percentile of all trials)")
    return _save(fig, path)
