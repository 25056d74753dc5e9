"""A method's published default, as a whole set of settings, and which trials train at it.

The manifest (:mod:`analysis.manifest`) says, per optimizer, ``defaults`` (the published set, ``lr`` for
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
A manifest upgraded from a study that recorded only learning rates has no other settings to check.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.ingest.grid import ENVIRONMENT, LR_COLUMNS, METHOD, effective_lrs
from analysis.manifest import Manifest, OptimizerEntry, RegularizerEntry

NONE = "none"
SEPARATOR = "+"


@dataclass(frozen=True)
class MethodDefault:
    """The published default of one method: its set, the settings it reads and their sources."""
    settings: dict[str, Any]  # the published set ("lr" included when it has one)
    reads: frozenset  # settings this method reads (beyond learning rates)
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
    optimizers: dict[str, OptimizerEntry] = field(default_factory=dict)
    regularizers: dict[str, RegularizerEntry] = field(default_factory=dict)
    config_defaults: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> Defaults:
        return cls(dict(manifest.optimizers), dict(manifest.regularizers), dict(manifest.config_defaults))

    @property
    def owned(self) -> frozenset:
        """Settings some component reads: a setting outside it is general (width, batch size, ...)."""
        keys = set()
        for info in [*self.optimizers.values(), *self.regularizers.values()]:
            keys |= set(info.uses) | set(info.defaults)
        return frozenset(keys - set(LR_COLUMNS))

    @property
    def competitive(self) -> set[str]:
        return {name for name, info in self.optimizers.items() if info.competitive}

    def method(self, optimizer: str, regularizer: str) -> MethodDefault:
        info = self.optimizers.get(optimizer)
        if info is None:
            return MethodDefault({}, frozenset())
        settings = dict(info.defaults)
        reads = set(info.uses) | set(settings)
        sources = [info.source]
        for part in str(regularizer).split(SEPARATOR):
            reg = self.regularizers.get(part)
            if part == NONE or reg is None:
                continue
            settings.update(reg.defaults)
            reads |= set(reg.uses) | set(reg.defaults)
            sources.append(reg.source)
        if "lr" in settings:  # lr first, as the report shows it
            settings = {"lr": settings.pop("lr"), **settings}
        return MethodDefault(settings, frozenset(reads - set(LR_COLUMNS)), "; ".join(s for s in sources if s))

    def checked_keys(self, method: MethodDefault, swept: list[str]) -> dict[str, Any]:
        """The swept non-learning-rate settings a trial of ``method`` must match, with their defaults."""
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
