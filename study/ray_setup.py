"""Starting or joining Ray, with the settings that keep it quiet and robust on small machines."""
from __future__ import annotations

import os
from typing import Optional

QUIET_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_DEDUP_LOGS": "1",
    "TUNE_DISABLE_STRICT_METRIC_CHECKING": "1",
    "RAY_TRAIN_ENABLE_V2_MIGRATION_WARNINGS": "0",
    "RAY_CHDIR_TO_TRIAL_DIR": "0",
    "TUNE_WARN_INSUFFICENT_RESOURCE_THRESHOLD_S": "60",
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
    # Ray starts its workers at niceness 15, below its own driver, GCS and raylet: on a small machine
    # the trials then wait for Ray's bookkeeping (benchmarks/bench_ray_overhead.py)
    "RAY_worker_niceness": "0",
}


def init_ray(address: Optional[str] = None, *, num_cpus: Optional[int] = None) -> None:
    """A local Ray for this run when ``address`` is None; ``auto`` or ``ray://host:port`` joins one."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    import ray

    if ray.is_initialized():
        return
    if address is None:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                 configure_logging=True, logging_level="warning")
    else:
        ray.init(address=address, log_to_driver=False, logging_level="warning")
