"""The trial config: every key declared once, with its default (StudioGAN-style).

A trial is a pure function of this config. Unknown keys and bad values are rejected with the field
named; component names are checked against the registries; incompatible combinations are rejected
by :func:`trainables.compat.check_compatible`, the one place that knows them.
"""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, model_validator

from trainables import components  # noqa: F401  (fills the registries)
from trainables.compat import check_compatible
from trainables.registry import ALL


class TrialConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # what is trained
    dataset: str = "ring8"
    arch: str = "mlp"
    loss: str = "wgan"
    regularizer: str = "none"
    optimizer: str = "adam"
    # architecture
    width: PositiveInt = 128
    depth: PositiveInt = 3
    z_dim: PositiveInt = 2
    spectral_norm: bool = False
    # optimisation
    lr: PositiveFloat = 1e-4
    lr_g: Optional[PositiveFloat] = Field(None, description="generator lr; defaults to lr")
    lr_d: Optional[PositiveFloat] = Field(None, description="discriminator lr; defaults to lr")
    beta1: float = Field(0.5, ge=0.0, lt=1.0)
    beta2: float = Field(0.9, ge=0.0, lt=1.0)
    n_critic: PositiveInt = Field(5, description="D steps per G step (alternating methods only)")
    batch_size: PositiveInt = 256
    # competitive solvers (bcgd, acgd, gacgd)
    cg_tol: PositiveFloat = Field(1e-10, description="bound on the squared relative residual")
    cg_atol: PositiveFloat = 1e-16
    cg_max_iter: Optional[PositiveInt] = 100
    acgd_beta: float = Field(0.99, ge=0.0, lt=1.0)
    acgd_eps: PositiveFloat = 1e-5
    # regularizers
    gp_lambda: float = Field(10.0, ge=0.0)
    # run length, evaluation and divergence
    iterations: PositiveInt = 1000
    eval_every: PositiveInt = 250
    eval_samples: PositiveInt = 2500
    diverge_loss: PositiveFloat = Field(1e6, description="|loss| above this counts as divergence")
    seed: int = Field(0, ge=0)
    device: str = Field("auto", pattern="^(auto|cpu|cuda(:[0-9]+)?)$")

    @model_validator(mode="after")
    def _known_components_and_compatible(self) -> "TrialConfig":
        for kind, registry in ALL.items():
            name = getattr(self, kind)
            if name not in registry:
                raise ValueError(f"{kind}: unknown {kind} {name!r}; registered: {', '.join(registry.names())}")
        check_compatible(self)
        return self

    @property
    def lr_generator(self) -> float:
        return self.lr_g if self.lr_g is not None else self.lr

    @property
    def lr_discriminator(self) -> float:
        return self.lr_d if self.lr_d is not None else self.lr


FIELDS: tuple[str, ...] = tuple(TrialConfig.model_fields)


def make_config(values: dict[str, Any] | TrialConfig) -> TrialConfig:
    """Validate a plain dict (e.g. a Ray Tune config) into a TrialConfig."""
    if isinstance(values, TrialConfig):
        return values
    return TrialConfig(**values)
