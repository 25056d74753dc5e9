import pytest
from pydantic import ValidationError

from trainables.config import TrialConfig
from trainables.registry import ALL, OPTIMIZERS, Registry


def test_defaults_are_a_valid_trial():
    cfg = TrialConfig()
    assert cfg.lr_generator == cfg.lr_discriminator == cfg.lr
    assert (cfg.beta1, cfg.beta2, cfg.n_critic, cfg.gp_lambda) == (0.5, 0.9, 5, 10.0)  # WGAN-GP as published


def test_lr_overrides_per_player():
    cfg = TrialConfig(lr=1e-3, lr_d=4e-4)
    assert (cfg.lr_generator, cfg.lr_discriminator) == (1e-3, 4e-4)


@pytest.mark.parametrize("values, field", [
    ({"lrr": 1e-3}, "lrr"),
    ({"lr": -1.0}, "lr"),
    ({"lr": "fast"}, "lr"),
    ({"beta1": 1.0}, "beta1"),
    ({"iterations": 0}, "iterations"),
])
def test_bad_values_name_the_field(values, field):
    with pytest.raises(ValidationError) as e:
        TrialConfig(**values)
    assert e.value.errors()[0]["loc"] == (field,)


@pytest.mark.parametrize("kind", list(ALL))
def test_unknown_component_is_named(kind):
    with pytest.raises(ValidationError, match=f"unknown {kind} 'nope'; registered: ") as e:
        TrialConfig(**{kind: "nope"})
    assert e.value.errors()[0]["loc"] == (kind,)


def test_zero_sum_solver_refuses_non_zero_sum_loss():
    with pytest.raises(ValidationError, match="loss: optimizer 'acgd' solves zero-sum games"):
        TrialConfig(optimizer="acgd", loss="ns")
    TrialConfig(optimizer="gacgd", loss="ns")  # the general-sum solver takes it


def test_every_optimizer_builds_with_defaults():
    for name in OPTIMIZERS:
        TrialConfig(optimizer=name)


def test_registry_rejects_duplicates_and_bad_names():
    r = Registry("thing")
    r.register("a", 1)
    with pytest.raises(ValueError, match="already registered"):
        r.register("a", 2)
    with pytest.raises(ValueError, match="plain non-empty string"):
        r.register(" b", 3)
    with pytest.raises(KeyError, match="unknown thing 'c'; registered: a"):
        r.get("c")
