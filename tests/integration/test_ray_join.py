"""Joining a Ray cluster as a new user would, against a real `ray start --head` with token
authentication on: the right token joins through an explicit HOST:PORT; a wrong or missing token, or
nothing listening, exits 2 within 30 s with one line and writes nothing; and without --address a run
starts its own Ray even when a killed head left its ``ray_current_cluster`` file behind.

Every Ray here lives in its own temporary folder (RAY_TMPDIR) and HOME, so no other Ray on the
machine is touched; heads are stopped by killing their own process group (never `ray stop`, which
stops every Ray of the user).
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from analysis.ingest import collect
from study.ray_setup import QUIET_ENV
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
RAY = str(Path(sys.executable).with_name("ray"))
SPEC = """
name: join
trial: {dataset: ring8, width: 16, depth: 1, batch_size: 32, iterations: 20, eval_every: 10, eval_samples: 200}
grid: {seed: [0, 1]}
resources: {cpu: 1, gpu: 0}
"""


def _env(home: Path, tmpdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_ADDRESS")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(QUIET_ENV, HOME=str(home), RAY_TMPDIR=str(tmpdir), PYTHONPATH=str(ROOT), **extra)
    return env


class Head:
    """`ray start --head` in its own session: its daemons share the process group we kill."""

    def __init__(self, root: Path, **extra: str):
        self.port, self.tmpdir = free_port(), root / "head"
        self.env = _env(root / "head-home", self.tmpdir, **extra)
        self.proc = subprocess.Popen(
            [RAY, "start", "--head", f"--port={self.port}", "--num-cpus=2", "--include-dashboard=false",
             "--object-store-memory=100000000", "--disable-usage-stats"],
            env=self.env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out, _ = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, out

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def root():
    path = Path(tempfile.mkdtemp(prefix="gsj", dir="/tmp"))  # short: Ray's socket paths are limited
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def head(root):
    token = secrets.token_hex(16)
    h = Head(root, RAY_AUTH_TOKEN=token)  # a token in the environment: token authentication on
    h.token = token
    yield h
    h.kill()


def _ganstudy(root: Path, env: dict[str, str], *args: str, timeout: float = 300):
    spec = root / "join.yaml"
    spec.write_text(SPEC)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "study.cli", "run", str(spec), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return done, time.monotonic() - start


def test_the_token_in_the_environment_joins_through_an_explicit_address(head, root):
    driver_tmp = root / "driver-ok"
    env = _env(root / "driver-home", driver_tmp, RAY_AUTH_TOKEN=head.token)
    done, _ = _ganstudy(root, env, "--address", f"127.0.0.1:{head.port}", "--storage", str(root / "ok"))
    assert done.returncode == 0, done.stderr
    assert (collect.load(root / "ok" / "join").trials["status"] == "ok").sum() == 2
    assert not list(driver_tmp.glob("ray/session_*")), "the driver started its own Ray instead of joining"


@pytest.mark.parametrize("case", ["wrong token", "no token", "nothing listening", "ray client"])
def test_a_driver_that_cannot_join_exits_2_fast_with_one_line(head, root, case):
    home, storage = root / f"home-{case[:2]}", root / f"out-{case[:2]}"
    token = {"wrong token": {"RAY_AUTH_TOKEN": secrets.token_hex(16)}}.get(case, {})
    address = f"127.0.0.1:{free_port() if case == 'nothing listening' else head.port}"
    address = f"ray://{address}" if case == "ray client" else address
    done, seconds = _ganstudy(root, _env(home, root / "t-bad", **token), "--address", address,
                              "--storage", str(storage), timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --address {address}: "), done.stderr
    assert "Traceback" not in done.stderr
    expected = {"wrong token": "refused this machine's Ray token (from RAY_AUTH_TOKEN)",
                "no token": "requires Ray's authentication token and this machine has none",
                "nothing listening": "nothing listens at",
                "ray client": "Ray Client (ray://) is not supported"}[case]
    assert expected in lines[0]
    assert seconds < 30, f"took {seconds:.1f} s"
    assert not storage.exists(), "nothing may be written"


def test_a_killed_heads_leftover_file_does_not_stop_a_local_run(head, root):
    # last in this module: it kills the module's head (killed without `ray stop`, so Ray's
    # ray_current_cluster file still names it), then starts the local Ray of a run without --address
    head.kill()
    time.sleep(1)
    assert (head.tmpdir / "ray" / "ray_current_cluster").is_file()
    code = ("from study.ray_setup import init_ray; import ray; init_ray(None, num_cpus=1); "
            "print('cpus', ray.cluster_resources()['CPU'])")  # what `ganstudy run` and the benchmarks call
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(root / "stale-home", head.tmpdir),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "cpus 1.0" in done.stdout
