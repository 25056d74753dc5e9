"""Small datasets written in torchvision's on-disk formats, and a random-weight Inception file."""
from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
import torch


def _write_idx(path: Path, array: np.ndarray) -> None:
    """MNIST's idx format: magic (0, 0, 0x08 = uint8, ndim), big-endian int32 sizes, raw bytes."""
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, array.ndim]))
        f.write(struct.pack(">" + "i" * array.ndim, *array.shape))
        f.write(array.astype(np.uint8).tobytes())


def write_mnist(root: Path, n_train: int = 40, n_test: int = 20, seed: int = 0) -> Path:
    """``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``; image i has label i % 10."""
    rng = np.random.default_rng(seed)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):  # a bright bar whose row says the class: learnable
            images[i, 2 + 2 * label: 4 + 2 * label, 4:24] = 255
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def write_cifar10(root: Path, per_batch: int = 4, seed: int = 0) -> tuple[Path, np.ndarray]:
    """``root/cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}`` (python pickles).

    Rows are 3072 bytes: the red plane, then green, then blue, each 32x32 row-major. Returns the
    root and the first training image as (3, 32, 32)."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    first = None
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [int(x) for x in rng.integers(0, 10, size=per_batch)]
        if first is None:
            first = data[0].reshape(3, 32, 32).copy()
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels, "batch_label": name}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)], "num_vis": 3072}, f)
    return root, first


def write_folder(root: Path, classes: int = 2, per_class: int = 6, size: tuple[int, int] = (40, 30)) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in range(classes):
        sub = root / f"class{c}"
        sub.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(sub / f"{i}.png")
    return root


def write_random_inception(path: Path) -> Path:
    """torch-fidelity's Inception-v3 architecture with random weights, saved as a weights file."""
    from torch_fidelity import feature_extractor_inceptionv3 as fi

    class Unloaded(fi.FeatureExtractorInceptionV3):
        def load_state_dict(self, *args, **kwargs):  # the constructor's load: keep the random init
            return None

    original = fi.load_state_dict_from_url
    fi.load_state_dict_from_url = lambda *a, **k: {}  # never the network
    try:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            net = Unloaded("inception-v3-compat", ["2048"])
    finally:
        fi.load_state_dict_from_url = original
    torch.save(net.state_dict(), path)
    return path
