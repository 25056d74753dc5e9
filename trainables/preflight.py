"""Checks and one-off work before a study launches (called by ``study/``; plain PyTorch here).

- :func:`check_inputs` is cheap (file presence only) and raises ``FileNotFoundError`` with a
  one-line message naming the missing path and what to do: a study's validation turns it into
  exit 2. It does not try the network: ``data_download: true`` or Inception weights left to
  torch-fidelity's download are accepted here and fail, with the same kind of message, in the trial.
- :func:`prepare` does the per-protocol work once (download, classifier training, reference
  statistics), so the trials only load caches. Optional: trials do it lazily under file locks.
"""
from __future__ import annotations

from typing import Any

import torch

from trainables.config import TrialConfig, make_config
from trainables.datasets import images as data_images
from trainables.metrics import fidelity as metrics_fidelity
from trainables.registry import DATASETS


def check_inputs(config: dict[str, Any] | TrialConfig) -> None:
    """Raise ``FileNotFoundError`` if the dataset's files or a given weights file are missing."""
    cfg = make_config(config)
    if DATASETS.get(cfg.dataset).kind != "images":
        return
    data_images.check_available(cfg.dataset, cfg.data_root, cfg.data_download)
    if cfg.eval_extractor == "inception":
        metrics_fidelity.check_inception_weights(cfg.inception_weights)


def prepare(config: dict[str, Any] | TrialConfig, device: str | None = None) -> dict[str, Any]:
    """Load the data and build the evaluation reference (classifier, statistics); return its facts."""
    cfg = make_config(config)
    spec = DATASETS.get(cfg.dataset)
    if spec.kind != "images":
        return {}
    name = device or cfg.device
    dev = torch.device("cuda" if name == "auto" and torch.cuda.is_available() else
                       ("cpu" if name == "auto" else name))
    data = spec.build(**cfg.model_dump())
    ref = metrics_fidelity.reference(data, cfg, dev)
    return {"protocol": ref.protocol, **ref.info}
