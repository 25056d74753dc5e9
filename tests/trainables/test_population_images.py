"""Image architectures (dcgan, resnet) in a population: each member is its solo trial -- the same
parameters, BatchNorm running statistics and batch counts, gradient calls and solver counts.

The tensors closest to the bound are a BatchNorm's gauge (``gauge``): a bias that feeds a BatchNorm in
training mode (dcgan: the Linear and ConvTranspose before each BatchNorm; resnet: every convolution of
a generator block) has a gradient of exactly zero, since the BatchNorm subtracts it again. Its computed
gradient is rounding noise, which Adam's normalisation turns into steps, so such a bias -- and the
running mean of the BatchNorm it feeds, which carries it -- moves by rounding alone: here up to 6e-9
relative after 30 iterations (1e-7 after 50), every other tensor within 1e-14. The solo trial differs
from itself by as much in the same tensors when run in ``channels_last`` memory format (1e-8), and at
higher rates (lr 1e-2, batch 8) by 1e-5 to 3e-4, as a member then differs from its solo trial; an
error message names such a tensor as gauge.

30 iterations rather than 50, to keep the eight float64 cases near a minute and a half on two shared cores.
"""
import copy

import pytest
import torch

from tests.trainables.test_population_competitive import assert_same_steps, recording, run_solo
from trainables.config import make_config
from trainables.population import Population, refusal

ITERATIONS = 30
IMAGES = {"dataset": "digits", "loss": "wgan", "width_mult": 1 / 16, "batch_size": 4, "z_dim": 4,
          "iterations": ITERATIONS, "eval_every": ITERATIONS, "eval_samples": 20, "device": "cpu"}
# as tests/trainables/test_population.py's members, at WGAN-GP's rates (plain WGAN's D loss grows without bound)
MEMBERS = [{"seed": 0, "lr": 1e-4}, {"seed": 1, "lr": 3e-4}, {"seed": 2, "lr": 1e-3, "lr_g": 2e-4, "lr_d": 5e-4}]


def gauge(G: torch.nn.Module, z_dim: int) -> set[str]:
    """G's biases whose training-mode output does not depend on them, and the running means they shift."""
    rng = torch.Generator().manual_seed(1)
    z = torch.randn(6, z_dim, generator=rng)

    def moved(names):
        """A copy of G whose ``names`` are moved at random; its output and its running means after one forward."""
        copy_ = copy.deepcopy(G).train()
        with torch.no_grad():
            for name in names:
                p = copy_.get_parameter(name)
                p.add_(torch.randn(p.shape, generator=rng))
        return copy_(z), dict(copy_.named_buffers())

    out, buffers = moved(())
    free = {n for n, _ in G.named_parameters()
            if n.endswith("bias") and torch.allclose(moved((n,))[0], out, rtol=1e-9, atol=1e-12)}
    shifted = moved(free)[1]
    return free | {n for n, b in buffers.items() if n.endswith("running_mean")
                   and not torch.allclose(shifted[n], b, rtol=1e-9, atol=1e-12)}


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().double(), b.detach().double()
    return float((a - b).norm() / b.norm().clamp_min(1e-300))


def assert_same_state(member, solo) -> None:
    free = {f"G.{name}" for name in gauge(solo.G, IMAGES["z_dim"])}
    for prefix, mine, theirs in (("G.", member.G, solo.G), ("D.", member.D, solo.D)):
        for (name, a), (other, b) in zip(mine.state_dict().items(), theirs.state_dict().items()):
            assert name == other
            if not a.is_floating_point():  # num_batches_tracked
                assert torch.equal(a, b), name
                continue
            gap = _relative(a, b)
            kind = "a BatchNorm gauge tensor (module docstring)" if prefix + name in free else ""
            assert gap < 1e-6, (prefix + name, gap, kind)
    z = torch.randn(16, IMAGES["z_dim"], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert _relative(member.G(z), solo.G(z)) < 1e-6  # training mode: batch statistics


CASES = [(arch, optimizer, regularizer) for arch in ("dcgan", "resnet")
         for optimizer, regularizer in (("adam", "none"), ("adam", "gp"), ("acgd", "none"))]
# cheap on the dcgan: R1's double backward on real data; GACGD's two losses, G's BatchNorm updated twice a step
CASES += [("dcgan", "sgd", "r1"), ("dcgan", "gacgd", "none")]


@pytest.mark.parametrize("arch, optimizer, regularizer", CASES)
def test_image_members_match_their_solo_trials(float64, arch, optimizer, regularizer):
    cfgs = [{**IMAGES, "arch": arch, "optimizer": optimizer, "regularizer": regularizer, **m} for m in MEMBERS]
    population = Population(cfgs)
    steps = [recording(m) for m in population.members]
    for _ in range(ITERATIONS):  # no reports: an image evaluation would train the feature classifier
        population.step()
    for k, cfg in enumerate(cfgs):
        solo, solo_steps = run_solo(cfg, ITERATIONS)
        population.sync(k)
        member = population.members[k]
        assert solo.progress.status == member.progress.status == "running"
        assert member.progress.iteration == solo.progress.iteration == ITERATIONS
        assert member.progress.grad_calls == solo.progress.grad_calls
        if optimizer in ("acgd", "gacgd"):
            assert_same_steps(steps[k], solo_steps)  # CG iterations, products and gradient calls per step
        assert_same_state(member, solo)


def test_a_frozen_members_batchnorm_statistics_stay_as_its_solo_trial_left_them(float64):
    # member 1 diverges at iteration 4 (Adam at 1e-2, |loss| > 100); the population's later forward
    # passes still run it, but its running statistics and batch counts stay where its solo trial stopped
    cfgs = [{**IMAGES, "arch": "dcgan", "optimizer": "adam", "regularizer": "none", "diverge_loss": 100.0, **m}
            for m in ({"seed": 0, "lr": 1e-4}, {"seed": 1, "lr": 1e-2})]
    population = Population(cfgs)
    for _ in range(12):
        for k in population.step():
            if population.members[k].progress.status == "diverged":
                population.active[k] = False  # what ``record`` does (without its evaluation)
    solo, _ = run_solo(cfgs[1], 12)
    assert solo.progress.status == population.members[1].progress.status == "diverged"
    assert solo.progress.iteration == population.members[1].progress.iteration == 4
    population.sync(1)
    assert_same_state(population.members[1], solo)
    assert population.members[0].progress.iteration == 12
    population.sync(0)
    assert_same_state(population.members[0], run_solo(cfgs[0], 12)[0])


def test_a_restored_image_population_goes_on_bit_identically(float64):
    cfgs = [{**IMAGES, "arch": "resnet", "optimizer": "adam", "regularizer": "gp", **m} for m in MEMBERS]
    population = Population(cfgs)
    for _ in range(3):
        population.step()
    state = copy.deepcopy(population.state())  # as a checkpoint holds it (the optimizer's moments are live)
    for _ in range(3):
        population.step()
    resumed = Population(cfgs)
    resumed.restore(state)
    for _ in range(3):
        resumed.step()
    for player, again in ((population.G, resumed.G), (population.D, resumed.D)):
        for a, b in zip([*player.parameters(), *player.buffers()], [*again.parameters(), *again.buffers()]):
            assert torch.equal(a, b)


def test_image_architectures_batch_and_spectral_normalisation_is_refused():
    for arch in ("dcgan", "resnet"):
        cfg = make_config({**IMAGES, "arch": arch, "optimizer": "adam", "regularizer": "gp"})
        assert refusal(cfg) is None
        assert refusal(cfg.model_copy(update={"spectral_norm": True})).startswith("spectral_norm")
