"""Image datasets: digits (embedded), MNIST/CIFAR-10 from torchvision-format files, a folder; missing data."""
from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from tests.image_files import write_cifar10, write_folder, write_mnist
from trainables import preflight
from trainables.config import TrialConfig
from trainables.datasets import images as data_images
from trainables.datasets.images import DataNotFoundError, load
from trainables.registry import DATASETS


def test_digits_is_upscaled_split_and_sampled_from_the_global_rng():
    data = load("digits")
    assert data.kind == "images" and data.shape == (1, 16, 16)
    assert (len(data.train), len(data.test)) == (1438, 359)
    assert data.train.dtype == torch.uint8 and data.labelled
    torch.manual_seed(0)
    a = data.sample(64)
    torch.manual_seed(0)
    b = data.sample(64)
    assert torch.equal(a, b) and a.shape == (64, 1, 16, 16)
    assert a.min() >= -1 and a.max() <= 1 and a.min() == -1  # background is black
    g = data.sample(8, generator=torch.Generator().manual_seed(1))
    assert torch.equal(g, data.sample(8, generator=torch.Generator().manual_seed(1)))
    assert load("digits", resolution=32).shape == (1, 32, 32)


def test_mnist_loads_torchvision_idx_files(tmp_path):
    root = write_mnist(tmp_path, n_train=30, n_test=10)
    data = DATASETS.get("mnist").build(**TrialConfig(dataset="mnist", arch="dcgan", data_root=str(root)).model_dump())
    assert data.shape == (1, 32, 32)  # 28 -> 32
    assert (len(data.train), len(data.test)) == (30, 10)
    assert data.train_labels.tolist()[:12] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    native = load("mnist", str(root), 16)
    assert native.shape == (1, 16, 16)


def test_cifar10_loads_torchvision_pickles_in_channel_first_order(tmp_path):
    root, first = write_cifar10(tmp_path, per_batch=3)
    data = load("cifar10", str(root))
    assert data.shape == (3, 32, 32)
    assert (len(data.train), len(data.test)) == (15, 3)
    assert torch.equal(data.train[0], torch.from_numpy(first))  # R, G, B planes kept apart


def test_folder_takes_class_subfolders_as_labels(tmp_path):
    root = write_folder(tmp_path / "imgs", classes=2, per_class=5)
    data = load("folder", str(root))
    assert data.shape == (3, 32, 32) and len(data.train) + len(data.test) == 10
    assert data.labelled and set(data.train_labels.tolist()) <= {0, 1}
    flat = tmp_path / "flat"
    flat.mkdir()
    for p in sorted(root.rglob("*.png"))[:3]:
        (flat / f"{p.parent.name}-{p.name}").write_bytes(p.read_bytes())
    assert not load("folder", str(flat), 8).labelled


@pytest.mark.parametrize("name, path_part", [("mnist", "MNIST/raw"), ("cifar10", "cifar-10-batches-py"),
                                             ("folder", "")])
def test_missing_data_is_one_line_naming_the_path_and_the_fix(tmp_path, name, path_part):
    empty = tmp_path / "nothing-here"
    with pytest.raises(FileNotFoundError) as info:
        load(name, str(empty))
    message = str(info.value)
    assert isinstance(info.value, DataNotFoundError) and "\n" not in message
    assert str(empty / path_part).rstrip("/") in message and "data_root" in message
    # the cheap pre-launch check says the same, before anything trains
    cfg = dict(dataset=name, arch="dcgan", data_root=str(empty))
    with pytest.raises(FileNotFoundError, match="data_root"):
        preflight.check_inputs(cfg)


def test_missing_data_with_download_allowed_passes_preflight(tmp_path):
    preflight.check_inputs(dict(dataset="mnist", arch="dcgan", data_root=str(tmp_path), data_download=True))


def test_data_root_defaults_to_env_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv(data_images.DATA_ENV, str(tmp_path))
    assert data_images.data_root(None) == tmp_path.resolve()
    monkeypatch.delenv(data_images.DATA_ENV)
    assert str(data_images.data_root(None)).endswith(".cache/ganstudy/data")


@pytest.mark.parametrize("values, message", [
    (dict(dataset="digits", arch="mlp"), "arch and dataset: 'mlp' models points but 'digits' holds images"),
    (dict(dataset="digits", arch="dcgan", resolution=24), "resolution: 'dcgan' builds 4*2^k pixels"),
    (dict(dataset="digits", arch="dcgan", eval_samples=5), "eval_samples: IS/FID/KID need at least 10"),
    (dict(dataset="digits", arch="dcgan", eval_extractor="vgg"), "eval_extractor"),
])
def test_incompatible_image_configs_are_rejected(values, message):
    with pytest.raises(ValidationError, match=message.replace("*", r"\*").replace("^", r"\^")):
        TrialConfig(**values)
