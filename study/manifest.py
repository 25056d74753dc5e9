"""``ganstudy.json``: what a study is meant to contain, written into its experiment folder.

The report reads it to know every expected trial (so a partial study says what is missing) and each
method's published default learning rate, with no Ray and no torch needed.
"""
from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from analysis.keys import config_key
from study.spec import StudySpec
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


def write(experiment_dir: Path, manifest: dict[str, Any]) -> Path:
    experiment_dir.mkdir(parents=True, exist_ok=True)
    path = experiment_dir / FILENAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, default=str))
    os.replace(tmp, path)
    return path


def read(experiment_dir: Path) -> dict[str, Any]:
    return json.loads((Path(experiment_dir) / FILENAME).read_text())


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
