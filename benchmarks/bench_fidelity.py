"""Time IS+FID of 5,000 generated digits with the classifier extractor, without and with the cache.

The generator is the digits study's DCGAN (16x16, width_mult 0.5, z_dim 64; untrained: its cost
does not depend on its weights). The classifier is trained once beforehand (timed separately: a
one-off per dataset and recipe, cached on disk). Then, in a fresh cache folder holding only the
classifier:
- "no cache": the first evaluation of a study, which also extracts the reference split's features
  and writes their FID statistics, the real-data IS and the worst FID;
- "cache": what every later evaluation pays, in any process (the in-process reference memo is
  cleared, so the statistics are loaded from disk as a new trial would).
KID (10 subsets of 1,000 with this extractor) is timed on top, as trials compute it too. Goal:
IS+FID under 10 s with the cache on the 2-core development machine.

    python benchmarks/bench_fidelity.py [--samples 5000] [--threads 1] [--repeats 3]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from trainables.architectures.dcgan import dcgan  # noqa: E402
from trainables.config import TrialConfig  # noqa: E402
from trainables.datasets.images import load  # noqa: E402
from trainables.metrics import feature_classifier  # noqa: E402
from trainables.metrics import fidelity as metrics_fidelity  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (Ray gives a 1-CPU trial one)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device("cpu")

    work = Path(tempfile.mkdtemp(prefix="bench_fidelity_"))
    try:
        cfg = TrialConfig(dataset="digits", arch="dcgan", z_dim=64, width_mult=0.5, eval_samples=args.samples,
                          cache_root=str(work / "seed"))
        data = load("digits")
        G, _ = dcgan(data_shape=data.shape, z_dim=cfg.z_dim, width_mult=cfg.width_mult)
        start = time.perf_counter()
        weights, acc = feature_classifier.ensure_classifier(data, Path(cfg.cache_root), device)
        train_s = time.perf_counter() - start

        def fresh_cache(i: int) -> TrialConfig:
            root = work / f"run{i}"
            root.mkdir()
            shutil.copy(weights, root / weights.name)
            return cfg.model_copy(update={"cache_root": str(root)})

        def is_fid(c: TrialConfig, kid: bool = False) -> float:
            metrics_fidelity._REFERENCES.clear()  # as in a new trial process: load from disk
            t = time.perf_counter()
            ref = metrics_fidelity.reference(data, c, device)
            m = metrics_fidelity.measure(G, ref, args.samples, c.z_dim, device, kid=kid)
            assert m is not None
            return time.perf_counter() - t

        cold, warm, warm_kid = [], [], []
        for i in range(args.repeats):
            c = fresh_cache(i)
            cold.append(is_fid(c))
            warm.append(is_fid(c))
            warm_kid.append(is_fid(c, kid=True))
        ref = metrics_fidelity.reference(data, cfg.model_copy(update={"cache_root": str(work / "run0")}), device)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = statistics.median
    print(f"digits 16x16, {args.samples} generated images, classifier extractor, CPU, {args.threads} thread(s), "
          f"median of {args.repeats}")
    print(f"classifier training (one-off, cached): {train_s:6.2f} s   test accuracy {acc:.3f}, "
          f"real-data IS {ref.info['real_is_mean']:.2f}")
    print(f"IS+FID without cached reference statistics: {med(cold):6.2f} s   (min {min(cold):.2f})")
    print(f"IS+FID with cached reference statistics:    {med(warm):6.2f} s   (min {min(warm):.2f})   "
          f"goal < 10 s: {'met' if med(warm) < 10 else 'NOT met'}")
    print(f"IS+FID+KID with cached reference statistics: {med(warm_kid):5.2f} s   (what a trial's evaluation costs)")


if __name__ == "__main__":
    main()
