"""What the generators drew: each method at its default cell and at its tuned cell, one seed.

A trial's final record (``finished``, or status ``diverged``) names ``samples_file`` in its checkpoint
folder ``<trial dir>/<checkpoint_dir_name>/``: ``samples.npz`` (2-D points: ``samples`` N x 2,
``reference`` M x 2 data draws) or ``samples.png`` (an 8 x 8 grid of fixed-noise images). Per
environment, every method is shown at its default cell and at its best cell with the same seed
everywhere: the lowest seed present in all those cells (each panel's own lowest seed if none is).
A study whose trials stored no samples still reports; the report says the pictures are missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.atomic import write_atomic
from analysis.report.figure_style import themed
from analysis.report.tables import fmt
from analysis.stats.cells import StudyCells

MAX_ROWS = 16  # method x environment rows; beyond this the figure is unreadable
N_POINTS = 1000


@dataclass
class Panel:
    env: tuple
    method: str
    role: str  # "default" | "tuned"
    cell: str
    seed: object
    score: float
    path: Path | None  # None: the trial stored no samples


def sample_files(exp_path: Path, table: pd.DataFrame, trial_dirs: dict[str, str]) -> dict[str, Path]:
    """Trial key -> its final samples file (only keys whose final record names one that exists)."""
    if "samples_file" not in table or "checkpoint_dir_name" not in table:
        return {}
    rows = table.dropna(subset=["samples_file"]).drop_duplicates("key", keep="last")
    out = {}
    for key, ckpt, name in zip(rows["key"], rows["checkpoint_dir_name"], rows["samples_file"]):
        folder = trial_dirs.get(key)
        if folder and isinstance(ckpt, str):
            path = Path(exp_path) / folder / ckpt / str(name)
            if not path.is_file() and ckpt.startswith("../"):
                # a population member's checkpoint, pruned by Tune since: every later checkpoint of
                # its population holds its samples too, and the last one is always kept
                latest = sorted((Path(exp_path) / folder).parent.glob("checkpoint_*"))
                path = latest[-1] / Path(ckpt).name / str(name) if latest else path
            if path.is_file():
                out[key] = path
    return out


def panels(study: StudyCells, files: dict[str, Path]) -> list[Panel]:
    out: list[Panel] = []
    for env in sorted({mc.env for mc in study.methods}):
        chosen = []  # (mc, role, cell index)
        for mc in [m for m in study.methods if m.env == env and not m.cells.empty]:
            default = np.flatnonzero(mc.cells["at_default"].to_numpy(bool))
            if len(default):
                chosen.append((mc, "default", int(default[np.argmax(mc.good[default])])))
            chosen.append((mc, "tuned", int(np.argmax(mc.good))))
        common = set.intersection(*(set(mc.seeds[i].tolist()) for mc, _, i in chosen)) if chosen else set()
        for mc, role, i in chosen:
            seeds = mc.seeds[i].tolist()
            seed = min(common) if common else min(seeds)
            key = mc.keys[i][seeds.index(seed)]
            score = float(mc.values[i][seeds.index(seed)])
            out.append(Panel(env, mc.method, role, mc.cells.iloc[i]["cell"], seed,
                             score if mc.mode == "max" else -score, files.get(key)))
    return out


def _draw(ax, panel: Panel) -> None:
    ax.set_xticks([]), ax.set_yticks([])
    if panel.path is None:
        ax.text(0.5, 0.5, "no samples stored", ha="center", va="center", transform=ax.transAxes, color="grey")
        return
    if panel.path.suffix == ".npz":
        with np.load(panel.path) as data:
            ref, gen = data["reference"], data["samples"][:N_POINTS]
        ax.scatter(ref[:, 0], ref[:, 1], s=3, color="lightgrey", label="data", rasterized=True)
        ax.scatter(gen[:, 0], gen[:, 1], s=3, color="tab:blue", alpha=0.6, label="generated", rasterized=True)
        finite = np.concatenate([ref, gen[np.isfinite(gen).all(axis=1)]])
        lo, hi = finite.min(axis=0), finite.max(axis=0)
        pad = 0.1 * (hi - lo + 1e-9)
        ax.set(xlim=(lo[0] - pad[0], hi[0] + pad[0]), ylim=(lo[1] - pad[1], hi[1] + pad[1]), aspect="equal")
    else:
        ax.imshow(plt.imread(panel.path), cmap="gray")


@themed("white")
def samples_figure(chosen: list[Panel], path: Path) -> Path | None:
    """One row per environment and method, columns default | tuned; None when no panel has samples."""
    if not any(p.path for p in chosen):
        return None
    rows = list(dict.fromkeys((p.env, p.method) for p in chosen))[:MAX_ROWS]
    fig, axes = plt.subplots(len(rows), 2, figsize=(6.4, 3.0 * len(rows) + 1.2), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for r, (env, method) in enumerate(rows):
        for c, role in enumerate(("default", "tuned")):
            panel = next((p for p in chosen if (p.env, p.method, p.role) == (env, method, role)), None)
            ax = axes[r, c]
            if panel is None:
                ax.text(0.5, 0.5, "no published default", ha="center", va="center", transform=ax.transAxes,
                        color="grey")
                ax.set_title(f"{method}: default", fontsize=8)
                continue
            ax.axis("on")
            _draw(ax, panel)
            ax.set_title(f"{method}: {role} ({panel.cell}, seed {panel.seed})\n{' / '.join(map(str, env))}; "
                         f"score {fmt(panel.score)}", fontsize=8)
    fig.suptitle("Generated samples at the published default (left) and the tuned cell (right); grey: data",
                 fontsize=10)
    height = fig.get_figheight()
    fig.subplots_adjust(hspace=0.5, top=1 - 1.0 / height, bottom=0.2 / height)
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=80))
    plt.close(fig)
    return path


def missing_line(chosen: list[Panel], *, recorded: bool = False) -> str | None:
    """A sentence for report.md when some or all pictures are missing. ``recorded``: some trial's final
    record names a samples file (so the files, not the records, are what is missing)."""
    if not chosen:
        return None
    lacking = [p for p in chosen if p.path is None]
    if not lacking:
        return None
    if len(lacking) == len(chosen) and recorded:
        return ("Samples: the pictures are missing: the trials recorded their final samples (`samples_file`), but "
                "the checkpoint folders that hold them are not in this study folder (copied without them).")
    if len(lacking) == len(chosen):
        return ("Samples: the pictures are missing, because no trial of this study stored its final samples "
                "(`samples_file`; studies run before samples were saved have none).")
    return (f"Samples: {len(lacking)} of {len(chosen)} panels have no stored samples (trials that did not finish, "
            "or ran before samples were saved).")
