"""Trial checkpoints: models, method state, counters and every random-number state.

Restoring one and training on gives bit-identical results to never stopping (tested on CPU).
Files are written to a temporary name and renamed, so a crash never leaves half a checkpoint.

A checkpoint is read back with ``torch.load(weights_only=True)``: a study folder on shared storage
is writable by whoever holds its credentials, and loading it must never run code. So everything in a
checkpoint is tensors, numbers, strings, ``None`` and lists/tuples/dicts of them: NumPy's and
Python's RNG states are stored as integer tensors, NumPy scalars as Python numbers, and a save that
meets anything else fails at once (not later, at resume).
"""
from __future__ import annotations

import os
import pickle
import random
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch

FILENAME = "state.pt"
_LEAVES = (type(None), bool, int, float, str, torch.Tensor, torch.dtype, torch.Size)


class UnsafeCheckpoint(Exception):
    """A checkpoint file holds something the weights-only loader refuses (a pickled object)."""


def rng_state() -> dict[str, Any]:
    algorithm, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"algorithm": str(algorithm), "keys": torch.from_numpy(keys.astype(np.int64)),
                  "pos": int(pos), "has_gauss": int(has_gauss), "cached_gaussian": float(cached_gaussian)},
        "python": {"version": int(version), "state": torch.tensor(internal, dtype=torch.int64),
                   "gauss_next": gauss_next},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n["algorithm"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    p = state["python"]
    random.setstate((p["version"], tuple(int(v) for v in p["state"].tolist()), p["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def plain(obj: Any, where: str = "state") -> Any:
    """``obj`` with NumPy scalars and arrays made Python numbers and tensors; a ``TypeError`` names
    anything else the weights-only loader would refuse. Unchanged containers are returned as they
    are (a module's ``state_dict`` keeps its ``_metadata``)."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    if isinstance(obj, _LEAVES):
        return obj
    if type(obj) in (dict, OrderedDict):
        items = {k: plain(v, f"{where}[{k!r}]") for k, v in obj.items()}
        if all(items[k] is obj[k] for k in obj) and all(isinstance(k, _LEAVES) for k in obj):
            return obj
        return type(obj)((plain(k, f"{where} key"), v) for k, v in items.items())
    if type(obj) in (list, tuple):
        items = [plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        return obj if all(a is b for a, b in zip(items, obj)) else type(obj)(items)
    raise TypeError(f"{where}: a {type(obj).__module__}.{type(obj).__qualname__} cannot go into a "
                    f"checkpoint (only tensors, numbers, strings, None, lists, tuples, dicts)")


def save(directory: str | os.PathLike, state: dict[str, Any]) -> Path:
    path = Path(directory) / FILENAME
    tmp = path.with_suffix(".tmp")
    torch.save(plain({**state, "rng": rng_state()}), tmp)
    os.replace(tmp, path)
    return path


def load(directory: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint's state, read without running any code it may carry."""
    path = Path(directory) / FILENAME
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"WeightsUnpickler error: (.+?)(?: was not an allowed global| Please use|$)",
                          str(e), re.MULTILINE)
        detail = found.group(1).strip().rstrip(".") if found else type(e).__name__
        raise UnsafeCheckpoint(
            f"{path}: refused: the checkpoint holds a pickled object, not only tensors and numbers, and "
            f"ganstudy never runs code read from a study folder ({detail}). Someone with write access to "
            f"the study's storage may have changed it, or an older ganstudy wrote it; delete that "
            f"checkpoint folder to restart the trial from scratch.") from None
