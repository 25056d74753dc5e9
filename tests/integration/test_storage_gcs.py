"""A study in a GCS bucket, against a real GCS emulator (gcp-storage-emulator) started here on
127.0.0.1 and named by STORAGE_EMULATOR_HOST, as Google's client libraries expect: run, extend and
report from ``gs://``; a missing bucket and an emulator that does not answer are exit 2 with one line.
The kill/resume path is the same code as for S3 and is exercised there (tests/integration/test_storage_s3.py).
"""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from study.cli import main
from study.storage import location
from tests.same_report import assert_same_report
from tests.servers import free_port, serve

pytest.importorskip("gcp_storage_emulator")
BUCKET = "studies"
SPEC = """
name: gcs
trial: {dataset: ring8, width: 16, depth: 1, batch_size: 32, iterations: 40, eval_every: 20, eval_samples: 200}
grid: {optimizer: [adam], lr: [1.0e-3], seed: SEEDS}
resources: {cpu: 1, gpu: 0}
"""


@pytest.fixture(scope="module")
def gcs(ray_local):
    """One emulator with a bucket; this process and its children reach it through the environment. The
    runs here use the module's local Ray (shut down after the module, as the other modules expect)."""
    port = free_port()
    emulator = shutil.which("gcp-storage-emulator", path=str(Path(sys.executable).parent))
    proc = serve([emulator, "start", "--host=127.0.0.1", f"--port={port}", "--in-memory",
                  f"--default-bucket={BUCKET}"], port)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
        yield port
    proc.kill()
    proc.wait()


def _spec(tmp_path: Path, seeds: str) -> Path:
    path = tmp_path / f"gcs-{len(seeds)}.yaml"
    path.write_text(SPEC.replace("SEEDS", seeds))
    return path


def _files(prefix: str) -> list[str]:
    from pyarrow.fs import FileSelector, FileType

    where = location(f"gs://{BUCKET}/{prefix}")
    infos = where.fs.get_file_info(FileSelector(where.path, recursive=True, allow_not_found=True))
    return sorted(i.path[len(where.path) + 1:] for i in infos if i.type == FileType.File)


def test_run_extend_and_report_all_in_a_gcs_bucket(gcs, tmp_path):
    study = f"gs://{BUCKET}/team/gcs"
    assert main(["run", str(_spec(tmp_path, "[0]")), "--storage", f"gs://{BUCKET}/team"]) == 0
    assert main(["extend", study, str(_spec(tmp_path, "[0, 1]"))]) == 0
    files = _files("team/gcs")
    assert "ganstudy.json" in files and "progress.log" in files
    assert sum(f.endswith("/result.json") for f in files) == 2
    assert any(f.startswith("grid/") and "/checkpoint_" in f for f in files)  # Tune's workers wrote there too

    out = tmp_path / "report"
    assert main(["report", study, "--out", str(out)]) == 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 2 and (trials["status"] == "ok").all() and (trials["iterations_done"] == 40).all()

    # the same study copied whole (checkpoints included) to this disk reports exactly the same, samples too
    from pyarrow.fs import LocalFileSystem, copy_files

    where = location(study)
    copy_files(where.path, str(tmp_path / "whole" / "gcs"), source_filesystem=where.fs,
               destination_filesystem=LocalFileSystem(), use_threads=True)
    assert main(["report", str(tmp_path / "whole" / "gcs"), "--out", str(tmp_path / "local-report")]) == 0
    assert_same_report(out, tmp_path / "local-report")


def test_a_missing_gcs_bucket_is_exit_2_naming_the_uri(gcs, tmp_path, capsys):
    assert main(["run", str(_spec(tmp_path, "[0]")), "--storage", "gs://no-such-bucket/x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: gs://no-such-bucket/x: bucket 'no-such-bucket' does not exist")


def test_an_emulator_that_does_not_answer_is_exit_2_within_30_s(gcs, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{free_port()}")
    start = time.monotonic()
    assert main(["run", str(_spec(tmp_path, "[0]")), "--storage", f"gs://{BUCKET}/x"]) == 2
    assert time.monotonic() - start < 30
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not answer" in err[0] and "STORAGE_EMULATOR_HOST" in err[0], err
