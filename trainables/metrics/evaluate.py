"""Evaluation of a generator; fixed noise and reference samples, so it never touches the training RNG.

``EVALUATORS[data kind] = (evaluate(G, data, cfg, device) -> metrics, worst(data, cfg) -> metrics)``.
Points: toy-mixture metrics (:mod:`trainables.metrics.toy`). Images: IS/FID/KID through
torch-fidelity (:mod:`trainables.metrics.fidelity`), FID being the score of record.
"""
from __future__ import annotations

import torch

from trainables.metrics import toy as metrics_toy

EVAL_SEED = 2020  # fixed latent and reference draws, shared by every trial (as torch-fidelity's rng_seed)


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
    samples = generate(G, n, cfg.z_dim, device)
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
    from trainables.metrics import fidelity as metrics_fidelity  # torch-fidelity + torchvision: ~1.5 s, only for image trials

    return metrics_fidelity.evaluate_images(G, data, cfg, device)


def worst_images(data, cfg) -> dict:
    from trainables.metrics import fidelity as metrics_fidelity

    return metrics_fidelity.worst_images(data, cfg)


EVALUATORS = {
    "points": (evaluate_points, worst_metrics),
    "images": (evaluate_images, worst_images),
}

# direction of each data kind's score of record, known before any trial runs (the search needs it):
# energy distance on points, FID on images; both lower is better
SCORE_MODES = {"points": metrics_toy.SCORE_MODE, "images": "min"}
