"""A method's published default, as a whole set of settings, and which trials train at it.

The manifest (``ganstudy.json``) says, per optimizer, ``defaults`` (the published set, ``lr`` for
both players), ``uses`` (the settings it reads beyond the learning rates) and ``competitive``; per
regularizer ``defaults`` and ``uses``; and ``config_defaults`` (every trial-config field's default).
A method is ``optimizer+regularizer``, the regularizer possibly composed (``gp+advas``); its
published set is the union of its parts' sets.

A trial is *at the default* when every swept setting that its method reads is at its default:
- ``lr``: both effective learning rates (``lr_g``/``lr_d`` falling back to ``lr``) equal the set's ``lr``;
  a method whose set has no ``lr`` has no default at all;
- a setting in the set: its published value;
- any other setting swept within the method: ``config_defaults``;
- settings read only by other components (another optimizer's, another regularizer's) are ignored
  (the trial config resets them anyway).
Older manifests carry only ``default_lr``: then only the learning rates are checked, as before.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.ingest.grid import ENVIRONMENT, LR_COLUMNS, METHOD, effective_lrs

NONE = "none"
SEPARATOR = "+"
# optimizers taken to be competitive when an older manifest does not say (ICR's and CGD's solvers)
COMPETITIVE_BY_NAME = ("bcgd", "acgd", "gacgd")


@dataclass(frozen=True)
class MethodDefault:
    """The published default of one method: its set, the settings it reads and their sources."""
    settings: dict[str, Any]  # the published set ("lr" included when it has one)
    reads: frozenset  # settings this method reads (beyond learning rates); empty: unknown (old manifest)
    source: str = ""

    @property
    def lr(self) -> float | None:
        value = self.settings.get("lr")
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)

    def text(self) -> str:
        """``lr=0.0001, beta1=0.5, ...``: the set as a report shows it."""
        return ", ".join(f"{k}={_text(v)}" for k, v in self.settings.items()) if self.lr is not None else ""


def _text(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@dataclass
class Defaults:
    """Everything the manifest says about defaults, with the rule that decides a trial's default."""
    optimizers: dict[str, dict] = field(default_factory=dict)
    regularizers: dict[str, dict] = field(default_factory=dict)
    config_defaults: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Defaults:
        return cls(dict(manifest.get("optimizers") or {}), dict(manifest.get("regularizers") or {}),
                   dict(manifest.get("config_defaults") or {}))

    @property
    def is_set_based(self) -> bool:
        """Whether the manifest gives whole default sets (newer) or only ``default_lr`` (older)."""
        return any("defaults" in info for info in self.optimizers.values())

    @property
    def owned(self) -> frozenset:
        """Settings some component reads: a setting outside it is general (width, batch size, ...)."""
        keys = set()
        for info in [*self.optimizers.values(), *self.regularizers.values()]:
            keys |= set(info.get("uses") or ()) | set(info.get("defaults") or {})
        return frozenset(keys - set(LR_COLUMNS))

    def competitive(self) -> tuple[set[str], bool]:
        """(competitive optimizers, whether the manifest said so rather than the fallback by name)."""
        said = {name for name, info in self.optimizers.items() if info.get("competitive")}
        if any("competitive" in info for info in self.optimizers.values()):
            return said, True
        return set(COMPETITIVE_BY_NAME), False

    def method(self, optimizer: str, regularizer: str) -> MethodDefault:
        info = self.optimizers.get(optimizer, {})
        if "defaults" not in info:  # older manifest: the learning rate only
            lr = info.get("default_lr")
            return MethodDefault({"lr": lr} if lr is not None else {}, frozenset(), info.get("source", ""))
        settings = dict(info.get("defaults") or {})
        reads = set(info.get("uses") or ()) | set(settings)
        sources = [info.get("source", "")]
        for part in str(regularizer).split(SEPARATOR):
            if part == NONE:
                continue
            reg = self.regularizers.get(part, {})
            settings.update(reg.get("defaults") or {})
            reads |= set(reg.get("uses") or ()) | set(reg.get("defaults") or {})
            sources.append(reg.get("source", ""))
        if "lr" in settings:  # lr first, as the report shows it
            settings = {"lr": settings.pop("lr"), **settings}
        return MethodDefault(settings, frozenset(reads - set(LR_COLUMNS)), "; ".join(s for s in sources if s))

    def checked_keys(self, method: MethodDefault, swept: list[str]) -> dict[str, Any]:
        """The swept non-learning-rate settings a trial of ``method`` must match, with their defaults."""
        if not method.reads and not self.config_defaults:  # older manifest: learning rates only
            return {}
        owned = self.owned
        out = {}
        for key in swept:
            if key in LR_COLUMNS or key in ENVIRONMENT + METHOD + ["seed"]:
                continue
            if key in owned and key not in method.reads:
                continue  # another component's setting: this method does not read it
            if key in method.settings:
                out[key] = method.settings[key]
            elif key in self.config_defaults:
                out[key] = self.config_defaults[key]
        return out

    def mask(self, frame: pd.DataFrame, swept: list[str], *, learning_rate: bool = True) -> pd.Series:
        """Rows at their method's default; ``learning_rate=False`` checks every setting but the
        learning rates (the method's default line through the learning-rate grid)."""
        out = pd.Series(False, index=frame.index)
        if frame.empty:
            return out
        for (opt, reg), rows in frame.groupby(METHOD, sort=False, dropna=False):
            method = self.method(opt, reg)
            if learning_rate and method.lr is None:
                continue  # no published default: no default cell
            sub = frame.loc[rows.index]
            ok = np.ones(len(sub), dtype=bool)
            if learning_rate:
                lr_g, lr_d = effective_lrs(sub)
                ok &= np.isclose(lr_g, method.lr, rtol=1e-9) & np.isclose(lr_d, method.lr, rtol=1e-9)
            for key, value in self.checked_keys(method, [c for c in swept if c in sub]).items():
                ok &= sub[key].map(lambda v, d=value: same(v, d)).to_numpy(bool)
            out.loc[rows.index] = ok
        return out


def same(value, default) -> bool:
    """A config value equals a default: numbers within 1e-9 (relative), others by their text form."""
    value = None if isinstance(value, float) and math.isnan(value) else value
    if value is None or default is None:
        return value is None and default is None
    if isinstance(value, (int, float, np.number)) and isinstance(default, (int, float)) \
            and not isinstance(value, bool) and not isinstance(default, bool):
        return bool(np.isclose(float(value), float(default), rtol=1e-9, atol=0.0))
    return str(value) == str(default)
