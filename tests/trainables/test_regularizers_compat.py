"""The generated optimizer x regularizer x loss matrix agrees with config validation; the hinge loss."""
import pytest
import torch
from pydantic import ValidationError

from trainables.compat_table import compatibility_matrix, compatibility_table
from trainables.config import TrialConfig
from trainables.registry import LOSSES, OPTIMIZERS, REGULARIZERS


def test_matrix_covers_every_combination_and_matches_validation():
    matrix = compatibility_matrix()
    assert set(matrix) == {(o, r, loss) for o in OPTIMIZERS for r in REGULARIZERS for loss in LOSSES}
    for (optimizer, regularizer, loss), reason in matrix.items():
        if reason is None:
            TrialConfig(optimizer=optimizer, regularizer=regularizer, loss=loss)
        else:
            with pytest.raises(ValidationError) as e:
                TrialConfig(optimizer=optimizer, regularizer=regularizer, loss=loss)
            assert reason in str(e.value)


def test_matrix_states_the_rules():
    matrix = compatibility_matrix()
    # generator-side methods need an optimizer that follows game.g_grads
    for o in OPTIMIZERS:
        follows = OPTIMIZERS.get(o).follows_generator_grads
        assert (matrix[o, "advas", "wgan"] is None) == follows
        assert (matrix[o, "brc", "ns"] is None) == (follows and not OPTIMIZERS.get(o).zero_sum_only)
    # D-side penalties compose with every optimizer that takes the loss
    for o in OPTIMIZERS:
        for r in ("gp", "r1", "alr"):
            assert matrix[o, r, "wgan"] is None
    assert "acgd" in matrix["acgd", "none", "hinge"] and "not zero-sum" in matrix["acgd", "none", "hinge"]
    assert matrix["gacgd", "alr", "hinge"] is None


def test_table_has_a_row_per_optimizer_and_a_column_per_loss():
    lines = compatibility_table().splitlines()
    assert lines[0] == "| optimizer | " + " | ".join(LOSSES.names()) + " |"
    rows = {line.split(" | ")[0].strip("| ") for line in lines[2:] if line.startswith("| ")}
    assert rows == set(OPTIMIZERS.names())


def test_hinge_loss_values_and_not_zero_sum():
    hinge = LOSSES.get("hinge")
    assert hinge.zero_sum is False
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-2.0, 0.0, 1.0])
    # relu(1 - real) = [0, .5, 2], relu(1 + fake) = [0, 1, 2]
    assert torch.isclose(hinge.d_loss(real, fake), torch.tensor(2.5 / 3 + 3.0 / 3))
    assert torch.isclose(hinge.g_loss(fake), torch.tensor(1.0 / 3))
    with pytest.raises(ValidationError, match="loss: optimizer 'acgd' solves zero-sum games"):
        TrialConfig(optimizer="acgd", loss="hinge")
    TrialConfig(optimizer="gacgd", loss="hinge")
