"""Shared fixtures: quiet Ray settings, one local Ray per test module that needs it, tiny configs."""
from __future__ import annotations

import os

import pytest
import torch

from study.ray_setup import QUIET_ENV

for _key, _value in QUIET_ENV.items():
    os.environ.setdefault(_key, _value)
os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")
torch.set_num_threads(1)

TINY = dict(dataset="ring8", arch="mlp", loss="wgan", width=16, depth=1, batch_size=32, iterations=20,
            eval_every=10, eval_samples=200)


@pytest.fixture
def tiny() -> dict:
    return dict(TINY)


@pytest.fixture(scope="module")
def ray_local():
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="warning",
             object_store_memory=100 * 1024**2)
    yield ray
    ray.shutdown()

