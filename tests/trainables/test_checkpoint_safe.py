"""Checkpoints load with ``torch.load(weights_only=True)``: a study folder on shared storage can be
written by others, and resuming must never run code read from it."""
import random

import numpy as np
import pytest
import torch

from trainables import (
    checkpoint,
    components,  # noqa: F401  (fills the registries)
)
from trainables.config import TrialConfig
from trainables.loop import Trial
from trainables.registry import OPTIMIZERS


class _Payload:
    """What an attacker would put in a checkpoint: unpickling it runs code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_rng_states_round_trip_through_the_safe_loader(tmp_path):
    torch.manual_seed(3), np.random.seed(3), random.seed(3)
    np.random.standard_normal()  # leaves a cached Gaussian in NumPy's state
    random.gauss(0, 1)  # and in Python's
    checkpoint.save(tmp_path, {"step": 1})
    expected = (torch.rand(3), np.random.standard_normal(3), [random.random(), random.gauss(0, 1)])
    torch.manual_seed(0), np.random.seed(0), random.seed(0)
    checkpoint.set_rng_state(checkpoint.load(tmp_path)["rng"])
    again = (torch.rand(3), np.random.standard_normal(3), [random.random(), random.gauss(0, 1)])
    assert torch.equal(expected[0], again[0])
    assert np.array_equal(expected[1], again[1]) and expected[2] == again[2]


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_methods_checkpoint_loads_weights_only(tiny, optimizer, tmp_path):
    trial = Trial(TrialConfig(**{**tiny, "optimizer": optimizer, "iterations": 4, "eval_every": 2}))
    for _ in range(2):
        trial.step()
    record = trial.record()
    checkpoint.save(tmp_path, {**trial.state(), "last_record": record})
    raw = torch.load(tmp_path / checkpoint.FILENAME, map_location="cpu", weights_only=True)
    assert raw["progress"]["iteration"] == 2
    assert raw["last_record"]["score"] == pytest.approx(record["score"])
    assert type(raw["last_record"]["score"]) is float  # NumPy scalars were made Python numbers


def test_a_checkpoint_carrying_a_pickled_object_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "code-ran"
    torch.save({"G": {}, "evil": _Payload(marker)}, tmp_path / checkpoint.FILENAME)
    with pytest.raises(checkpoint.UnsafeCheckpoint) as info:
        checkpoint.load(tmp_path)
    message = str(info.value)
    assert str(tmp_path / checkpoint.FILENAME) in message and "refused" in message
    assert "pickled object" in message and "open" in message  # names what it refused
    assert not marker.exists(), "loading the checkpoint ran the code it carried"


def test_a_checkpoint_from_the_old_format_is_refused(tmp_path):
    # the old format stored the NumPy RNG state as a pickled tuple holding an ndarray
    torch.save({"rng": {"numpy": np.random.get_state()}}, tmp_path / checkpoint.FILENAME)
    with pytest.raises(checkpoint.UnsafeCheckpoint, match="numpy"):
        checkpoint.load(tmp_path)


def test_saving_something_the_safe_loader_would_refuse_fails_at_once(tmp_path):
    with pytest.raises(TypeError, match=r"state\['method'\]\['x'\].*_Payload"):
        checkpoint.save(tmp_path, {"method": {"x": _Payload(tmp_path / "m")}})
    assert not (tmp_path / checkpoint.FILENAME).exists()


def test_plain_keeps_unchanged_containers_and_converts_numpy():
    sd = torch.nn.Linear(2, 2).state_dict()
    assert checkpoint.plain(sd) is sd and hasattr(checkpoint.plain(sd), "_metadata")
    out = checkpoint.plain({"a": np.float64(1.5), "b": [np.int64(2)], "c": np.zeros(2)})
    assert out["a"] == 1.5 and type(out["a"]) is float and type(out["b"][0]) is int
    assert isinstance(out["c"], torch.Tensor)
