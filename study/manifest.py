"""``ganstudy.json``: what a study is meant to contain, written into its experiment folder.

The report reads it to know every expected trial (so a partial study says what is missing) and each
method's published default learning rate, with no Ray and no torch needed.
"""
from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from analysis.keys import config_key
from study.spec import StudySpec
from study.storage import Location, location
from trainables.config import TrialConfig
from trainables.registry import OPTIMIZERS, REGULARIZERS

FILENAME = "ganstudy.json"


def trial_entries(spec: StudySpec) -> list[dict[str, Any]]:
    entries = []
    for cfg in spec.trial_configs():
        config = cfg.model_dump()
        entries.append({"key": config_key(config), "config": config})
    return entries


def build(spec: StudySpec) -> dict[str, Any]:
    versions = {p: _version(p) for p in ("ganstudy", "torch", "ray", "optuna", "torch-fidelity")}
    return {
        "spec": spec.model_dump(),
        "trials": trial_entries(spec),
        "optimizers": {n: {"default_lr": o.default_lr, "source": o.source, "defaults": o.defaults,
                           "uses": list(o.uses), "competitive": o.competitive}
                       for n, o in ((n, OPTIMIZERS.get(n)) for n in OPTIMIZERS)},
        "regularizers": {n: {"defaults": r.defaults, "uses": list(r.uses), "source": r.source}
                         for n, r in ((n, REGULARIZERS.get(n)) for n in REGULARIZERS)},
        "config_defaults": {k: f.default for k, f in TrialConfig.model_fields.items()},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {**versions, "python": platform.python_version()},
    }


def write(study: Location | Path, manifest: dict[str, Any]) -> None:
    """Written whole (a renamed temporary file, or one object upload): never half a manifest."""
    _location(study).write_text(FILENAME, json.dumps(manifest, indent=1, default=str))


def read(study: Location | Path) -> dict[str, Any]:
    return json.loads(_location(study).read_text(FILENAME))


def _location(study: Location | Path) -> Location:
    return study if isinstance(study, Location) else location(study)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
