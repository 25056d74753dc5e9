"""Identity of a trial: a short hash of its full config, the same on every machine.

Study and analysis both use it (to list the expected trials, to match results to them, to extend a
study without re-running what it has), so it lives here, where no heavy import is needed.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def config_key(config: Mapping[str, Any]) -> str:
    canonical = json.dumps({k: config[k] for k in sorted(config)}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
