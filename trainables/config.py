"""The trial config: every key declared once, with its default (StudioGAN-style).

A trial is a pure function of this config. Unknown keys and bad values are rejected with the field
named; component names are checked against the registries; incompatible combinations are rejected
by the registered config rules (``trainables.compat``, the one place that knows them).

Two normalisations make equal trials equal configs (one hash, one trial, reported once):
- a setting that the trial's optimizer and regularizers do not read (``uses`` of the registered
  components: Adam's betas for ACGD, ACGD's solver settings for Adam, ...) is reset to its default;
- solver settings left unset (``None``) take the optimizer's published default (ACGD's CG and
  GACGD's GMRES tolerances differ in meaning and value).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from trainables import components  # noqa: F401  (fills the registries)
from trainables.registry import ALL, CONFIG_RULES, OPTIMIZERS, REGULARIZERS
from trainables.regularizers import compose

# settings some component reads: reset to their default in a trial whose components do not read them
OWNED_KEYS = frozenset().union(*(OPTIMIZERS.get(n).uses for n in OPTIMIZERS),
                               *(REGULARIZERS.get(n).uses for n in REGULARIZERS))
SOLVER_DEFAULTED = ("cg_tol", "cg_atol", "acgd_eps")  # None -> the optimizer's published value


def _read_keys(optimizer, regularizers) -> set[str]:
    return set(optimizer.uses).union(*(r.uses for r in regularizers))


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
    lr_g: PositiveFloat | None = Field(None, description="generator lr; defaults to lr")
    lr_d: PositiveFloat | None = Field(None, description="discriminator lr; defaults to lr")
    beta1: float = Field(0.5, ge=0.0, lt=1.0)
    beta2: float = Field(0.9, ge=0.0, lt=1.0)
    n_critic: PositiveInt = Field(5, description="D steps per G step (alternating methods only)")
    batch_size: PositiveInt = 256
    # competitive solvers (bcgd, acgd, gacgd)
    cg_tol: PositiveFloat | None = Field(
        None, description="relative residual bound: squared for CG (acgd, bcgd), the norm for GMRES (gacgd); "
                          "None: the optimizer's published default")
    cg_atol: PositiveFloat | None = Field(None, description="absolute residual bound, same semantics; None: default")
    cg_max_iter: PositiveInt | None = Field(100, description="iteration cap of each solve (ours; None: no cap)")
    acgd_beta: float = Field(0.99, ge=0.0, lt=1.0)
    acgd_eps: PositiveFloat | None = Field(None, description="None: the optimizer's published default")
    # regularizers
    gp_lambda: float = Field(10.0, ge=0.0)
    r1_gamma: float = Field(10.0, ge=0.0, description="R1 weight in (gamma/2) E||grad D(real)||^2")
    alr_lambda: float = Field(10.0, ge=0.0, description="ALR weight (reference code lambda_lp)")
    alr_eps_min: PositiveFloat = Field(0.1, description="ALR perturbation size ~ U(eps_min, eps_max)")
    alr_eps_max: PositiveFloat = 10.0
    alr_xi: PositiveFloat = Field(10.0, description="ALR power-iteration step")
    alr_power_iters: int = Field(1, ge=0, description="ALR power iterations (reference ip); 0 = random")
    alr_k: float = Field(1.0, ge=0.0, description="ALR Lipschitz target K")
    alr_p: float = Field(2.0, ge=1.0, description="ALR norm on data space")
    advas_gamma: float = Field(1.0, ge=0.0, description="AdvAs assist / main gradient norm ratio")
    brc_mu: PositiveFloat = Field(1.0, description="BRC damping of the rank-one Hessian (our choice)")
    # run length, evaluation and divergence
    iterations: PositiveInt = Field(1000, description="run length; with max_grad_calls, only a cap")
    eval_every: PositiveInt = Field(250, description="iterations between evaluations (unbudgeted trials)")
    max_grad_calls: PositiveInt | None = Field(
        None, description="equal-compute budget: stop once this many gradient calls are spent")
    eval_from: PositiveInt = Field(
        1000, description="budgeted trials: first evaluation (gradient calls); then ~3 per doubling and at the end")
    eval_bn: Literal["batch", "running"] = Field(
        "batch", description="BatchNorm statistics when the generator is evaluated (see metrics/evaluate.py)")
    eval_samples: PositiveInt = 2500
    diverge_loss: PositiveFloat = Field(1e6, description="|loss| above this counts as divergence")
    seed: int = Field(0, ge=0)
    device: str = Field("auto", pattern="^(auto|cpu|cuda(:[0-9]+)?)$")
    # images (data_images.py, arch_dcgan.py, arch_resnet.py, metrics_fidelity.py)
    resolution: PositiveInt | None = Field(
        None, description="image side, 4*2^k px; None: the dataset's (digits 16, mnist/cifar10/folder 32)")
    width_mult: PositiveFloat = Field(1.0, description="channels of dcgan (64 at 1) and resnet (128 at 1)")
    data_root: str | None = Field(
        None, description="mnist/cifar10 files in torchvision's layout, or the folder dataset's images; "
                          "None: $GANSTUDY_DATA, else ~/.cache/ganstudy/data")
    data_download: bool = Field(False, description="let torchvision download missing mnist/cifar10 files")
    eval_extractor: str = Field("classifier", pattern="^(classifier|inception)$",
                                description="IS/FID/KID features: a CNN trained on the data (offline) or Inception")
    eval_split: str = Field("train", pattern="^(train|test)$", description="reference split for FID/KID")
    inception_weights: str | None = Field(
        None, description="local Inception weights file; None: $GANSTUDY_INCEPTION_WEIGHTS, else download")
    cache_root: str | None = Field(
        None, description="classifier and reference statistics cache; None: $GANSTUDY_CACHE, else ~/.cache/ganstudy")

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        if "budget_evals" in values:  # a config of a study from before the fixed schedule: it no longer applies
            values = {k: v for k, v in values.items() if k != "budget_evals"}
        name = values.get("optimizer", "adam")
        optimizer = OPTIMIZERS.get(name) if isinstance(name, str) and name in OPTIMIZERS else None
        regularizer = values.get("regularizer", "none")
        try:
            regularizers = compose.parts(regularizer) if isinstance(regularizer, str) else None
        except KeyError:
            regularizers = None  # the field validator names the unknown part
        if optimizer is None or regularizers is None:
            return values
        values = dict(values)
        read = _read_keys(optimizer, regularizers)
        for key in OWNED_KEYS - read:
            values.pop(key, None)
        for key in SOLVER_DEFAULTED:
            if values.get(key) is None and key in optimizer.defaults:
                values[key] = optimizer.defaults[key]
        return values

    @field_validator(*ALL)
    @classmethod
    def _registered(cls, name: str, info: ValidationInfo) -> str:
        registry = ALL[info.field_name]
        if info.field_name == "regularizer" and isinstance(name, str):
            try:
                return compose.canonical(name)
            except KeyError as e:
                raise ValueError(f"{e.args[0]}") from None
        if name not in registry:
            raise ValueError(f"unknown {info.field_name} {name!r}; registered: {', '.join(registry.names())}")
        return name

    @model_validator(mode="after")
    def _compatible(self) -> TrialConfig:
        for rule in CONFIG_RULES:
            CONFIG_RULES.get(rule)(self)
        if self.alr_eps_min > self.alr_eps_max:
            raise ValueError(f"alr_eps_min: {self.alr_eps_min} exceeds alr_eps_max ({self.alr_eps_max})")
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


def method_defaults(cfg: TrialConfig) -> dict[str, Any]:
    """The published default of the trial's method (optimizer + regularizers) as one set of settings."""
    out = dict(OPTIMIZERS.get(cfg.optimizer).defaults)
    for part in compose.parts(cfg.regularizer):
        out.update(part.defaults)
    return out


def reads(cfg: TrialConfig, key: str) -> bool:
    """Whether the trial's method reads ``key`` (settings no component owns are read by every trial)."""
    return key not in OWNED_KEYS or key in _read_keys(OPTIMIZERS.get(cfg.optimizer), compose.parts(cfg.regularizer))
