"""IS/FID/KID through torch-fidelity: classifier and Inception extractors, caching, RNG hygiene, worst score."""
from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
import torch
import torch_fidelity.utils

from tests.image_files import write_mnist, write_random_inception
from trainables import preflight
from trainables.architectures.dcgan import dcgan
from trainables.config import TrialConfig
from trainables.datasets.images import load
from trainables.metrics import fidelity as metrics_fidelity


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory):
    """A tiny learnable MNIST in torchvision's format: the classifier trains on it in a second."""
    return str(write_mnist(tmp_path_factory.mktemp("mnist"), n_train=60, n_test=20))


def _setup(root, cache, **over):
    cfg = TrialConfig(**{**dict(dataset="mnist", arch="dcgan", data_root=root, z_dim=8, width_mult=1 / 16,
                                resolution=16, eval_samples=40, cache_root=str(cache)), **over})
    data = load("mnist", root, 16)
    torch.manual_seed(0)
    G, _ = dcgan(data_shape=data.shape, z_dim=cfg.z_dim, width_mult=cfg.width_mult)
    return cfg, data, G


def test_classifier_metrics_carry_protocol_and_facts(mnist_root, tmp_path):
    cfg, data, G = _setup(mnist_root, tmp_path)
    m = metrics_fidelity.evaluate_images(G, data, cfg, torch.device("cpu"))
    assert m["score_name"] == "fid" and m["score_mode"] == "min" and m["score"] == m["fid"]
    for key in ("fid", "is_mean", "is_std", "kid_mean", "kid_std", "real_is_mean", "extractor_acc"):
        assert math.isfinite(m[key]), key
    assert m["extractor_acc"] > 0.5  # the bars are learnable
    assert 1.0 <= m["is_mean"] and 1.0 <= m["real_is_mean"] <= 10.0
    assert m["protocol"].startswith("fidelity:classifier-") and m["protocol"].endswith(",n=40")
    assert "ref=mnist-16px-train-" in m["protocol"]
    assert m["fid"] < metrics_fidelity.worst_images(data, cfg)["score"]


def test_reference_statistics_are_computed_once_and_cached_with_hashes(mnist_root, tmp_path, monkeypatch):
    cfg, data, G = _setup(mnist_root, tmp_path)
    first = metrics_fidelity.evaluate_images(G, data, cfg, torch.device("cpu"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert any(n.startswith("classifier-mnist-16px-") and n.endswith(".pt") for n in names)
    assert any("-stat-fid-feat.pt" in n and data.content_hash("train")[:8] in n for n in names)

    # a new trial process: only the disk cache is left, and the reference split is never read again
    metrics_fidelity._REFERENCES.clear()
    monkeypatch.setattr(torch_fidelity.utils, "get_featuresdict_from_dataset",
                        lambda *a, **k: pytest.fail("reference features recomputed"))
    again = metrics_fidelity.evaluate_images(G, data, cfg, torch.device("cpu"))
    assert again["fid"] == first["fid"] and again["protocol"] == first["protocol"]
    monkeypatch.undo()

    # another split is another reference
    test_split = metrics_fidelity.reference(data, cfg.model_copy(update={"eval_split": "test"}), torch.device("cpu"))
    assert "mnist-16px-test-" in test_split.protocol


def test_evaluation_leaves_the_training_rng_and_mode_alone(mnist_root, tmp_path):
    cfg, data, G = _setup(mnist_root, tmp_path)
    G.train()
    torch.manual_seed(123)
    np.random.seed(123)
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    metrics_fidelity.evaluate_images(G, data, cfg, torch.device("cpu"))
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == np_state[1].tolist()
    assert G.training and all(m.training for m in G.modules())


def test_non_finite_generator_scores_the_worst(mnist_root, tmp_path):
    cfg, data, G = _setup(mnist_root, tmp_path)

    class Broken(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.G = G

        def forward(self, z):
            return self.G(z) * float("nan")

    m = metrics_fidelity.evaluate_images(Broken(), data, cfg, torch.device("cpu"))
    worst = metrics_fidelity.worst_images(data, cfg)
    assert m["score"] == worst["score"] == worst["fid"] > 0 and worst["is_mean"] == 1.0
    assert worst["protocol"] == m["protocol"]


def test_unlabelled_data_cannot_use_the_classifier(tmp_path):
    from tests.image_files import write_folder
    from trainables.metrics import feature_classifier

    flat = tmp_path / "flat"
    write_folder(flat, classes=1, per_class=4)
    data = load("folder", str(flat / "class0"), 8)
    with pytest.raises(ValueError, match="eval_extractor: 'classifier' needs labelled data"):
        feature_classifier.train_classifier(data, torch.device("cpu"))


def test_inception_path_with_a_local_weights_file(mnist_root, tmp_path):
    """Same architecture as torch-fidelity's inception-v3-compat, random weights, no network."""
    weights = write_random_inception(tmp_path / "inception.pth")
    small = str(write_mnist(tmp_path / "small", n_train=12, n_test=4))
    cfg, data, G = _setup(small, tmp_path / "cache", eval_extractor="inception", inception_weights=str(weights),
                          eval_samples=10)
    m = metrics_fidelity.evaluate_images(G, data, cfg, torch.device("cpu"))
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:8]
    assert m["protocol"] == f"fidelity:inception-{digest},ref=mnist-16px-train-{data.content_hash()[:8]},n=10"
    assert all(math.isfinite(m[k]) for k in ("fid", "is_mean", "kid_mean", "real_is_mean"))
    assert "extractor_acc" not in m
    assert any(p.name.endswith("-inception-v3-compat-stat-fid-2048.pt") for p in (tmp_path / "cache").iterdir())


def test_missing_inception_weights_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(metrics_fidelity.INCEPTION_ENV, raising=False)
    missing = tmp_path / "nope.pth"
    cfg = dict(dataset="digits", arch="dcgan", eval_extractor="inception", inception_weights=str(missing))
    with pytest.raises(FileNotFoundError) as info:
        preflight.check_inputs(cfg)
    assert str(missing) in str(info.value) and "GANSTUDY_INCEPTION_WEIGHTS" in str(info.value)
    assert "\n" not in str(info.value)
    monkeypatch.setenv(metrics_fidelity.INCEPTION_ENV, str(missing))
    with pytest.raises(FileNotFoundError):
        preflight.check_inputs({**cfg, "inception_weights": None})


def test_declared_score_directions_match_the_evaluators():
    from trainables.metrics import fidelity as metrics_fidelity
    from trainables.metrics import toy as metrics_toy
    from trainables.metrics.evaluate import SCORE_MODES

    assert SCORE_MODES == {"points": metrics_toy.SCORE_MODE, "images": metrics_fidelity.SCORE_MODE}
