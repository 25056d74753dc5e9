"""A study in an S3 bucket, end to end, against a real S3-compatible server (moto in server mode)
started here on 127.0.0.1: run, kill the driver, resume, extend, report, all from the bucket. Bad
storage (missing bucket, wrong credentials, an endpoint that does not answer) is exit 2 with one line
naming the URI, before anything starts. Nothing here touches the internet: every S3 call goes to
AWS_ENDPOINT_URL, and the instance-metadata lookup for credentials is off.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from study.cli import main
from study.storage import location, report_reads
from tests.running import ganstudy_process, kill_when
from tests.same_report import assert_same_report
from tests.servers import free_port, serve
from tests.synthetic import grid, write_experiment

pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")
BUCKET = "studies"
SPEC = """
name: bucket
trial: {dataset: ring8, width: 32, depth: 2, batch_size: 64, iterations: 200, eval_every: 25, eval_samples: 300}
grid: {optimizer: [adam], lr: [1.0e-4, 1.0e-3], seed: SEEDS}
resources: {cpu: 1, gpu: 0}
"""
LAST = "checkpoint_000007"  # 200 / 25 reports, each with a checkpoint


def _moto(**env: str) -> tuple[subprocess.Popen, str]:
    """A moto S3 server on 127.0.0.1; (process, endpoint URL)."""
    port = free_port()
    return serve([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, **env), \
        f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def s3():
    """One server with a bucket; the test process and its children use it through the environment."""
    proc, endpoint = _moto()
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv("AWS_PROFILE", raising=False)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    proc.kill()
    proc.wait()


def _keys(prefix: str = "") -> list[str]:
    s3 = boto3.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def _text(key: str) -> str:
    return boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()


def _spec(tmp_path: Path, seeds: str) -> Path:
    path = tmp_path / f"bucket-{len(seeds)}.yaml"
    path.write_text(SPEC.replace("SEEDS", seeds))
    return path


@pytest.mark.slow
def test_run_kill_resume_extend_report_all_in_the_bucket(s3, tmp_path):
    uri = f"s3://{BUCKET}/team/results"
    study, prefix = f"{uri}/bucket", "team/results/bucket/"
    driver = ganstudy_process("run", str(_spec(tmp_path, "[0, 1]")), "--storage", uri)

    def one_finished_one_partway() -> bool:
        trials: dict[str, set[str]] = {}
        for key in _keys(prefix + "grid/"):
            parts = key.split("/")
            if len(parts) > 5 and parts[-2].startswith("checkpoint_"):
                trials.setdefault(parts[-3], set()).add(parts[-2])
        return any(LAST in c for c in trials.values()) and any(LAST not in c for c in trials.values())

    # generous: a shared 2-core machine can starve a niced test
    kill_when(driver, one_finished_one_partway, timeout_s=1200, poll_s=0.5)
    assert _text(prefix + "ganstudy.json")  # written before any trial started

    resumed = ganstudy_process("resume", study)
    assert resumed.wait(timeout=900) == 0, resumed.stderr.read()
    extended = ganstudy_process("extend", study, str(_spec(tmp_path, "[0, 1, 2]")))
    assert extended.wait(timeout=900) == 0, extended.stderr.read()

    # every trial ran once: its reports go up in iteration, none repeated, and end at the last one
    results = [k for k in _keys(prefix) if k.endswith("/result.json")]
    assert len(results) == 6
    for key in results:
        iterations = [json.loads(line)["iteration"] for line in _text(key).splitlines() if line.strip()]
        assert iterations == sorted(set(iterations)) and iterations[-1] == 200, (key, iterations)
    assert any(k.startswith(prefix + "extend-1/") for k in results)
    assert "grid:" in _text(prefix + "progress.log") and "extend-1:" in _text(prefix + "progress.log")

    out = tmp_path / "report"
    assert main(["report", study, "--out", str(out)]) == 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 6 and trials["key"].is_unique
    assert (trials["status"] == "ok").all() and (trials["iterations_done"] == 200).all()
    assert main(["report", study]) == 0  # no --out: next to the study, in the bucket
    assert "report.md" in {k.rsplit("/", 1)[-1] for k in _keys(prefix + "report/")}


def test_a_missing_bucket_is_exit_2_naming_the_uri_and_writes_nothing(s3, tmp_path, capsys):
    before = _keys()
    for argv in (["run", str(_spec(tmp_path, "[0]")), "--storage", "s3://no-such-bucket/x"],
                 ["resume", "s3://no-such-bucket/x/bucket"], ["report", "s3://no-such-bucket/x/bucket"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: s3://no-such-bucket/x"), err
        assert "bucket 'no-such-bucket' does not exist" in err[0]
    assert _keys() == before


def test_a_study_uri_without_a_study_is_exit_2(s3, capsys):
    assert main(["resume", f"s3://{BUCKET}/nothing/here"]) == 2
    assert "not a study folder (no ganstudy.json)" in capsys.readouterr().err


def test_wrong_credentials_are_exit_2_naming_the_uri(s3, tmp_path, capsys, monkeypatch):
    # a second server that checks credentials: its one unauthenticated call makes the bucket
    proc, endpoint = _moto(INITIAL_NO_AUTH_ACTION_COUNT="1")
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="locked")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        assert main(["run", str(_spec(tmp_path, "[0]")), "--storage", "s3://locked/x"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: s3://locked/x: access denied; check the credentials")
    finally:
        proc.kill()
        proc.wait()


def test_an_endpoint_that_does_not_answer_is_exit_2_within_30_s(s3, tmp_path, capsys, monkeypatch):
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    start = time.monotonic()
    assert main(["run", str(_spec(tmp_path, "[0]")), "--storage", f"s3://{BUCKET}/x"]) == 2
    assert time.monotonic() - start < 30
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: s3://{BUCKET}/x") and endpoint in err[0], err
    assert "does not answer" in err[0]


def test_a_report_from_the_bucket_is_the_report_of_a_local_copy(s3, tmp_path):
    """The bucket copy brings the final samples out of the checkpoint folders, and nothing else of them."""
    local = write_experiment(tmp_path / "synthetic", grid(["adam"], [1e-4, 1e-3], [0, 1]),
                             lambda c: ("ok", 0.1 / c["lr"] ** 0.1), {"adam": 1e-4}, contract=True, samples="points")
    (local / "grid" / "trial_00000" / "checkpoint_000002").mkdir(parents=True)
    (local / "grid" / "trial_00000" / "checkpoint_000002" / "model.pt").write_bytes(b"weights")
    location(f"s3://{BUCKET}/copies").upload(local, "synthetic")

    assert main(["report", f"s3://{BUCKET}/copies/synthetic", "--out", str(tmp_path / "from-bucket")]) == 0
    assert main(["report", str(local), "--out", str(tmp_path / "from-disk")]) == 0
    assert_same_report(tmp_path / "from-bucket", tmp_path / "from-disk")


def test_the_copy_keeps_samples_and_leaves_checkpoints_behind():
    assert report_reads("grid/trial_0/result.json") and report_reads("ganstudy.json")
    assert report_reads("grid/trial_0/checkpoint_000003/samples.npz")
    assert report_reads("extend-1/trial_2/checkpoint_000001/samples.png")
    assert not report_reads("grid/trial_0/checkpoint_000003/state.pt")
    from trainables.metrics.evaluate import SAMPLE_WRITERS  # every samples file the trials write is copied

    assert all(report_reads(f"grid/t/checkpoint_000001/{w.filename}") for w in SAMPLE_WRITERS.values())
