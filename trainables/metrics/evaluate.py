"""Evaluation of a generator; fixed noise and reference samples, so it never touches the training RNG.

``EVALUATORS[data kind] = (evaluate(G, data, cfg, device) -> metrics, worst(data, cfg) -> metrics)``.
Points: toy-mixture metrics (:mod:`trainables.metrics.toy`). Images: IS/FID/KID through
torch-fidelity (:mod:`trainables.metrics.fidelity`), FID being the score of record.
``SAMPLE_WRITERS[data kind](G, data, cfg, device, directory)`` stores what a report draws.

BatchNorm at evaluation (``eval_bn``): ``batch`` (the default) evaluates a copy of G whose BatchNorm
layers use the statistics of the evaluated batch; ``running`` uses the running averages. The running
averages are refreshed once per generator forward pass in training mode, and methods make very
different numbers of those per iteration (alternating Adam 6 with n_critic 5, ACGD 1), so with
``running`` the score partly measures how fresh a method's averages are, not its generator.
Batch statistics depend only on G's weights and the fixed evaluation noise.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from trainables.metrics import toy as metrics_toy

EVAL_SEED = 2020  # fixed latent and reference draws, shared by every trial (as torch-fidelity's rng_seed)


def for_evaluation(G: torch.nn.Module, eval_bn: str) -> torch.nn.Module:
    """G itself (``running``), or a copy whose BatchNorm layers use batch statistics in every mode
    (``batch``: PyTorch normalises by the batch when a layer has no running averages)."""
    norms = [m for m in G.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if eval_bn == "running" or not norms:
        return G
    G = copy.deepcopy(G)
    for m in G.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.track_running_stats, m.running_mean, m.running_var, m.num_batches_tracked = False, None, None, None
    return G


@torch.no_grad()
def generate(G: torch.nn.Module, n: int, z_dim: int, device: torch.device, seed: int = EVAL_SEED) -> torch.Tensor:
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))
    was_training = G.training
    G.eval()
    try:
        return G(z.to(device)).cpu()
    finally:
        G.train(was_training)


def evaluate_points(G, data, cfg, device) -> dict:
    n = cfg.eval_samples
    samples = generate(for_evaluation(G, cfg.eval_bn), n, cfg.z_dim, device)
    reference = data.sample(n, generator=torch.Generator().manual_seed(EVAL_SEED + 1))
    metrics = metrics_toy.toy_metrics(samples, reference, data.centers, data.sigma)
    return {**metrics, "score": metrics[metrics_toy.SCORE], "score_name": metrics_toy.SCORE,
            "score_mode": metrics_toy.SCORE_MODE, "protocol": f"toy-{data.name}:n={n}"}


def worst_metrics(data, cfg) -> dict:
    """What a diverged trial scores: the worst value of the score of record (never dropped)."""
    return {"score": metrics_toy.WORST_SCORE, "score_name": metrics_toy.SCORE,
            "score_mode": metrics_toy.SCORE_MODE, metrics_toy.SCORE: metrics_toy.WORST_SCORE,
            "protocol": f"toy-{data.name}:n={cfg.eval_samples}"}


def evaluate_images(G, data, cfg, device) -> dict:
    from trainables.metrics import (
        fidelity as metrics_fidelity,  # torch-fidelity + torchvision: ~1.5 s, only for image trials
    )

    return metrics_fidelity.evaluate_images(for_evaluation(G, cfg.eval_bn), data, cfg, device)


def worst_images(data, cfg) -> dict:
    from trainables.metrics import fidelity as metrics_fidelity

    return metrics_fidelity.worst_images(data, cfg)


N_SAMPLE_POINTS = 1000  # points drawn in a report's samples figure
GRID = 8  # an 8 x 8 grid of generated images


def _write_points(G, data, cfg, device, path: Path) -> None:
    """Generated points (the evaluation noise's first ones) and data draws."""
    samples = generate(for_evaluation(G, cfg.eval_bn), N_SAMPLE_POINTS, cfg.z_dim, device)
    reference = data.sample(N_SAMPLE_POINTS, generator=torch.Generator().manual_seed(EVAL_SEED + 1))
    np.savez_compressed(path, samples=samples.numpy().astype(np.float32),
                        reference=reference.numpy().astype(np.float32))


def _write_image_grid(G, data, cfg, device, path: Path) -> None:
    """An 8 x 8 grid of images from fixed noise."""
    from torchvision.utils import save_image

    images = generate(for_evaluation(G, cfg.eval_bn), GRID * GRID, cfg.z_dim, device)
    save_image(images.clamp(-1, 1).add(1).div(2), path, nrow=GRID, padding=1)


@dataclass(frozen=True)
class SampleWriter:
    filename: str
    write: Callable  # (G, data, cfg, device, path) -> None

    def __call__(self, G, data, cfg, device, directory) -> Path:
        path = Path(directory) / self.filename
        self.write(G, data, cfg, device, path)
        return path


SAMPLE_WRITERS = {"points": SampleWriter("samples.npz", _write_points),
                  "images": SampleWriter("samples.png", _write_image_grid)}

EVALUATORS = {
    "points": (evaluate_points, worst_metrics),
    "images": (evaluate_images, worst_images),
}

# direction of each data kind's score of record, known before any trial runs (the search needs it):
# energy distance on points, FID on images; both lower is better
SCORE_MODES = {"points": metrics_toy.SCORE_MODE, "images": "min"}
