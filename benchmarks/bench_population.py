"""Member-trials per core-second: a population against the same trials trained one after another.

The claim study's toy environment (ring8, MLP width 64, depth 2, batch 128, WGAN loss), one CPU
thread, float32, at K = 5 and 35 members that differ in seed and learning rate. Each case times
``--iterations`` iterations of the K solo trials (``Trial.step``) and of the population
(``Population.step``), interleaved over ``--rounds`` rounds, and prints the median rates, their
ratio, and the arithmetic floor: the matrix-multiply FLOPs of one population iteration (counted by
``torch.utils.flop_counter``) at the measured peak of ``baddbmm`` on the same shapes, and the share
of that floor the population reaches. For acgd the population iteration runs until its slowest
member's CG solve stops (the others' rows idle meanwhile), while each solo trial stops on its own: the
ratio includes that. On CUDA (``--device cuda``) it also runs K = 1,000.

Then the digits DCGAN (the image architectures batch through ``torch.vmap``: grouped convolutions),
adam+none at its defaults (16x16, 64 base channels, batch 256) and at a quarter of the width and batch
64, K = 5 (and 35 at full size without ``--quick``), and the digits ResNet at a quarter of its width
(32 channels) and batch 64, K = 5: population against solo trials, interleaved in the same way, and no
floor (the ``baddbmm`` peak does not bound convolutions).

    python benchmarks/bench_population.py            # about 15 minutes on one core (the K = 35 DCGAN: 10)
    python benchmarks/bench_population.py --quick    # K = 5 only, fewer iterations (about 3 minutes)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainables.config import make_config  # noqa: E402
from trainables.loop import Trial  # noqa: E402
from trainables.population import Population, refusal  # noqa: E402

TOY = {"dataset": "ring8", "arch": "mlp", "loss": "wgan", "width": 64, "depth": 2, "batch_size": 128,
       "z_dim": 2, "iterations": 10**6, "eval_every": 10**6, "eval_samples": 2500}
METHODS = [("adam", "none"), ("adam", "gp"), ("acgd", "none"), ("acgd", "gp")]
DIGITS = {"dataset": "digits", "arch": "dcgan", "loss": "wgan", "optimizer": "adam", "regularizer": "none",
          "iterations": 10**6, "eval_every": 10**6}
# (label, settings, K) of the digits image cases; K = 35 only without --quick
QUARTER = {"width_mult": 0.25, "batch_size": 64}
DIGITS_CASES = [("width 1, batch 256", {}, 5), ("width 1/4, batch 64", QUARTER, 5),
                ("width 1/4, batch 64", {**QUARTER, "arch": "resnet"}, 5), ("width 1, batch 256", {}, 35)]


def members(optimizer: str, regularizer: str, k: int, device: str) -> list[dict]:
    lrs = [10 ** (-5 + 3 * i / max(k - 1, 1)) for i in range(k)]  # 1e-5 .. 1e-2
    return [{**TOY, "optimizer": optimizer, "regularizer": regularizer, "seed": i, "lr": lr, "device": device}
            for i, lr in enumerate(lrs)]


def _time(fn, iterations: int, device: str) -> float:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def peak_flops(population: Population, device: str) -> float:
    """FLOP/s of ``baddbmm`` on the population's hidden-layer shape (the largest matmul it does)."""
    k, width, batch = len(population), population.cfg.width, population.cfg.batch_size
    x, w, b = (torch.randn(k, batch, width, device=device), torch.randn(k, width, width, device=device),
               torch.randn(k, 1, width, device=device))
    reps = 200
    seconds = min(_time(lambda: torch.baddbmm(b, x, w), reps, device) for _ in range(5))
    return 2 * k * batch * width * width * reps / seconds


def case(optimizer: str, regularizer: str, k: int, iterations: int, rounds: int, device: str) -> str:
    cfgs = members(optimizer, regularizer, k, device)
    why = refusal(make_config(cfgs[0]))
    if why:
        return f"{optimizer}+{regularizer:5s} K={k:<5d} trains alone ({why})"
    population = Population(cfgs)
    solos = [Trial(make_config(c)) for c in cfgs] if device == "cpu" or k <= 35 else []
    population.step()  # warm-up
    for s in solos:
        s.step()
    with FlopCounterMode(display=False) as counter:
        population.step()
    flops = counter.get_total_flops()
    pop_s, solo_s = [], []
    for _ in range(rounds):
        pop_s.append(_time(population.step, iterations, device))
        if solos:
            solo_s.append(_time(lambda: [s.step() for s in solos], iterations, device))
    pop_rate = k * iterations / statistics.median(pop_s)  # member-iterations per second
    floor_rate = peak_flops(population, device) / flops * k
    line = (f"{optimizer}+{regularizer:5s} K={k:<5d} population {pop_rate:9.0f} member-it/s"
            f"  ({1e3 * k / pop_rate:6.1f} ms per population iteration)")
    if solos:
        solo_rate = k * iterations / statistics.median(solo_s)
        line += f"  solo {solo_rate:7.0f} member-it/s  speedup {pop_rate / solo_rate:5.2f}x"
    line += (f"  floor {floor_rate:9.0f} member-it/s ({flops / k / 1e6:.1f} MFLOP per member-it)"
             f"  at {100 * pop_rate / floor_rate:4.1f}% of it")
    return line


def image_case(label: str, settings: dict, k: int, iterations: int, rounds: int, device: str) -> str:
    """A digits population against its K solo trials (member-iterations per second, interleaved)."""
    lrs = [10 ** (-5 + 3 * i / max(k - 1, 1)) for i in range(k)]
    cfgs = [{**DIGITS, **settings, "seed": i, "lr": lr, "device": device} for i, lr in enumerate(lrs)]
    why = refusal(make_config(cfgs[0]))
    if why:
        return f"digits {cfgs[0]['arch']} ({label}) K={k:<3d} trains alone ({why})"
    population = Population(cfgs)
    solos = [Trial(make_config(c)) for c in cfgs]
    population.step()  # warm-up
    for s in solos:
        s.step()
    pop_s, solo_s = [], []
    for _ in range(rounds):
        pop_s.append(_time(population.step, iterations, device))
        solo_s.append(_time(lambda: [s.step() for s in solos], iterations, device))
    pop_rate = k * iterations / statistics.median(pop_s)
    solo_rate = k * iterations / statistics.median(solo_s)
    return (f"digits {cfgs[0]['arch']:6s} adam+none ({label}) K={k:<3d} population {pop_rate:6.2f} member-it/s"
            f"  ({statistics.median(pop_s) / iterations:6.2f} s per population iteration)"
            f"  solo {solo_rate:6.2f} member-it/s  speedup {pop_rate / solo_rate:5.2f}x"
            f"  (rounds: population {', '.join(f'{t / iterations:.2f}' for t in pop_s)} s/it,"
            f" solo {', '.join(f'{t / iterations:.2f}' for t in solo_s)} s/it)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sizes = [5] if args.quick else [5, 35]
    if args.device.startswith("cuda"):
        if not torch.cuda.is_available():
            sys.exit("bench_population: --device cuda asked for, but torch sees no CUDA device")
        sizes.append(1000)
    iterations = max(2, args.iterations // (2 if args.quick else 1))
    print(f"torch {torch.__version__}, {args.device}, {torch.get_num_threads()} thread(s), "
          f"{torch.backends.cpu.get_cpu_capability()}, {iterations} iterations x {args.rounds} rounds (median)")
    for optimizer, regularizer in METHODS:
        for k in sizes:
            print(case(optimizer, regularizer, k, iterations, args.rounds, args.device), flush=True)
    for label, settings, k in DIGITS_CASES:
        if k > 5 and args.quick:
            continue
        its = 1 if k > 5 else max(1, iterations // 10)  # a full-size member-iteration: about 2 s on one core
        print(image_case(label, settings, k, its, args.rounds, args.device), flush=True)


if __name__ == "__main__":
    main()
