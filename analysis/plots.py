"""Seaborn figures of a study. Each function takes tidy tables and returns the path it wrote."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from analysis.atomic import write_atomic  # noqa: E402
from analysis.summary import ENVIRONMENT, SCORED  # noqa: E402


def _method(frame: pd.DataFrame) -> pd.Series:
    return frame["optimizer"] + "+" + frame["regularizer"]


def _environment(frame: pd.DataFrame) -> pd.Series:
    return frame[ENVIRONMENT].astype(str).agg(" / ".join, axis=1)


def _save(fig, path: Path) -> Path:
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path


def score_vs_lr(trials: pd.DataFrame, path: Path) -> Path:
    """Final score against learning rate per method: mean line, every seed as a dot, divergence as x."""
    data = trials[trials["status"].isin(SCORED)].assign(method=_method, environment=_environment)
    envs = sorted(data["environment"].unique())
    fig, axes = plt.subplots(1, len(envs), figsize=(6 * len(envs), 4.2), squeeze=False, sharey=False)
    for ax, env in zip(axes[0], envs):
        sub = data[data["environment"] == env]
        order = sorted(sub["method"].unique())
        sns.lineplot(sub, x="lr", y="final_score", hue="method", hue_order=order, errorbar=None,
                     marker="o", ax=ax, legend=True)
        ok = sub[sub["status"] == "ok"]
        sns.scatterplot(ok, x="lr", y="final_score", hue="method", hue_order=order, ax=ax, legend=False,
                        alpha=0.5, s=18)
        diverged = sub[sub["status"] == "diverged"]
        if len(diverged):
            ax.scatter(diverged["lr"], diverged["final_score"], marker="x", color="crimson", s=50,
                       label="diverged", zorder=5)
        ax.set_xscale("log")
        if (sub["final_score"] > 0).all() and sub["final_score"].max() > 20 * sub["final_score"].min():
            ax.set_yscale("log")
        name = sub["score_name"].dropna().iloc[0] if sub["score_name"].notna().any() else "score"
        mode = sub["score_mode"].dropna().iloc[0] if sub["score_mode"].notna().any() else "min"
        ax.set(title=env, xlabel="learning rate", ylabel=f"final {name} ({'lower' if mode == 'min' else 'higher'} is better)")
        ax.legend(fontsize=8)
    fig.suptitle("Score versus learning rate (line: mean over seeds; dots: seeds; x: diverged)")
    return _save(fig, path)


def training_curves(evals: pd.DataFrame, trials: pd.DataFrame, path: Path) -> Path:
    """Score during training for every trial, one panel per method, coloured by learning rate."""
    data = evals[evals["status"].isin(("running", "ok"))].assign(method=_method)
    fig_methods = sorted(data["method"].unique())
    fig, axes = plt.subplots(1, max(len(fig_methods), 1), figsize=(4 * max(len(fig_methods), 1), 3.6),
                             squeeze=False, sharey=True)
    for ax, method in zip(axes[0], fig_methods):
        sub = data[data["method"] == method]
        sns.lineplot(sub, x="iteration", y="score", hue="lr", units="key", estimator=None, ax=ax,
                     palette="viridis", hue_norm=matplotlib.colors.LogNorm(), legend="brief", lw=1)
        ax.set(title=method, yscale="log")
    fig.suptitle("Training curves (every trial; colour = learning rate)")
    return _save(fig, path)
