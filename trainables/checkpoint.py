"""Trial checkpoints: models, method state, counters and every random-number state.

Restoring one and training on gives bit-identical results to never stopping (tested on CPU).
Files are written to a temporary name and renamed, so a crash never leaves half a checkpoint.
"""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

FILENAME = "state.pt"


def rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save(directory: str | os.PathLike, state: dict[str, Any]) -> Path:
    path = Path(directory) / FILENAME
    tmp = path.with_suffix(".tmp")
    torch.save({**state, "rng": rng_state()}, tmp)
    os.replace(tmp, path)
    return path


def load(directory: str | os.PathLike) -> dict[str, Any]:
    # our own file: it holds numpy and python RNG states, which weights_only loading refuses
    return torch.load(Path(directory) / FILENAME, map_location="cpu", weights_only=False)
