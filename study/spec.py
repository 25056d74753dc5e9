"""Study specs (YAML): validated before anything starts, then expanded into trial configs.

```yaml
name: quick
trial: {dataset: ring8, iterations: 1000}   # fixed for every trial
environments:                               # optional: each is crossed with the grid
  - {dataset: ring8}
  - {dataset: digits, arch: dcgan, max_grad_calls: 3000}
grid: {optimizer: [adam, acgd], lr: [1.0e-4, 1.0e-3]}   # crossed
resources: {cpu: 1, gpu: 0}
```
Every error names where it is (``trial.lr``, ``grid.lr[2]``, ``environments[1].arch``,
``grid (optimizer=acgd, loss=ns)``).
"""
from __future__ import annotations

import itertools
import re
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis.keys import RUN_LENGTH, config_key
from analysis.manifest import AnalysisPlan
from study.errors import UserError
from trainables.config import FIELDS, TrialConfig, reads

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class Resources(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu: float = Field(1, gt=0)
    gpu: float = Field(0, ge=0)


class Distribution(BaseModel):
    """One searched hyperparameter: a range (``low``, ``high``, optionally ``log``) or ``choices``."""

    model_config = ConfigDict(extra="forbid")
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _range_or_choices(self) -> Distribution:
        if self.choices is not None:
            if self.low is not None or self.high is not None or not self.choices:
                raise ValueError("give either non-empty choices or low/high")
        elif self.low is None or self.high is None or not self.low < self.high:
            raise ValueError("a range needs low < high")
        elif self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        return self


class Search(BaseModel):
    """Equal-budget search: every method (grid combination) gets ``trials_per_method`` Optuna TPE
    trials over the same ``space``, its published default learning rate enqueued first."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["grid", "optuna"] = "grid"
    trials_per_method: int = Field(20, ge=1)
    seed: int = Field(0, ge=0)
    space: dict[str, Distribution] = {}


class PopulationSetting(BaseModel):
    """Which grid trials train together as one population (see ``trainables.population``): trials of
    one method in one environment that differ only in the ``axes`` settings, at most ``max_members``
    to a population, of the ``archs`` architectures. Trials that cannot batch
    (``trainables.population.refusal``) train alone. ``max_members: 1`` trains every trial alone."""

    model_config = ConfigDict(extra="forbid")
    axes: list[Literal["seed", "lr", "lr_g", "lr_d"]] = Field(["seed", "lr", "lr_g", "lr_d"], min_length=1)
    # 35 members ran at about 3x the member-trials per core-second of solo trials on the toy MLP
    # (benchmarks/bench_population.py); beyond ~64 a population holds too much of a study in one
    # Tune trial for a cluster to spread it
    max_members: int = Field(64, ge=1)
    # dcgan and resnet batch exactly too, but on one CPU thread a digits DCGAN population ran at 0.42x
    # (full size, K = 35) to 1.17x (a quarter of the width, K = 5) the member-trials per core-second of
    # its solo trials (bench_population.py), while holding one core where its trials alone could use K:
    # by default the image architectures train alone; list them where it pays (a GPU: unmeasured)
    archs: list[str] = Field(["mlp"], min_length=1)

    @field_validator("archs")
    @classmethod
    def _known_archs(cls, archs: list[str]) -> list[str]:
        from trainables.registry import ARCHITECTURES

        unknown = [a for a in archs if a not in ARCHITECTURES]
        if unknown:
            raise ValueError(f"unknown arch {unknown[0]!r}; registered: {', '.join(ARCHITECTURES.names())}")
        return archs


class Tracking(BaseModel):
    """Experiment trackers that get every trial's config and metrics (``mlflow``: a tracking URI)."""

    model_config = ConfigDict(extra="forbid")
    mlflow: str | None = Field(None, min_length=1)


class StudySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=f"^{NAME.pattern}$")
    description: str = ""
    trial: dict[str, Any] = {}
    environments: list[dict[str, Any]] = Field(
        [], description="settings that differ per environment (dataset, arch, its budget), each crossed with the grid")
    grid: dict[str, list[Any]] = {}
    resources: Resources = Resources()
    max_failures: int = Field(2, ge=0, description="retries of a failed trial, from its last checkpoint")
    search: Search = Search()
    tracking: Tracking = Tracking()
    population: PopulationSetting = PopulationSetting()
    analysis: AnalysisPlan = Field(default_factory=AnalysisPlan,
                                   description="the statistics fixed before the study runs: equivalence "
                                               "margin and primary comparison (docs/protocol.md)")

    @field_validator("grid")
    @classmethod
    def _non_empty(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in grid.items():
            if not values:
                raise ValueError(f"{key}: empty list")
            if len({repr(v) for v in values}) < len(values):
                raise ValueError(f"{key}: repeated value (use seeds to repeat trials)")
        return grid

    def base_config(self) -> dict[str, Any]:
        """The trial settings, the first environment and the first value of every grid entry (what
        ``ganstudy trial`` runs)."""
        first = self.environments[0] if self.environments else {}
        return {**self.trial, **first, **{k: v[0] for k, v in self.grid.items()}}

    def trial_configs(self) -> list[TrialConfig]:
        """Every grid combination as a validated trial config, in grid order, each config once: a
        setting the method does not read is reset to its default by the config, so sweeping Adam's
        beta2 gives ACGD one trial per remaining cell, not two identical ones."""
        keys = list(self.grid)
        out: dict[TrialConfig, None] = {}
        for i, environment in enumerate(self.environments or [{}]):
            for values in itertools.product(*(self.grid[k] for k in keys)):
                combo = dict(zip(keys, values))
                try:
                    out.setdefault(TrialConfig(**{**self.trial, **environment, **combo}))
                except ValidationError as e:
                    where = "grid (" + ", ".join(f"{k}={v}" for k, v in combo.items()) + ")" if combo else "trial"
                    if self.environments:
                        where = f"environments[{i}] " + where
                    raise UserError(where, describe_error(e)) from None
        return list(out)


def describe_error(error: ValidationError) -> str:
    """The first validation error as one line: `<field>: <message>`."""
    first = error.errors()[0]
    loc = ".".join(str(x) for x in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    return f"{loc}: {msg}" if loc else msg


def _field_errors(section: str, values: dict[str, Any]) -> None:
    """Check each setting on its own, so an error names the exact entry."""
    for key, value in values.items():
        if key not in FIELDS:
            raise UserError(f"{section}.{key}", f"unknown key; known keys: {', '.join(FIELDS)}")
        items = list(enumerate(value)) if section == "grid" else [(None, value)]
        for i, item in items:
            try:
                TrialConfig(**{key: item})
            except ValidationError as e:
                message = _own_error(e, key)
                if message:
                    where = f"{section}.{key}" + (f"[{i}]" if i is not None else "")
                    raise UserError(where, message) from None


def _own_error(error: ValidationError, key: str) -> str | None:
    """The message of an error about ``key`` itself (not about its combination with defaults)."""
    for err in error.errors():
        if err["loc"][:1] == (key,):
            return err["msg"].removeprefix("Value error, ")
    return None


def parse_spec(data: Any, source: str = "spec") -> StudySpec:
    if not isinstance(data, dict):
        raise UserError(source, "a study spec is a mapping with name, trial, grid, resources")
    try:
        spec = StudySpec(**data)
    except ValidationError as e:
        raise UserError(source, describe_error(e)) from None
    overlap = set(spec.trial) & set(spec.grid)
    if overlap:
        raise UserError(f"{source}: grid.{sorted(overlap)[0]}", "set both under trial and grid")
    for i, environment in enumerate(spec.environments):
        clash = set(environment) & set(spec.grid)
        if clash:
            raise UserError(f"{source}: environments[{i}].{sorted(clash)[0]}", "set both in an environment and in grid")
    _check_search(spec, source)
    try:
        _field_errors("trial", spec.trial)
        for i, environment in enumerate(spec.environments):
            _field_errors(f"environments[{i}]", environment)
        _field_errors("grid", spec.grid)
        configs = spec.trial_configs()
    except UserError as e:
        raise UserError(f"{source}: {e.where}", e.what) from None
    same = _same_but_run_length(configs)
    if same:
        raise UserError(f"{source}: environments", f"two trials differ only in their run length ({same}): "
                                                   "a longer budget continues the shorter trial, so a study has one "
                                                   "budget per trial")
    for section, keys in (("grid", spec.grid), ("search.space", spec.search.space)):
        for key in keys:
            if not any(reads(cfg, key) for cfg in configs):
                raise UserError(f"{source}: {section}.{key}", "no method of this study reads it "
                                                              "(it would only repeat identical trials)")
    return spec


def _same_but_run_length(configs: list[TrialConfig]) -> str | None:
    """The run-length settings of the first two configs whose identity (``analysis.keys.config_key``)
    is the same, else None."""
    seen: dict[str, TrialConfig] = {}
    for cfg in configs:
        key = config_key(cfg.model_dump())
        if key in seen:
            return ", ".join(f"{k} {getattr(seen[key], k)} and {getattr(cfg, k)}" for k in RUN_LENGTH
                             if k in FIELDS and getattr(seen[key], k) != getattr(cfg, k))
        seen[key] = cfg
    return None


def _check_search(spec: StudySpec, source: str) -> None:
    search = spec.search
    if search.kind == "grid":
        if search.space:
            raise UserError(f"{source}: search.space", "only used with kind: optuna")
        return
    if not search.space:
        raise UserError(f"{source}: search.space", "optuna search needs at least one hyperparameter")
    for key, dist in search.space.items():
        where = f"{source}: search.space.{key}"
        if key not in FIELDS:
            raise UserError(where, "unknown key")
        if key in spec.trial or key in spec.grid:
            raise UserError(where, "also set under trial or grid")
        if dist.choices is None and not dist.integer and _is_integer_field(key):
            raise UserError(where, "an integer setting: add `integer: true` to the range")
    # every method's full config with every choice and each range's ends and middle, crossed:
    # what TPE can propose must be a valid trial, so nothing fails after the study has started
    keys = list(search.space)
    candidates = [_candidates(search.space[k]) for k in keys]
    for cfg in spec.trial_configs():
        for values in itertools.islice(itertools.product(*candidates), 4096):
            point = dict(zip(keys, values))
            try:
                TrialConfig(**{**cfg.model_dump(), **point})
            except ValidationError as e:
                at = ", ".join(f"{k}={v}" for k, v in point.items())
                raise UserError(f"{source}: search.space ({at})", describe_error(e)) from None


def _candidates(dist: Distribution) -> list[Any]:
    if dist.choices is not None:
        return list(dist.choices)
    middle = (dist.low * dist.high) ** 0.5 if dist.log else (dist.low + dist.high) / 2
    values = [dist.low, middle, dist.high]
    return sorted({int(round(v)) for v in values}) if dist.integer else values


def _is_integer_field(key: str) -> bool:
    """int, PositiveInt or Optional[PositiveInt] (pydantic keeps Annotated[int, ...] inside Optional)."""
    annotation = TrialConfig.model_fields[key].annotation
    options = typing.get_args(annotation) if typing.get_origin(annotation) is typing.Union else (annotation,)
    base = [typing.get_args(t)[0] if typing.get_origin(t) is typing.Annotated else t for t in options]
    return int in base


def check_inputs(spec: StudySpec, source: str = "spec") -> None:
    """Every dataset and weights file the trials need is on this machine (checked once per input)."""
    from trainables.preflight import check_inputs as check_trial_inputs

    seen = set()
    for cfg in spec.trial_configs():
        inputs = (cfg.dataset, cfg.data_root, cfg.data_download, cfg.eval_extractor, cfg.inception_weights)
        if inputs in seen:
            continue
        seen.add(inputs)
        try:
            check_trial_inputs(cfg)
        except FileNotFoundError as e:
            raise UserError(f"{source}: {cfg.dataset}", str(e)) from None


def load_spec(path: str | Path) -> StudySpec:
    path = Path(path)
    if not path.is_file():
        raise UserError(str(path), "no such spec file")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise UserError(str(path), f"invalid YAML: {str(e).splitlines()[0]}") from None
    return parse_spec(data, str(path))
