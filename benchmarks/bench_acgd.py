"""Time one training step of our ACGD, the reference CGDs ACGD and alternating Adam.

WGAN DCGAN of ICR (arXiv:1910.05852) on synthetic 32x32 images, CPU, one thread, float32
(``--float64`` for float64).
Runs are interleaved (the order rotates every round, after warm-up) so that load from other
processes hits all three alike. ACGD uses the ICR CIFAR solver settings (tol 1e-10, atol 1e-16,
no iteration cap: the reference has none). Prints median milliseconds per step (forward pass
included), the ratios of medians and of minima (the minimum is robust to load from other
processes), CG iterations and Hessian-vector products per step, and
``||theta_ours - theta_ref|| / ||theta_ref||`` over all parameters after the timed steps. In
float32 that is rounding-level (~1e-7) but not a per-tensor bound: the bias of a convolution
followed by BatchNorm has a zero true gradient, ACGD's RMSProp scaling turns its rounding noise
into O(lr) steps, and the reference differs from itself by as much after a 1e-7 perturbation.
``--float64`` shows the trajectories agree to ~1e-15.

    python benchmarks/bench_acgd.py --quick
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainables.architectures.dcgan import DCGANDiscriminator, DCGANGenerator  # noqa: E402
from trainables.optim import ACGD  # noqa: E402

try:
    import CGDs
    import CGDs.acgd
    import CGDs.cgd_utils
except ImportError:  # the comparison needs the reference; the rest still runs
    CGDs = None


class HvpCounter:
    """Counts the reference's Hessian-vector products (it calls ``Hvp_vec`` from two modules)."""

    def __init__(self):
        self.calls = 0
        if CGDs is None:
            return
        original = CGDs.cgd_utils.Hvp_vec

        def counted(*args, **kwargs):
            self.calls += 1
            return original(*args, **kwargs)

        CGDs.cgd_utils.Hvp_vec = CGDs.acgd.Hvp_vec = counted


def make_batches(n_steps: int, batch: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(seed)
    return [(torch.rand(batch, 3, 32, 32, generator=gen) * 2 - 1,
             torch.randn(batch, 128, generator=gen)) for _ in range(n_steps)]


def wgan_loss(G, D, real, z) -> torch.Tensor:
    """D's WGAN loss; ACGD maximises it over G and minimises it over D."""
    return D(G(z)).mean() - D(real).mean()


def run_config(dim: int, batch: int, args, counter: HvpCounter) -> dict[str, object]:
    torch.manual_seed(args.seed)
    G, D = DCGANGenerator(dim=dim), DCGANDiscriminator(dim=dim)
    players = {name: (copy.deepcopy(G), copy.deepcopy(D)) for name in ("ours", "ref", "adam")}
    solver = dict(lr_max=args.lr, lr_min=args.lr, tol=args.tol, atol=args.atol)
    ours = ACGD(players["ours"][0].parameters(), players["ours"][1].parameters(), **solver)
    ref = None
    if CGDs is not None:
        ref = CGDs.ACGD(players["ref"][0].parameters(), players["ref"][1].parameters(), **solver)
    G_a, D_a = players["adam"]
    adam_g = torch.optim.Adam(G_a.parameters(), lr=args.lr, betas=(0.5, 0.9))
    adam_d = torch.optim.Adam(D_a.parameters(), lr=args.lr, betas=(0.5, 0.9))

    def step_ours(real, z):
        ours.step(wgan_loss(*players["ours"], real, z))

    def step_ref(real, z):
        ref.step(wgan_loss(*players["ref"], real, z))

    def step_adam(real, z):  # one critic step, then one generator step
        adam_d.zero_grad(set_to_none=True)
        (D_a(G_a(z).detach()).mean() - D_a(real).mean()).backward()
        adam_d.step()
        adam_g.zero_grad(set_to_none=True)
        (-D_a(G_a(z)).mean()).backward()
        adam_g.step()

    steps = {"ours": step_ours, "adam": step_adam}
    if ref is not None:
        steps["ref"] = step_ref
    names = list(steps)
    times: dict[str, list[float]] = {name: [] for name in names}
    cg_iters, hvps, ref_hvps = [], [], []
    for t, (real, z) in enumerate(make_batches(args.warmup + args.steps, batch, args.seed + 1)):
        for name in names[t % len(names):] + names[:t % len(names)]:  # rotate the order
            before = counter.calls
            start = time.perf_counter()
            steps[name](real, z)
            elapsed = time.perf_counter() - start
            if t < args.warmup:
                continue
            times[name].append(elapsed)
            if name == "ours":
                cg_iters.append(ours.info["cg_iters"])
                hvps.append(ours.info["hvp_calls"])
            elif name == "ref":
                ref_hvps.append(counter.calls - before)
    row: dict[str, object] = {"dim": dim, "batch": batch}
    row.update({f"{name}_ms": 1e3 * statistics.median(ts) for name, ts in times.items()})
    row.update({f"{name}_min_ms": 1e3 * min(ts) for name, ts in times.items()})
    row.update(cg_iters=statistics.mean(cg_iters), hvps=statistics.mean(hvps))
    if ref is not None:
        row["ref_hvps"] = statistics.mean(ref_hvps)
        ours_flat, ref_flat = (torch.cat([p.detach().reshape(-1) for net in players[k]
                                          for p in net.parameters()]) for k in ("ours", "ref"))
        row["rel_diff"] = float((ours_flat - ref_flat).norm() / ref_flat.norm())
    return row


def print_table(rows: list[dict[str, object]]) -> None:
    has_ref = "ref_ms" in rows[0]
    head = ["DIM", "batch", "ours ms", "ref ms", "adam ms", "ours/ref", "(min)", "ours/adam",
            "CG it", "HVP ours", "HVP ref", "rel diff"]
    if not has_ref:
        head = [h for h in head if "ref" not in h and h not in ("rel diff", "(min)")]
    lines = [head]
    for r in rows:
        cells = [str(r["dim"]), str(r["batch"]), f"{r['ours_ms']:.0f}"]
        if has_ref:
            cells.append(f"{r['ref_ms']:.0f}")
        cells += [f"{r['adam_ms']:.0f}"]
        if has_ref:
            cells.append(f"{r['ours_ms'] / r['ref_ms']:.2f}")
            cells.append(f"{r['ours_min_ms'] / r['ref_min_ms']:.2f}")
        cells += [f"{r['ours_ms'] / r['adam_ms']:.1f}", f"{r['cg_iters']:.1f}", f"{r['hvps']:.1f}"]
        if has_ref:
            cells += [f"{r['ref_hvps']:.1f}", f"{r['rel_diff']:.1e}"]
        lines.append(cells)
    print_table(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="DIM 32, batch 32, 5 timed steps")
    parser.add_argument("--dims", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--steps", type=int, default=6, help="timed steps per optimizer")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--tol", type=float, default=1e-10, help="squared relative CG residual")
    parser.add_argument("--atol", type=float, default=1e-16, help="squared absolute CG residual")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--float64", action="store_true",
                        help="float64 everywhere: ours and the reference then agree to ~1e-12")
    args = parser.parse_args(argv)
    if args.quick:
        args.dims, args.batches, args.steps = [32], [32], 5
    torch.set_num_threads(1)
    if args.float64:  # the reference allocates its CG start vector in the default dtype
        torch.set_default_dtype(torch.float64)
    counter = HvpCounter()
    print(f"CPU, 1 thread, {torch.get_default_dtype()}, torch {torch.__version__}; ACGD lr {args.lr:g}, "
          f"tol {args.tol:g}, atol {args.atol:g}, max_iter None; {args.warmup} warm-up + "
          f"{args.steps} timed steps; median ms per step incl. forward")
    if CGDs is None:
        print("CGDs is not installed: reference columns left out (pip install CGDs==0.4.5)")
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference warns when CG takes > 100 iterations
        for dim in args.dims:
            for batch in args.batches:
                rows.append(run_config(dim, batch, args, counter))
    print_table(rows)


if __name__ == "__main__":
    main()
