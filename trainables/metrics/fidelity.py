"""IS, FID and KID of a generator through torch-fidelity, straight from the module (no image files).

Extractors (config ``eval_extractor``):
- ``inception``: torch-fidelity's ``inception-v3-compat`` (the TF-Inception port of the IS/FID
  papers: Salimans et al. arXiv:1606.03498, Heusel et al. arXiv:1706.08500; KID: Binkowski et al.
  arXiv:1801.01401). Weights: config ``inception_weights``, else ``$GANSTUDY_INCEPTION_WEIGHTS``,
  else torch-fidelity's download into torch hub's cache. Grey images are repeated to RGB.
- ``classifier``: :mod:`trainables.metrics.feature_classifier`, trained on the dataset once, offline.

Reference statistics (features and FID mean/covariance of the reference split) are computed once
per (dataset content, resolution, split, extractor weights) and cached by torch-fidelity under
``cache_root`` with all of those hashed into ``input2_cache_name``, so trials only ever load them;
a file lock makes concurrent trials compute them once. Next to them a small JSON holds the
protocol's constants: the real data's IS (the ceiling a generator can reach with this extractor),
the extractor's test accuracy (classifier) and the worst FID.

KID uses torch-fidelity's subsets of 1,000 samples: 100 of them with Inception (its default), 10
with the classifier (on a CPU its kernels would otherwise cost more than the rest of the evaluation).

The score of record is FID (lower is better), clipped at the worst FID of a constant image (black,
grey or white; what a collapsed or saturated generator emits), which is also what a diverged trial
gets: a diverged trial is never better than a trained one. Evaluation runs under
``torch.random.fork_rng`` and torch-fidelity draws its noise from its own ``RandomState(2020)``
(the same seed as ``evaluate.EVAL_SEED``), so it never moves the training RNG.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch_fidelity
from torch.utils.data import Dataset
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3
from torch_fidelity.metric_fid import fid_featuresdict_to_statistics_cached
from torch_fidelity.metric_isc import isc_featuresdict_to_metric
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
from torch_fidelity.utils import create_feature_extractor, extract_featuresdict_from_input_id_cached

from trainables.datasets.images import ImageDataset, to_uint8
from trainables.metrics import feature_classifier

CACHE_ENV = "GANSTUDY_CACHE"
INCEPTION_ENV = "GANSTUDY_INCEPTION_WEIGHTS"
INCEPTION_FE = "inception-v3-compat"
INCEPTION_FILE = os.path.basename(URL_INCEPTION_V3)  # weights-inception-2015-12-05-6726825d.pth

SCORE = "fid"
SCORE_MODE = "min"
FID, IS_MEAN, IS_STD, KID_MEAN, KID_STD = "fid", "is_mean", "is_std", "kid_mean", "kid_std"
REAL_IS, EXTRACTOR_ACC = "real_is_mean", "extractor_acc"

_BATCH = {"classifier": 1000, "inception": 128}  # images per feature-extractor call
# KID subsets of (up to) 1000 samples (see the module docstring)
KID_SUBSETS = {"classifier": 10, "inception": 100}
KID_SUBSET_SIZE = 1000


def cache_root(value: str | None) -> Path:
    """The config's ``cache_root``, else ``$GANSTUDY_CACHE``, else ``~/.cache/ganstudy``."""
    return Path(value or os.environ.get(CACHE_ENV) or "~/.cache/ganstudy").expanduser().resolve()


def inception_weights(value: str | None) -> Path | None:
    """The local Inception weights file, or None for torch-fidelity's download."""
    raw = value or os.environ.get(INCEPTION_ENV)
    return Path(raw).expanduser().resolve() if raw else None


def check_inception_weights(value: str | None) -> None:
    path = inception_weights(value)
    if path is not None and not path.is_file():
        raise FileNotFoundError(
            f"inception_weights: {path} not found; give the path of {INCEPTION_FILE} (torch-fidelity's "
            f"Inception weights) in the spec, with --set inception_weights=PATH or in ${INCEPTION_ENV}")


def _hub_weights() -> Path:
    """torch-fidelity's downloaded Inception weights, fetching them if needed (clear error offline)."""
    path = Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE
    if not path.is_file():
        try:
            torch.hub.load_state_dict_from_url(URL_INCEPTION_V3, progress=False)
        except Exception as e:
            raise FileNotFoundError(
                f"eval_extractor inception: {path} not found and the download failed ({type(e).__name__}); "
                f"copy {INCEPTION_FILE} there, or set inception_weights (or ${INCEPTION_ENV}) to a local copy, "
                f"or use eval_extractor: classifier") from None
    return path


_FILE_HASHES: dict[tuple[str, int, int], str] = {}


def _file_hash(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _FILE_HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _FILE_HASHES[key] = h.hexdigest()
    return _FILE_HASHES[key]


class _ReferenceImages(Dataset):
    """A split as torch-fidelity wants a Dataset: one uint8 (C, H, W) tensor per item."""

    def __init__(self, images: torch.Tensor, rgb: bool):
        self.images, self.rgb = images, rgb

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        x = self.images[i]
        return x.expand(3, -1, -1).contiguous() if self.rgb and x.shape[0] == 1 else x


class _Uint8Generator(torch.nn.Module):
    """G's [-1, 1] floats -> uint8 images (torch-fidelity's generator contract); notes non-finite output."""

    def __init__(self, G: torch.nn.Module, rgb: bool):
        super().__init__()
        self.G, self.rgb, self.nonfinite = G, rgb, False

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.G(z.to(next(self.G.parameters()).device))
        if not torch.isfinite(x).all():
            self.nonfinite = True
            x = torch.nan_to_num(x, nan=0.0)
        x = to_uint8(x)
        return x.expand(-1, 3, -1, -1) if self.rgb and x.shape[1] == 1 else x


@dataclass(frozen=True)
class Reference:
    """Everything an evaluation needs that does not depend on the generator."""

    extractor: str
    fe_name: str
    weights: str | None
    cache_root: str
    cache_name: str
    images: _ReferenceImages
    info: dict[str, float]
    protocol: str  # without the number of generated samples

    def kwargs(self, device: torch.device) -> dict[str, Any]:
        return dict(feature_extractor=self.fe_name, feature_extractor_weights_path=self.weights,
                    cache_root=self.cache_root, cuda=device.type == "cuda", batch_size=_BATCH[self.extractor],
                    kid_subsets=KID_SUBSETS[self.extractor], save_cpu_ram=True, verbose=False,
                    datasets_download=False)


_REFERENCES: dict[tuple, Reference] = {}


def _device_scope(device: torch.device):
    """torch-fidelity moves things with ``.cuda()`` (the current device): make that the trial's."""
    return torch.cuda.device(device) if device.type == "cuda" else contextlib.nullcontext()


def _rng_scope(device: torch.device):
    return torch.random.fork_rng(devices=[device] if device.type == "cuda" else [])


def reference(data: ImageDataset, cfg, device: torch.device) -> Reference:
    """The reference for (dataset, split, extractor): built and cached on disk on first use."""
    root = cache_root(cfg.cache_root)
    split = cfg.eval_split
    key = (data.name, data.resolution, data.content_hash(split), split, cfg.eval_extractor,
           str(inception_weights(cfg.inception_weights)), str(root))
    if key in _REFERENCES:
        return _REFERENCES[key]
    info: dict[str, float] = {}
    if cfg.eval_extractor == "classifier":
        path, acc = feature_classifier.ensure_classifier(data, root, device)
        fe_name, weights, info[EXTRACTOR_ACC] = feature_classifier.FE_NAME, path, acc
    else:
        check_inception_weights(cfg.inception_weights)
        fe_name, weights = INCEPTION_FE, inception_weights(cfg.inception_weights) or _hub_weights()
    fe_id = f"{cfg.eval_extractor}-{_file_hash(weights)[:8]}"
    ref_id = f"{data.name}-{data.resolution}px-{split}-{data.content_hash(split)[:8]}"
    images, _ = data.split(split)
    ref = Reference(cfg.eval_extractor, fe_name, str(weights), str(root), f"ganstudy-{ref_id}-{fe_id}",
                    _ReferenceImages(images, rgb=cfg.eval_extractor == "inception"), info,
                    f"fidelity:{fe_id},ref={ref_id}")
    ref.info.update(_reference_info(ref, device))
    _REFERENCES[key] = ref
    return ref


def _reference_info(ref: Reference, device: torch.device) -> dict[str, float]:
    """Compute (once, under a lock) the reference features and statistics, real IS and worst FID.

    Uses torch-fidelity's own cached steps, so the files are exactly those ``calculate_metrics``
    looks up for ``input2_cache_name`` (features of every layer the metrics use, FID statistics).
    """
    from filelock import FileLock

    root = Path(ref.cache_root)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{ref.cache_name}-info.json"
    with FileLock(str(path) + ".lock"):
        if not path.is_file():
            n = len(ref.images)
            cls = FEATURE_EXTRACTORS_REGISTRY[ref.fe_name]
            isc_layer, fid_layer = (cls.get_default_feature_layer_for_metric(m) for m in ("isc", "fid"))
            kwargs = {**ref.kwargs(device), "input1": ref.images, "input1_cache_name": ref.cache_name,
                      "isc_splits": min(10, n)}
            with _rng_scope(device), _device_scope(device):
                fe = create_feature_extractor(ref.fe_name, sorted({isc_layer, fid_layer}), **kwargs)
                feats = extract_featuresdict_from_input_id_cached(1, fe, **kwargs)
                real = isc_featuresdict_to_metric(feats, isc_layer, **kwargs)
                stat = fid_featuresdict_to_statistics_cached(feats, ref.cache_name, fe, fid_layer, **kwargs)
                info = {REAL_IS: real[torch_fidelity.KEY_METRIC_ISC_MEAN],
                        "real_is_std": real[torch_fidelity.KEY_METRIC_ISC_STD],
                        "worst_fid": _worst_fid(fe, fid_layer, stat, ref.images[0].shape, device), "n_reference": n}
            tmp = path.with_name(path.name + f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(info))
            os.replace(tmp, path)
    return json.loads(path.read_text())


def _worst_fid(fe, layer: str, ref_stat: dict, shape: tuple[int, ...], device: torch.device) -> float:
    """FID of the worst constant image (black, grey, white) against the reference statistics.

    A constant image's features have zero covariance, so FID = |mu - f|^2 + tr(Sigma_ref) exactly
    (the square-root term vanishes): no eigendecomposition."""
    c, h, w = shape
    constants = torch.tensor([0, 128, 255], dtype=torch.uint8).view(3, 1, 1, 1).expand(3, c, h, w).contiguous()
    with torch.no_grad():
        out = fe(constants.to("cuda" if device.type == "cuda" else "cpu"))
    feats = fe.convert_features_tuple_to_dict(out)[layer].double().cpu().numpy()
    mu, trace = ref_stat["mu"].astype("float64"), float(ref_stat["sigma"].trace())
    return float(max(((f - mu) ** 2).sum() + trace for f in feats))


def measure(G: torch.nn.Module, ref: Reference, n: int, z_dim: int, device: torch.device, *,
            kid: bool = True) -> dict[str, float] | None:
    """torch-fidelity's metrics of ``n`` images from G; None if G emitted non-finite values."""
    wrapped = _Uint8Generator(G, rgb=ref.extractor == "inception")
    was_training = G.training
    try:
        with _rng_scope(device), _device_scope(device):
            gen = torch_fidelity.GenerativeModelModuleWrapper(wrapped, int(z_dim), "normal", 0)  # sets G.eval()
            m = torch_fidelity.calculate_metrics(
                input1=gen, input1_model_num_samples=n, input2=ref.images, input2_cache_name=ref.cache_name,
                isc=True, fid=True, kid=kid, isc_splits=min(10, n),
                kid_subset_size=min(KID_SUBSET_SIZE, n, len(ref.images)), **ref.kwargs(device))
    finally:
        G.train(was_training)
    if wrapped.nonfinite or not math.isfinite(m[torch_fidelity.KEY_METRIC_FID]):
        return None
    out = {FID: m[torch_fidelity.KEY_METRIC_FID], IS_MEAN: m[torch_fidelity.KEY_METRIC_ISC_MEAN],
           IS_STD: m[torch_fidelity.KEY_METRIC_ISC_STD]}
    if kid:
        out.update({KID_MEAN: m[torch_fidelity.KEY_METRIC_KID_MEAN], KID_STD: m[torch_fidelity.KEY_METRIC_KID_STD]})
    return out


def evaluate_images(G: torch.nn.Module, data: ImageDataset, cfg, device: torch.device) -> dict[str, Any]:
    """IS, FID, KID of ``cfg.eval_samples`` images from G against the reference split."""
    ref = reference(data, cfg, device)
    n = cfg.eval_samples
    m = measure(G, ref, n, cfg.z_dim, device)
    if m is None:
        return worst_images_from(ref, n)
    return {**m, **_protocol_facts(ref), "score": min(m[FID], ref.info["worst_fid"]), "score_name": SCORE,
            "score_mode": SCORE_MODE, "protocol": f"{ref.protocol},n={n}"}


def _protocol_facts(ref: Reference) -> dict[str, float]:
    return {k: ref.info[k] for k in (REAL_IS, EXTRACTOR_ACC) if k in ref.info}


def worst_images_from(ref: Reference, n: int) -> dict[str, Any]:
    worst = ref.info["worst_fid"]
    return {FID: worst, IS_MEAN: 1.0, **_protocol_facts(ref), "score": worst, "score_name": SCORE,
            "score_mode": SCORE_MODE, "protocol": f"{ref.protocol},n={n}"}


def worst_images(data: ImageDataset, cfg) -> dict[str, Any]:
    """What a diverged trial scores: the protocol's worst FID and the minimum IS (1)."""
    name = cfg.device
    device = torch.device("cuda" if name == "auto" and torch.cuda.is_available() else
                          ("cpu" if name == "auto" else name))
    return worst_images_from(reference(data, cfg, device), cfg.eval_samples)
