"""trainables.optim against the reference package CGDs 0.4.5, plus the optimizer contract.

Reference comparisons run in float64 with float64 as the default dtype: the reference allocates
its CG start vector and GMRES Hessenberg matrix in the default dtype.
"""
from __future__ import annotations

import copy
import io

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from trainables.architectures.dcgan import DCGANDiscriminator, DCGANGenerator
from trainables.optim import ACGD, BCGD, GACGD, NonFiniteError

INFO_KEYS = {"cg_iters", "cg_rel_residual", "cg_converged", "hvp_calls", "grad_calls"}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# -- games: players (max/G, min/D) and per-step losses from a seeded generator ----------------
def mlp_gan(dtype=torch.float64):
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2)).to(dtype)
    D = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1)).to(dtype)
    return G, D, (4,), (2,), 32


def tiny_dcgan(dtype=torch.float64):
    torch.manual_seed(0)
    G = DCGANGenerator(z_dim=8, dim=4).to(dtype)
    D = DCGANDiscriminator(dim=4).to(dtype)
    return G, D, (8,), (3, 32, 32), 4


def batch(game, t):
    G, _, z_shape, x_shape, n = game
    dtype = next(G.parameters()).dtype
    gen = torch.Generator().manual_seed(1000 + t)
    real = (torch.randn(n, *x_shape, generator=gen) * 0.5 + 1.0).to(dtype)
    return real, torch.randn(n, *z_shape, generator=gen).to(dtype)


def wgan(game, t):
    """D's WGAN loss: minimised by D, maximised by G (the ICR zero-sum convention)."""
    G, D = game[:2]
    real, z = batch(game, t)
    return D(G(z)).mean() - D(real).mean()


def ns_losses(game, t):
    """Non-saturating GAN: (G's loss, D's loss), a general-sum game."""
    G, D = game[:2]
    real, z = batch(game, t)
    fake = D(G(z))
    return F.softplus(-fake).mean(), F.softplus(-D(real)).mean() + F.softplus(fake).mean()


def flat(*modules):
    return torch.cat([p.detach().reshape(-1) for m in modules for p in m.parameters()])


def rel_err(a, b):
    return float((a - b).norm() / b.norm())


# -- ours vs CGDs: same arguments, same trajectories -------------------------------------------
# Learning rates keep CG well conditioned: at lr 1e-2 the tiny DCGAN's trajectory is chaotic
# (the reference itself moves by 1e-8 after one step when the parameters move by 1e-15).
GAMES = {"mlp": (mlp_gan, 1e-2), "dcgan": (tiny_dcgan, 1e-3)}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("game_name", list(GAMES))
@pytest.mark.parametrize("name", ["acgd", "bcgd", "gacgd"])
def test_matches_reference(name, game_name, float64):
    CGDs = pytest.importorskip("CGDs")
    make_game, lr = GAMES[game_name]
    ours_game = make_game()
    ref_game = (copy.deepcopy(ours_game[0]), copy.deepcopy(ours_game[1]), *ours_game[2:])
    if name == "gacgd":
        kw = dict(lr_x=lr, lr_y=lr, max_iter=30)  # the reference's GMRES allocates max_iter^2
        ours = GACGD(ours_game[0].parameters(), ours_game[1].parameters(), **kw)
        ref = CGDs.GACGD(ref_game[0].parameters(), ref_game[1].parameters(), **kw)
        step = lambda opt, game, t: opt.step(*ns_losses(game, t))  # noqa: E731
    else:
        kw = dict(lr_max=lr, lr_min=lr)
        ours = {"acgd": ACGD, "bcgd": BCGD}[name](
            ours_game[0].parameters(), ours_game[1].parameters(), **kw)
        ref = getattr(CGDs, name.upper())(ref_game[0].parameters(), ref_game[1].parameters(), **kw)
        step = lambda opt, game, t: opt.step(wgan(game, t))  # noqa: E731
    start = flat(*ours_game[:2])
    for t in range(5):
        step(ours, ours_game, t)
        step(ref, ref_game, t)
        assert INFO_KEYS <= ours.get_info().keys()
        assert rel_err(flat(*ours_game[:2]), flat(*ref_game[:2])) <= 1e-8, f"step {t}"
    assert rel_err(flat(*ours_game[:2]), start) > 1e-6  # the players did move


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name, options", [
    ("ACGD", dict(solve_x=True)),  # solve for the min player first
    ("BCGD", dict(solve_x=True)),
    ("BCGD", dict(update_max=True)),  # one-sided updates
    ("BCGD", dict(update_max=False)),
])
def test_matches_reference_options(name, options, float64):
    CGDs = pytest.importorskip("CGDs")
    ours_game = mlp_gan()
    ref_game = (copy.deepcopy(ours_game[0]), copy.deepcopy(ours_game[1]), *ours_game[2:])
    kw = dict(lr_max=1e-2, lr_min=2e-2, **options)
    ours = {"ACGD": ACGD, "BCGD": BCGD}[name](
        ours_game[0].parameters(), ours_game[1].parameters(), **kw)
    ref = getattr(CGDs, name)(ref_game[0].parameters(), ref_game[1].parameters(), **kw)
    for t in range(4):
        ours.step(wgan(ours_game, t))
        ref.step(wgan(ref_game, t))
        assert rel_err(flat(*ours_game[:2]), flat(*ref_game[:2])) <= 1e-8, f"step {t}"


# -- the optimizer contract, run over every optimizer ------------------------------------------
CONTRACT = {
    "acgd": lambda mx, mn, lr=0.1, **kw: ACGD(mx, mn, lr_max=lr, lr_min=lr, **kw),
    "bcgd": lambda mx, mn, lr=0.1, **kw: BCGD(mx, mn, lr_max=lr, lr_min=lr, **kw),
    "gacgd": lambda mx, mn, lr=0.1, **kw: GACGD(mx, mn, lr_x=lr, lr_y=lr, **kw),
}
# every optimizer steps the zero-sum loss f maximised by the first player; GACGD as general sum
STEP = {
    "acgd": lambda opt, f: opt.step(f),
    "bcgd": lambda opt, f: opt.step(f),
    "gacgd": lambda opt, f: opt.step(-f, f),
}
optimizers = pytest.mark.parametrize("name", list(CONTRACT))


@optimizers
def test_float32_smoke(name, capsys):
    game = mlp_gan(torch.float32)
    opt = CONTRACT[name](game[0].parameters(), game[1].parameters(), lr=1e-2, tol=1e-8)
    start = flat(*game[:2])
    for t in range(3):
        STEP[name](opt, wgan(game, t))
    end = flat(*game[:2])
    assert end.dtype == torch.float32 and torch.isfinite(end).all()
    assert rel_err(end, start) > 1e-6
    assert all(v.dtype == torch.float32 for v in opt.state_dict().values()
               if isinstance(v, torch.Tensor))
    assert capsys.readouterr().out == ""  # library code does not print


@optimizers
def test_bilinear_game_converges_to_zero(name, float64):
    """f(x, y) = x^T A y, singular values of A in [1, 2]: the Nash equilibrium is 0."""
    torch.manual_seed(0)
    (u, _), (v, _) = torch.linalg.qr(torch.randn(4, 4)), torch.linalg.qr(torch.randn(4, 4))
    A = u @ torch.diag(torch.tensor([1.0, 1.3, 1.6, 2.0])) @ v
    x, y = nn.Parameter(torch.randn(4)), nn.Parameter(torch.randn(4))
    opt = CONTRACT[name]([x], [y], lr=1.0)
    start = torch.cat([x, y]).norm().item()
    for _ in range(100):
        STEP[name](opt, x @ A @ y)
    assert torch.cat([x, y]).norm().item() < 1e-5 * start


@optimizers
def test_state_dict_round_trip_is_bit_identical(name, float64):
    def run(game, opt, steps):
        for t in steps:
            STEP[name](opt, wgan(game, t))

    whole = mlp_gan()
    run(whole, CONTRACT[name](whole[0].parameters(), whole[1].parameters(), lr=1e-2), range(6))

    first = mlp_gan()
    opt = CONTRACT[name](first[0].parameters(), first[1].parameters(), lr=1e-2)
    run(first, opt, range(3))
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    resumed = (copy.deepcopy(first[0]), copy.deepcopy(first[1]), *first[2:])
    fresh = CONTRACT[name](resumed[0].parameters(), resumed[1].parameters(), lr=1.0)
    fresh.load_state_dict(state)
    run(resumed, fresh, range(3, 6))
    assert torch.equal(flat(*resumed[:2]), flat(*whole[:2]))
    assert fresh.get_info()["step"] == 6


@optimizers
def test_non_finite_loss_or_gradient_raises_before_updating(name, float64):
    game = mlp_gan()
    opt = CONTRACT[name](game[0].parameters(), game[1].parameters())
    STEP[name](opt, wgan(game, 0))
    params, state = flat(*game[:2]), opt.state_dict()
    with pytest.raises(NonFiniteError):
        STEP[name](opt, wgan(game, 1) * float("nan"))
    x, y = nn.Parameter(torch.zeros(3)), nn.Parameter(torch.ones(3))
    opt2 = CONTRACT[name]([x], [y])
    with pytest.raises(NonFiniteError, match="gradient"):  # d sqrt|x| / dx at 0 is NaN
        STEP[name](opt2, (x * y).sum() + x.abs().sqrt().sum())
    assert torch.equal(x, torch.zeros(3)) and opt2.state_dict()["step"] == 0
    assert torch.equal(flat(*game[:2]), params)
    after = opt.state_dict()
    assert after["step"] == state["step"] == 1
    assert all(torch.equal(v, after[k]) for k, v in state.items() if isinstance(v, torch.Tensor))
    assert issubclass(NonFiniteError, FloatingPointError)


@optimizers
def test_bad_arguments_raise_value_error(name):
    game = mlp_gan()
    first, second = ("x_params", "y_params") if name == "gacgd" else ("max_params", "min_params")
    with pytest.raises(ValueError, match=first):
        CONTRACT[name]([], game[1].parameters())
    with pytest.raises(ValueError, match=second):
        CONTRACT[name](game[0].parameters(), game[1])  # a Module, not its parameters
    with pytest.raises(ValueError, match=second):
        CONTRACT[name](game[0].parameters(), [1.0])
    with pytest.raises(ValueError, match="max_iter"):
        CONTRACT[name](game[0].parameters(), game[1].parameters(), max_iter=0)
    opt = CONTRACT[name](game[0].parameters(), game[1].parameters())
    with pytest.raises(ValueError, match="state_dict"):
        opt.load_state_dict({"step": 1})


@optimizers
def test_iteration_cap_reports_non_convergence(name, float64):
    game = mlp_gan()
    opt = CONTRACT[name](game[0].parameters(), game[1].parameters(), tol=0.0, atol=0.0,
                         max_iter=1)
    for t in range(2):
        STEP[name](opt, wgan(game, t))
        info = opt.get_info()
        assert INFO_KEYS <= info.keys()
        assert info["cg_iters"] == 1 and info["cg_converged"] is False
        assert info["cg_rel_residual"] > 0
        assert info["grad_calls"] == info["hvp_calls"] + (2 if name == "gacgd" else 1)
    # ACGD/BCGD, warm-started step: 1 right-hand side + 2 warm start + 2 per CG iteration
    assert info["hvp_calls"] == (2 if name == "gacgd" else 5)


@optimizers
def test_unused_parameter_is_zero_padded(name, float64):
    game = mlp_gan()
    unused = nn.Parameter(torch.ones(3))
    opt = CONTRACT[name]([*game[0].parameters(), unused], game[1].parameters(), lr=1e-2)
    for t in range(2):
        STEP[name](opt, wgan(game, t))
    assert torch.equal(unused, torch.ones(3))


def test_bcgd_momentum_averages_cg_directions(float64):
    """The reference crashes for momentum != 0; ours keeps a heavy-ball average in its state."""
    game = mlp_gan()
    opt = BCGD(game[0].parameters(), game[1].parameters(), lr_max=1e-2, lr_min=1e-2, momentum=0.5)
    for t in range(3):
        opt.step(wgan(game, t))
    state = opt.state_dict()
    assert state["exp_avg_max"].shape == state["old_max"].shape
    assert torch.isfinite(flat(*game[:2])).all()
