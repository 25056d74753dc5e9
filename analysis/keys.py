"""Identity of a trial: a short hash of its config, the same on every machine.

Study and analysis both use it (to list the expected trials, to match results to them, to extend a
study without re-running what it has), so it lives here, where no heavy import is needed.

The run length is not part of the identity: a trial trained to 6,000 gradient calls and then
continued to 60,000 is the same trial, run longer (``ganstudy extend --max-grad-calls``), and the
settings that only say when it is looked at (its evaluation schedule) do not change what it trains.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# how long a trial runs and when it is evaluated: not what it is
RUN_LENGTH = ("iterations", "max_grad_calls", "eval_every", "eval_from", "budget_evals")


def config_key(config: Mapping[str, Any]) -> str:
    canonical = json.dumps({k: config[k] for k in sorted(config) if k not in RUN_LENGTH}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def format_2_key(config: Mapping[str, Any]) -> str:
    """The key that manifests of format 2 and older stored: a hash of the whole config."""
    canonical = json.dumps({k: config[k] for k in sorted(config)}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
