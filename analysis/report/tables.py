"""Report tables: the same few views as Markdown (report.md) and LaTeX (tables.tex, booktabs).

Each view is built once as a DataFrame of formatted strings ("0.132 [0.109, 0.156]": estimate and
95% interval), then rendered by ``to_markdown`` (tabulate) or ``to_latex``.
"""
from __future__ import annotations

import math

import pandas as pd

from analysis.ingest.grid import ENVIRONMENT, environment_label
from analysis.stats.decisions import classify
from analysis.stats.stability import KEY


def fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and (math.isnan(value))) or value is pd.NA:
        return "—"
    if isinstance(value, (bool,)):
        return "yes" if value else "no"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if 10 ** digits <= abs(x) < 1e7:
        return f"{x:.0f}"  # 1460 rather than 1.46e+03
    return f"{x:.{digits}g}"


def with_ci(value, lo, hi, digits: int = 3) -> str:
    """``estimate [lo, hi]``; the interval is left out when it is undefined (e.g. one seed)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return fmt(value, digits)
    return f"{fmt(value, digits)} [{fmt(lo, digits)}, {fmt(hi, digits)}]"


def _get(row: pd.Series, name: str):
    return row[name] if name in row.index else math.nan


def _ci(row: pd.Series, name: str) -> str:
    return with_ci(_get(row, name), _get(row, f"{name}_lo"), _get(row, f"{name}_hi"))


def default_vs_tuned(summary: pd.DataFrame) -> pd.DataFrame:
    rows = []
    ordered = summary.sort_values(ENVIRONMENT + ["rank_default"])
    for label, (_, r) in zip(environment_label(ordered), ordered.iterrows()):
        rows.append({
            "environment": label, "method": r["method"],
            "default": _get(r, "default_set") if isinstance(_get(r, "default_set"), str) and _get(r, "default_set")
            else fmt(_get(r, "default_lr")),
            "at default": with_ci(_get(r, "default_score"), _get(r, "default_score_lo"), _get(r, "default_score_hi")),
            "tuned (best cell)": with_ci(_get(r, "best_score"), _get(r, "best_score_lo"), _get(r, "best_score_hi")),
            "best cell": _get(r, "best_cell") if isinstance(_get(r, "best_cell"), str) else "—",
            **({"on fresh seeds: default / tuned": (
                f"{_ci(r, 'confirmed_default_score')} / {_ci(r, 'confirmed_best_score')}"
                if _get(r, "gap_source") == "confirmed" else "—")} if "confirmed_best_score" in summary else {}),
            "one-shot gap": with_ci(_get(r, "one_shot_gap"), _get(r, "one_shot_gap_lo"), _get(r, "one_shot_gap_hi"))
            + (" (fresh seeds)" if _get(r, "gap_source") == "confirmed" else " (in-sample)"
               if not pd.isna(_get(r, "one_shot_gap")) else ""),
            "gap / scale (%)": with_ci(*(100 * _get(r, c) for c in ("rel_gap", "rel_gap_lo", "rel_gap_hi"))),
            "seeds": fmt(_get(r, "seeds_min")) if _get(r, "seeds_min") == _get(r, "seeds_max")
            else f"{fmt(_get(r, 'seeds_min'))}–{fmt(_get(r, 'seeds_max'))}",
        })
    return pd.DataFrame(rows)


def robustness(summary: pd.DataFrame) -> pd.DataFrame:
    two_d = "lr_g_width" in summary
    rows = []
    ordered = summary.sort_values(ENVIRONMENT + ["rank_default"])
    for label, (_, r) in zip(environment_label(ordered), ordered.iterrows()):
        row = {"environment": label, "method": r["method"]}
        if two_d:
            for axis in ("g", "d"):
                name = f"lr_{axis}_width"
                row[f"lr_{axis.upper()} width (dec.)"] = with_ci(_get(r, name), _get(r, f"{name}_lo"),
                                                                 _get(r, f"{name}_hi"))
            row["near-best share of grid"] = with_ci(_get(r, "lr_region_fraction"), _get(r, "lr_region_fraction_lo"),
                                                     _get(r, "lr_region_fraction_hi"))
        elif "lr_width" in summary:
            row["lr width (decades)"] = (with_ci(_get(r, "lr_width"), _get(r, "lr_width_lo"), _get(r, "lr_width_hi"))
                                         + f" of {fmt(_get(r, 'lr_grid_width'))}")
        row.update({
            "diverged (%)": f"{int(r['n_diverged'])}/{int(r['n_scored'])}: " + with_ci(
                *(100 * r[c] for c in ("divergence_rate", "divergence_rate_lo", "divergence_rate_hi")))
            if r["n_scored"] else "—",
            "median over grid": fmt(_get(r, "median_score")),
            "E[best of 1 trial]": fmt(_get(r, "expected_best_1")),
            "trials to near-best": fmt(_get(r, "trials_to_near_best")),
            "grad calls / trial": fmt(_get(r, "mean_grad_calls")),
            "wall s / trial": fmt(_get(r, "mean_wall_time_s")),
        })
        rows.append(row)
    return pd.DataFrame(rows)


def across_environments(aggregate: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in aggregate.sort_values("method").iterrows():
        rows.append({
            "method": r["method"], "environments": int(r["n_envs"]),
            "IQM at default": with_ci(r["iqm_default"], r["iqm_default_lo"], r["iqm_default_hi"]),
            "IQM tuned": with_ci(r["iqm_tuned"], r["iqm_tuned_lo"], r["iqm_tuned_hi"]),
            "IQM whole grid": with_ci(r["iqm_grid"], r["iqm_grid_lo"], r["iqm_grid_hi"]),
            "Phi (Adkins)": with_ci(r["phi"], r["phi_lo"], r["phi_hi"]) if not pd.isna(r["phi"]) else "not measurable",
        })
    return pd.DataFrame(rows)


def importance_view(importance: pd.DataFrame) -> pd.DataFrame:
    if importance.empty:
        return importance
    out = importance.assign(environment=environment_label(importance))
    return pd.DataFrame({
        "environment": out["environment"], "method": out["method"], "hyperparameter": out["param"],
        "fANOVA importance": [fmt(v) + ("" if f else " (only one)") for v, f in
                              zip(out["fanova_importance"], out["fanova_fitted"])],
        "main-effect variance": out["main_effect_var"].map(fmt),
        "total variance over grid": out["total_var"].map(fmt),
        "seed variance": out["seed_var"].map(fmt),
    })


def status_counts(trials: pd.DataFrame) -> pd.DataFrame:
    counts = pd.crosstab(trials["method"], trials["status"])
    counts["total"] = counts.sum(axis=1)
    return counts.reset_index()


def markdown(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False) if not frame.empty else "_(nothing to show)_"


def latex(frame: pd.DataFrame, caption: str, label: str) -> str | None:
    if frame.empty:
        return None
    return frame.to_latex(index=False, escape=True, caption=caption, label=label, position="t")


def convergence_view(conv: pd.DataFrame) -> pd.DataFrame:
    if conv.empty:
        return conv
    return pd.DataFrame({
        "environment": environment_label(conv), "method": conv["method"],
        "best cell": conv["best_cell"], "at (share of run)": conv["late_fraction"].map(lambda v: fmt(v, 2)),
        "score there": conv["late_score"].map(fmt), "score at the end": conv["end_score"].map(fmt),
        "relative change": conv["late_rel_change"].map(lambda v: "—" if pd.isna(v) else f"{100 * v:+.1f}%"),
        "flattened (< 5%)": conv["flattened"].map(lambda v: "—" if v is None or pd.isna(v) else ("yes" if v else "no")),
    })


def stability_view(stab: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    if stab.empty:
        return stab
    verdicts = {tuple(r[KEY]): classify(r) for _, r in summary.iterrows()}
    return pd.DataFrame({
        "environment": environment_label(stab), "method": stab["method"],
        "verdict": [verdicts.get(tuple(r[KEY]), "—") for _, r in stab.iterrows()],
        "unchanged without any one seed": stab["loso_stable"].map(
            lambda v: "—" if v is None else ("yes" if v else "no")),
        "what changes": stab["loso_changes"].replace("", "—"),
    })
