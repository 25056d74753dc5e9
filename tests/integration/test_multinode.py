"""A study on a simulated multi-node Ray cluster: trials spread over nodes, and a node that dies
while its trial runs costs nothing but a retry from the trial's last checkpoint. The same for two
populations of two: a population retried elsewhere ends bit-identical to an uninterrupted one."""
import json
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from study.cli import main
from study.runner import run
from study.spec import parse_spec
from tests.running import uninterrupted_population_scores

SPEC = {
    "name": "multinode",
    "trial": {"dataset": "ring8", "width": 32, "depth": 2, "batch_size": 64, "iterations": 400,
              "eval_every": 40, "eval_samples": 300},
    "grid": {"optimizer": ["adam"], "lr": [1e-4, 1e-3], "seed": [0, 1]},
    "resources": {"cpu": 1, "gpu": 0},
    "max_failures": 3,
}


@pytest.fixture(scope="module")
def cluster():
    import ray
    from ray.cluster_utils import Cluster

    c = Cluster(initialize_head=True, connect=True, head_node_args={
        "num_cpus": 0, "object_store_memory": 80 * 1024**2,
        "_system_config": {"health_check_initial_delay_ms": 0, "health_check_period_ms": 1000,
                           "health_check_failure_threshold": 5}})
    workers = [c.add_node(num_cpus=1, object_store_memory=80 * 1024**2) for _ in range(2)]
    c.wait_for_nodes()
    yield c, workers
    ray.shutdown()
    c.shutdown()


def _results(study: Path) -> dict[str, list[dict]]:
    """Each trial's reports: its result.json, or a population member's (``member_<i>/``)."""
    return {p.parent.relative_to(study).as_posix(): [json.loads(line) for line in p.read_text().splitlines()
                                                    if line.strip()]
            for pattern in ("grid/trial_*/result.json", "grid/trial_*/member_*/result.json")
            for p in study.glob(pattern) if not (p.parent / "member_0").is_dir()}


@pytest.mark.parametrize("members", [1, 2], ids=["alone", "populations"])
def test_node_failure_is_retried_from_checkpoint_and_nothing_is_lost(cluster, tmp_path, members):
    c, workers = cluster
    study = tmp_path / "results" / "multinode"
    spec = parse_spec({**SPEC, "population": {"max_members": members}})
    thread = threading.Thread(target=run, args=(spec,), kwargs={"storage": tmp_path / "results", "address": c.address})
    thread.start()
    deadline = time.time() + 180
    while time.time() < deadline:  # wait for a trial to checkpoint part-way: its node is doomed
        partway = [r[-1]["node_id"] for r in _results(study).values() if r and 40 <= r[-1]["iteration"] < 400]
        if partway:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("no trial checkpointed part-way")
    doomed = next(w for w in workers if w.node_id == partway[0])
    c.remove_node(doomed, allow_graceful=False)  # a crash, not a shutdown
    workers.remove(doomed)
    workers.append(c.add_node(num_cpus=1, object_store_memory=80 * 1024**2))  # the autoscaler's replacement
    thread.join(timeout=300)
    assert not thread.is_alive()

    results = _results(study)
    nodes = {r["node_id"] for rows in results.values() for r in rows}
    assert len(nodes) >= 2, "the study spread over several nodes"
    retried = [rows for rows in results.values() if any(r["node_id"] == doomed.node_id for r in rows)
               and rows[-1]["node_id"] != doomed.node_id]
    assert retried, "the interrupted trial finished elsewhere"
    for rows in retried:
        its = [r["iteration"] for r in rows]
        assert rows[-1]["iteration"] == 400
        first_elsewhere = next(i for i, r in enumerate(rows) if r["node_id"] != doomed.node_id)
        assert its[first_elsewhere] > 40, "it continued from its checkpoint instead of restarting"

    assert main(["report", str(study)]) == 0
    trials = pd.read_csv(study / "report" / "trials.csv", float_precision="round_trip")
    assert len(trials) == 4 and (trials["status"] == "ok").all() and (trials["iterations_done"] == 400).all()
    if members > 1:
        whole = uninterrupted_population_scores(study)
        assert len(whole) == 4
        for key, score, calls in zip(trials["key"], trials["final_score"], trials["grad_calls"]):
            assert (score, calls) == whole[key]
