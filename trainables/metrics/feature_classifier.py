"""A small CNN trained on a dataset's training split, registered with torch-fidelity as a feature
extractor, so offline runs compute IS/FID/KID through the same code path as Inception.

This is the classifier-based protocol of e.g. the MNIST IS/FID in the GAN literature (a LeNet-like
net in place of Inception; Salimans et al. arXiv:1606.03498 for IS, Heusel et al. arXiv:1706.08500
for FID). ``feat`` (the 128-d penultimate ReLU layer) feeds FID/KID, ``logits`` feed IS. Numbers are
comparable only within one classifier: its file name carries a hash of the training data and the
recipe, and the metric protocol string carries the hash of its weights.

Training is deterministic (own seed, own generator) and never touches the global RNG, so it can
run lazily inside a trial's first evaluation; a file lock makes concurrent trials train it once.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
import torch_fidelity
from torch import nn
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

from trainables.datasets.images import ImageDataset, to_float

FE_NAME = "ganstudy-classifier"
FEATURES = ("feat", "logits")

# the recipe is part of the cache key: change anything here and a new classifier is trained
RECIPE = {"net": "cnn-32-64-fc128", "optimizer": "adam", "lr": 1e-3, "batch_size": 128,
          "samples_seen": 30000, "min_epochs": 3, "max_epochs": 30, "seed": 0, "version": 1}


class SmallCNN(nn.Module):
    """conv3(32)-ReLU-pool2, conv3(64)-ReLU-pool2, fc(128)-ReLU = ``feat``, fc(classes) = ``logits``."""

    def __init__(self, channels: int, resolution: int, n_classes: int):
        super().__init__()
        self.config = {"channels": channels, "resolution": resolution, "n_classes": n_classes}
        self.conv = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        self.fc = nn.Sequential(nn.Linear(64 * (resolution // 4) ** 2, 128), nn.ReLU())
        self.out = nn.Linear(128, n_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feat = self.fc(self.conv(x))
        return feat, self.out(feat)


class ClassifierFeatureExtractor(FeatureExtractorBase):
    """torch-fidelity feature extractor around a trained :class:`SmallCNN` (weights file required)."""

    def __init__(self, name, features_list, feature_extractor_weights_path=None, **kwargs):
        super().__init__(name, features_list)
        if feature_extractor_weights_path is None:
            raise ValueError(f"{FE_NAME}: feature_extractor_weights_path is required (a trained classifier)")
        saved = torch.load(feature_extractor_weights_path, map_location="cpu", weights_only=True)
        self.net = SmallCNN(**saved["config"])
        self.net.load_state_dict(saved["state_dict"])
        self.requires_grad_(False)
        self.eval()

    @staticmethod
    def get_provided_features_list():
        return FEATURES

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return "logits" if metric == "isc" else "feat"

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 3, 32, 32, dtype=torch.uint8)

    def forward(self, x: torch.Tensor):
        feat, logits = self.net(x.float() / 127.5 - 1.0)
        out = {"feat": feat.float(), "logits": logits.float()}
        return tuple(out[k] for k in self.features_list)


if FE_NAME not in FEATURE_EXTRACTORS_REGISTRY:  # registering twice raises; the registry is per process
    torch_fidelity.register_feature_extractor(FE_NAME, ClassifierFeatureExtractor)


def recipe_hash() -> str:
    return hashlib.sha256(json.dumps(RECIPE, sort_keys=True).encode()).hexdigest()[:8]


def weights_path(data: ImageDataset, cache_root: Path) -> Path:
    data_id = f"{data.name}-{data.resolution}px-{data.content_hash('train')[:12]}"
    return cache_root / f"classifier-{data_id}-{recipe_hash()}.pt"


def _epochs(n: int) -> int:
    return min(RECIPE["max_epochs"], max(RECIPE["min_epochs"], math.ceil(RECIPE["samples_seen"] / n)))


@torch.no_grad()
def accuracy(net: SmallCNN, images: torch.Tensor, labels: torch.Tensor, device: torch.device) -> float:
    net.eval()
    correct = 0
    for i in range(0, len(images), 1000):
        _, logits = net(to_float(images[i:i + 1000]).to(device))
        correct += int((logits.argmax(1).cpu() == labels[i:i + 1000]).sum())
    return correct / max(len(images), 1)


def train_classifier(data: ImageDataset, device: torch.device) -> tuple[SmallCNN, float]:
    """Train on the training split; return the net (on CPU) and its test-split accuracy."""
    if not data.labelled:
        raise ValueError(f"eval_extractor: 'classifier' needs labelled data and dataset {data.name!r} has no "
                         f"labels (put images in class subfolders) ; use eval_extractor: inception")
    images, labels = data.train, data.train_labels
    n_classes = int(max(labels.max(), data.test_labels.max())) + 1
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(RECIPE["seed"])
        net = SmallCNN(data.shape[0], data.resolution, n_classes).to(device)
        order = torch.Generator().manual_seed(RECIPE["seed"])
        opt = torch.optim.Adam(net.parameters(), lr=RECIPE["lr"])
        bs = RECIPE["batch_size"]
        for _ in range(_epochs(len(images))):
            net.train()
            perm = torch.randperm(len(images), generator=order)
            for i in range(0, len(images), bs):
                idx = perm[i:i + bs]
                _, logits = net(to_float(images[idx]).to(device))
                loss = F.cross_entropy(logits, labels[idx].to(device))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    acc = accuracy(net, data.test, data.test_labels, device)
    return net.cpu().eval(), acc


def ensure_classifier(data: ImageDataset, cache_root: Path, device: torch.device) -> tuple[Path, float]:
    """The trained classifier's weights file and test accuracy, training it on first use."""
    from filelock import FileLock

    path = weights_path(data, cache_root)
    cache_root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        if not path.is_file():
            net, acc = train_classifier(data, device)
            tmp = path.with_name(path.name + f".tmp{os.getpid()}")
            torch.save({"config": net.config, "state_dict": net.state_dict(), "test_accuracy": acc,
                        "recipe": dict(RECIPE)}, tmp)
            os.replace(tmp, path)
    saved = torch.load(path, map_location="cpu", weights_only=True)
    return path, float(saved["test_accuracy"])
