"""Running a small study from a spec text, as a user would, in this process or as a driver to kill."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from study.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_spec(root, name: str, text: str):
    """Write a spec named ``name`` under ``root`` and run it with ``ganstudy run``; (spec, study folder)."""
    spec = root / f"{name}.yaml"
    spec.write_text(text)
    assert main(["run", str(spec), "--storage", str(root / "results")]) == 0
    return spec, root / "results" / name


def ganstudy_process(*args: str, **kwargs) -> subprocess.Popen:
    """``ganstudy ARGS`` as a separate driver in its own session (so its process group can be killed)."""
    return subprocess.Popen([sys.executable, "-m", "study.cli", *args], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kwargs)


def kill_when(driver: subprocess.Popen, ready: Callable[[], bool], *, timeout_s: float, poll_s: float) -> None:
    """SIGKILL the driver and the local Ray it started as soon as ``ready()``; the driver must stay
    alive until then, and ``ready()`` must come within ``timeout_s``."""
    deadline = time.time() + timeout_s
    while not ready():
        assert driver.poll() is None, driver.stderr.read()
        assert time.time() < deadline, "the study did not get going in time"
        time.sleep(poll_s)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()


def uninterrupted_population_scores(study: Path) -> dict[str, tuple[float, int]]:
    """Member key -> (final score, gradient calls) of every population of the study's ``grid``
    experiment, trained again here in one go from its members' configs (one thread, as its trial)."""
    import json

    import torch

    from analysis.keys import config_key
    from trainables.population.loop import train_population

    out = {}
    torch.set_num_threads(1)
    for population in sorted((study / "grid").glob("trial_*")):
        configs = [json.loads(p.read_text()) for p in sorted(population.glob("member_*/params.json"),
                                                              key=lambda p: int(p.parent.name.split("_")[1]))]
        if len(configs) > 1:
            final = train_population(configs)
            out.update({config_key(c): (final[k]["score"], final[k]["grad_calls"]) for k, c in enumerate(configs)})
    return out
