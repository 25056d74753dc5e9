"""``ganstudy.json``, typed: what a study is meant to contain, read by ``study/`` and ``analysis/`` alike.

Torch-free and Ray-free, so a report can be made where neither is installed. Every manifest names its
``format_version``; a manifest of an older format is brought to this one by :func:`upgrade`, one
explicit step per version, never by guessing from which keys happen to be there.

Format history:
- 1 (no ``format_version``): an optimizer's ``defaults``, ``uses`` and ``competitive`` were optional,
  and so were ``regularizers`` and ``config_defaults`` (the earliest studies wrote only ``default_lr``).
  Upgraded: a missing default set is the learning rate alone, missing ``competitive`` is decided by
  name, and ``assumed`` says which of these the upgrade had to do.
- 2: every optimizer carries its whole default set, the settings it reads and whether it is competitive.
  Upgraded: trial keys were hashes of the whole config; they are recomputed without the run length
  (``analysis.keys.RUN_LENGTH``), in the trials and in every experiment's lists.
- 3: a trial's key leaves out its run length, so a trial continued to a longer budget keeps it; an
  experiment can continue trials from their checkpoints (``continue_from``).
"""
from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from analysis.keys import config_key

FILENAME = "ganstudy.json"
FORMAT_VERSION = 3
# the competitive optimizers of a format-1 study, which did not mark them (ICR's and CGD's solvers)
COMPETITIVE_BY_NAME = ("bcgd", "acgd", "gacgd")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptimizerEntry(_Entry):
    default_lr: float | None = None
    source: str = ""
    defaults: dict[str, Any]  # the published set ("lr" for both players when it has one)
    uses: list[str]  # the settings it reads beyond the learning rates
    competitive: bool


class RegularizerEntry(_Entry):
    defaults: dict[str, Any]
    uses: list[str]
    source: str = ""


class TrialEntry(_Entry):
    key: str  # analysis.keys.config_key(config)
    config: dict[str, Any]


class Primary(_Entry):
    """The primary comparison, named before the study runs: each competitive method at its default
    against Adam at Adam's default (``adam_default``) or tuned (``adam_tuned``), with the same regularizer
    (``same_regularizer``) or in the paper's pairing (``paper``: acgd+none against adam+gp), at the final
    budget, in every environment. Holm's correction runs over this family; every other line is secondary."""
    against: Literal["adam_default", "adam_tuned"] = "adam_default"
    pairing: Literal["same_regularizer", "paper"] = "same_regularizer"


class AnalysisPlan(_Entry):
    """The spec's ``analysis:`` section, fixed before the trials run and read by the report."""
    # TOST margin (Schuirmann 1987), a share of the baseline's score (at least of the seed noise)
    equivalence_margin: float = Field(0.10, gt=0)
    primary: Primary = Field(default_factory=Primary)


class Experiment(_Entry):
    """One Tune experiment of the study: a list of grid trials, or one method's Optuna search."""
    name: str
    kind: Literal["grid", "optuna"]
    # "confirmation" (``ganstudy confirm``): selected cells re-run on fresh seeds, kept out of selection
    phase: Literal["selection", "confirmation"] = "selection"
    keys: list[str] = Field(default_factory=list)  # grid: the trials it runs
    # grid: the trials that train together, as lists of keys (one Tune trial each, config
    # ``{"members": [...]}``); empty when every trial is a Tune trial of its own config
    populations: list[list[str]] = Field(default_factory=list)
    # grid: per Tune trial (per population, or per key without populations), the checkpoint it
    # continues from, relative to the study folder (``ganstudy extend --max-grad-calls``); empty: none
    continue_from: list[str] = Field(default_factory=list)
    resources: dict[str, float] = Field(default_factory=lambda: {"cpu": 1.0, "gpu": 0.0})
    max_failures: int = 0
    # optuna only
    fixed: dict[str, Any] = Field(default_factory=dict)
    budget: int | None = None
    seed: int | None = None
    mode: Literal["min", "max"] = "min"
    space: dict[str, dict[str, Any]] = Field(default_factory=dict)
    points: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def size(self) -> int:
        """How many Tune trials it runs (a population is one)."""
        return self.budget or len(self.populations) or len(self.keys)


class Extension(_Entry):
    experiment: str
    spec: dict[str, Any]


class Manifest(_Entry):
    format_version: Literal[3] = FORMAT_VERSION
    spec: dict[str, Any]
    trials: list[TrialEntry]
    optimizers: dict[str, OptimizerEntry]
    regularizers: dict[str, RegularizerEntry] = Field(default_factory=dict)
    config_defaults: dict[str, Any] = Field(default_factory=dict)
    created: str = ""
    versions: dict[str, str] = Field(default_factory=dict)
    experiments: list[Experiment] = Field(default_factory=list)
    tracking: dict[str, Any] = Field(default_factory=dict)
    extensions: list[Extension] = Field(default_factory=list)
    upgraded_from: int | None = None  # the format it was written in, when older
    assumed: dict[str, str] = Field(default_factory=dict)  # field -> what the upgrade had to assume

    @property
    def competitive(self) -> set[str]:
        return {name for name, o in self.optimizers.items() if o.competitive}

    @property
    def confirmation_keys(self) -> set[str]:
        """Trials that score selected cells on fresh seeds (``ganstudy confirm``), not part of the grid."""
        return {key for e in self.experiments if e.phase == "confirmation" for key in e.keys}

    @property
    def analysis(self) -> AnalysisPlan:
        """The spec's analysis plan (the defaults for a study whose spec predates it)."""
        return AnalysisPlan.model_validate(self.spec.get("analysis") or {})

    def to_json(self) -> str:
        return self.model_dump_json(indent=1)


def upgrade(raw: dict[str, Any]) -> dict[str, Any]:
    """A manifest of any known format, as the current format's fields (validated by :func:`parse`)."""
    version = raw.get("format_version", 1)
    if version not in (1, 2, FORMAT_VERSION):
        raise ValueError(f"format_version: {version!r} is not a manifest format this ganstudy knows "
                         f"(1 to {FORMAT_VERSION})")
    if version == 1:
        raw = _from_format_1(raw)
    if version <= 2:
        raw = _from_format_2(raw)
    return raw


def _from_format_1(raw: dict[str, Any]) -> dict[str, Any]:
    """Format 1 left an optimizer's ``defaults``, ``uses`` and ``competitive`` optional (the earliest
    studies wrote only ``default_lr``): fill what is missing and say so in ``assumed``."""
    assumed: dict[str, str] = {}
    optimizers = {}
    for name, info in (raw.get("optimizers") or {}).items():
        entry = {"default_lr": info.get("default_lr"), "source": info.get("source", ""), **info}
        if "defaults" not in entry:
            lr = entry["default_lr"]
            entry["defaults"] = {"lr": lr} if lr is not None else {}
            assumed["defaults"] = "default sets are the learning rate only (the study recorded no other setting)"
        entry.setdefault("uses", [])
        if "competitive" not in entry:
            entry["competitive"] = name in COMPETITIVE_BY_NAME
            assumed["competitive"] = (f"competitive optimizers taken by name ({', '.join(COMPETITIVE_BY_NAME)}; "
                                      "the study did not mark them)")
        optimizers[name] = entry
    return {**raw, "optimizers": optimizers, "tracking": raw.get("tracking") or {},
            "format_version": 2, "upgraded_from": 1, "assumed": assumed}


def _from_format_2(raw: dict[str, Any]) -> dict[str, Any]:
    """Format 2 keyed a trial by its whole config; format 3 leaves the run length out."""
    new = {t["key"]: config_key(t["config"]) for t in raw.get("trials", [])}
    experiments = [{**e, "keys": [new.get(k, k) for k in e.get("keys", [])],
                    "populations": [[new.get(k, k) for k in g] for g in e.get("populations", [])]}
                   for e in raw.get("experiments", [])]
    return {**raw, "trials": [{**t, "key": new[t["key"]]} for t in raw.get("trials", [])],
            "experiments": experiments, "format_version": FORMAT_VERSION,
            "upgraded_from": raw.get("upgraded_from") or 2}


def parse(raw: dict[str, Any]) -> Manifest:
    return Manifest.model_validate(upgrade(raw))


def loads(text: str) -> Manifest:
    return parse(json.loads(text))
