"""Study specs (YAML): validated before anything starts, then expanded into trial configs.

```yaml
name: quick
trial: {dataset: ring8, iterations: 1000}   # fixed for every trial
grid: {optimizer: [adam, acgd], lr: [1.0e-4, 1.0e-3]}   # crossed
resources: {cpu: 1, gpu: 0}
```
Every error names where it is (``trial.lr``, ``grid.lr[2]``, ``grid (optimizer=acgd, loss=ns)``).
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from study.errors import UserError
from trainables.config import FIELDS, TrialConfig


class Resources(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu: float = Field(1, gt=0)
    gpu: float = Field(0, ge=0)


class StudySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    trial: dict[str, Any] = {}
    grid: dict[str, list[Any]] = {}
    resources: Resources = Resources()
    max_failures: int = Field(2, ge=0, description="retries of a failed trial, from its last checkpoint")

    @field_validator("grid")
    @classmethod
    def _non_empty(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in grid.items():
            if not values:
                raise ValueError(f"{key}: empty list")
        return grid

    def base_config(self) -> dict[str, Any]:
        """The trial settings plus the first value of every grid entry (what ``ganstudy trial`` runs)."""
        return {**self.trial, **{k: v[0] for k, v in self.grid.items()}}

    def trial_configs(self) -> list[TrialConfig]:
        """Every grid combination as a validated trial config, in grid order."""
        keys = list(self.grid)
        out = []
        for values in itertools.product(*(self.grid[k] for k in keys)):
            combo = dict(zip(keys, values))
            try:
                out.append(TrialConfig(**self.trial, **combo))
            except ValidationError as e:
                where = "grid (" + ", ".join(f"{k}={v}" for k, v in combo.items()) + ")" if combo else "trial"
                raise UserError(where, _message(e)) from None
        return out


def _message(error: ValidationError) -> str:
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
        msg = err["msg"].removeprefix("Value error, ")
        if err["loc"][:1] == (key,):
            return msg
        if not err["loc"] and msg.startswith(f"{key}: "):
            return msg.removeprefix(f"{key}: ")
    return None


def parse_spec(data: Any, source: str = "spec") -> StudySpec:
    if not isinstance(data, dict):
        raise UserError(source, "a study spec is a mapping with name, trial, grid, resources")
    try:
        spec = StudySpec(**data)
    except ValidationError as e:
        raise UserError(source, _message(e)) from None
    overlap = set(spec.trial) & set(spec.grid)
    if overlap:
        raise UserError(f"{source}: grid.{sorted(overlap)[0]}", "set both under trial and grid")
    try:
        _field_errors("trial", spec.trial)
        _field_errors("grid", spec.grid)
        spec.trial_configs()
    except UserError as e:
        raise UserError(f"{source}: {e.where}", e.what) from None
    return spec


def load_spec(path: str | Path) -> StudySpec:
    path = Path(path)
    if not path.is_file():
        raise UserError(str(path), "no such spec file")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise UserError(str(path), f"invalid YAML: {str(e).splitlines()[0]}") from None
    return parse_spec(data, str(path))
