"""Writing ``ganstudy.json`` (typed in :mod:`analysis.manifest`) from a study spec and the registry.

The report reads it to know every expected trial (so a partial study says what is missing) and each
method's published defaults, with no Ray and no torch needed.
"""
from __future__ import annotations

import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from analysis.keys import config_key
from analysis.manifest import FILENAME, Manifest, TrialEntry, loads
from study.spec import StudySpec
from study.storage import Location, location
from trainables.config import TrialConfig
from trainables.registry import OPTIMIZERS, REGULARIZERS

__all__ = ["FILENAME", "build", "read", "trial_entries", "write"]


def trial_entries(spec: StudySpec) -> list[TrialEntry]:
    entries = []
    for cfg in spec.trial_configs():
        config = cfg.model_dump()
        entries.append(TrialEntry(key=config_key(config), config=config))
    return entries


def build(spec: StudySpec) -> Manifest:
    versions = {p: _version(p) for p in ("ganstudy", "torch", "ray", "optuna", "torch-fidelity")}
    return Manifest(
        spec=spec.model_dump(),
        trials=trial_entries(spec),
        optimizers={n: {"default_lr": o.default_lr, "source": o.source, "defaults": o.defaults,
                        "uses": list(o.uses), "competitive": o.competitive}
                    for n, o in ((n, OPTIMIZERS.get(n)) for n in OPTIMIZERS)},
        regularizers={n: {"defaults": r.defaults, "uses": list(r.uses), "source": r.source}
                      for n, r in ((n, REGULARIZERS.get(n)) for n in REGULARIZERS)},
        config_defaults={k: f.default for k, f in TrialConfig.model_fields.items()},
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        versions={**versions, "python": platform.python_version()},
    )


def write(study: Location | Path, manifest: Manifest) -> None:
    """Written whole (a renamed temporary file, or one object upload): never half a manifest."""
    _location(study).write_text(FILENAME, manifest.to_json())


def read(study: Location | Path) -> Manifest:
    return loads(_location(study).read_text(FILENAME))


def _location(study: Location | Path) -> Location:
    return study if isinstance(study, Location) else location(study)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
