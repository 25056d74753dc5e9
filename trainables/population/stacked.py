"""K players of one architecture as one: their tensors stacked along a leading member axis.

``StackedMLP`` (the ``mlp`` architecture): a member's layer ``y = x W^T + b`` becomes, for all members
at once, ``torch.baddbmm(b, x, W)`` on ``x`` of shape ``(members, batch, in)``: one kernel instead of K.

``StackedModule`` (any module without parametrizations: ``dcgan``, ``resnet``): the members' parameters
and buffers stacked by ``torch.func.stack_module_state``, the forward ``torch.func.functional_call`` of
one module under ``torch.vmap`` (convolutions become grouped convolutions, one group per member).
BatchNorm in training mode normalises each member by its own batch statistics and updates its own
slice of the stacked running statistics in place (vmap's batch rule folds the member axis into the
channels, so ``running_mean`` of shape ``(members, C)`` is updated as one of ``members * C`` channels,
each exactly as the member's solo layer would), and ``num_batches_tracked`` counts per member.

Either way the stacked parameters are the leaves autograd differentiates, so the gradient of a sum of
the members' losses is, slice by slice, each member's own gradient (the members share no parameter),
and double backward (gradient penalties) and Hessian-vector products go through the forward as alone.
Both offer ``parameters()``, ``buffers()``, ``__call__(x)`` on ``(members, batch, ...)`` and
``write_member(k, module)``.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn
from torch.func import functional_call, stack_module_state

Tensor = torch.Tensor


def linear_layers(module: nn.Module) -> list[nn.Linear] | None:
    """The Linear layers of a ``Linear, ReLU, ..., Linear`` stack (the MLP architecture), else None."""
    if not isinstance(module, nn.Sequential):
        return None
    layers = list(module)
    linears = layers[0::2]
    if not all(type(m) is nn.Linear for m in linears) or not all(type(m) is nn.ReLU for m in layers[1::2]):
        return None
    return linears if len(layers) % 2 == 1 else None


class StackedMLP:
    """``members`` copies of one MLP, trained together; built from (and written back to) solo modules."""

    def __init__(self, modules: Sequence[nn.Module]):
        per_member = [linear_layers(m) for m in modules]
        if any(layers is None for layers in per_member):
            raise ValueError("arch: only the mlp architecture batches into a population (Linear/ReLU layers)")
        self.weights = [torch.stack([layers[j].weight.detach().T for layers in per_member]).contiguous()
                        .requires_grad_(True) for j in range(len(per_member[0]))]
        self.biases = [torch.stack([layers[j].bias.detach()[None] for layers in per_member]).contiguous()
                       .requires_grad_(True) for j in range(len(per_member[0]))]

    @property
    def members(self) -> int:
        return self.weights[0].shape[0]

    def parameters(self) -> list[Tensor]:
        return [t for pair in zip(self.weights, self.biases) for t in pair]

    def buffers(self) -> list[Tensor]:
        return []

    def __call__(self, x: Tensor) -> Tensor:
        last = len(self.weights) - 1
        for j, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if j < last:
                x = torch.relu(x)
        return x

    @torch.no_grad()
    def write_member(self, k: int, module: nn.Module) -> None:
        """Copy member ``k``'s weights into its solo module (for evaluation, samples and checks)."""
        for layer, w, b in zip(linear_layers(module), self.weights, self.biases):
            layer.weight.copy_(w[k].T)
            layer.bias.copy_(b[k, 0])


class StackedModule:
    """``members`` copies of one module (same class and shapes), trained together through ``torch.vmap``."""

    def __init__(self, modules: Sequence[nn.Module]):
        modules = list(modules)
        if any(_parametrized(m) for m in modules):
            raise ValueError("populations do not batch parametrized modules (spectral normalisation)")
        params, buffers = stack_module_state(modules)  # leaves requiring grad; buffers detached copies
        self.params = {name: t.contiguous().requires_grad_(True) for name, t in params.items()}
        self.stacked_buffers = {name: t.contiguous() for name, t in buffers.items()}
        # the shape of one member, holding no data: its tensors are swapped for the stacked slices
        self._module = copy.deepcopy(modules[0]).to("meta")
        self._forward = torch.vmap(self._one)

    def _one(self, params: dict[str, Tensor], buffers: dict[str, Tensor], x: Tensor) -> Tensor:
        return functional_call(self._module, (params, buffers), (x,), tie_weights=False)  # none tied: stacked apart

    @property
    def members(self) -> int:
        return next(iter(self.params.values())).shape[0]

    def parameters(self) -> list[Tensor]:
        return list(self.params.values())

    def buffers(self) -> list[Tensor]:
        return list(self.stacked_buffers.values())

    def __call__(self, x: Tensor) -> Tensor:
        return self._forward(self.params, self.stacked_buffers, x)

    @torch.no_grad()
    def write_member(self, k: int, module: nn.Module) -> None:
        """Copy member ``k``'s parameters and buffers (BatchNorm statistics) into its solo module."""
        for name, t in self.params.items():
            module.get_parameter(name).copy_(t[k])
        for name, t in self.stacked_buffers.items():
            module.get_buffer(name).copy_(t[k])


def _parametrized(module: nn.Module) -> bool:
    return any(hasattr(m, "parametrizations") for m in module.modules())


# arch -> how its players stack
STACKS = {"mlp": StackedMLP, "dcgan": StackedModule, "resnet": StackedModule}
Stacked = StackedMLP | StackedModule


@contextmanager
def frozen_buffers(active: Tensor, players: Sequence[Stacked]) -> Iterator[None]:
    """Within the block, the members ``active`` leaves out keep their buffers: the population's
    forward passes run every member, but a frozen member's solo trial made no more of them."""
    saved = [(b, b.clone()) for p in players for b in p.buffers()] if not bool(active.all()) else []
    try:
        yield
    finally:
        with torch.no_grad():
            for b, before in saved:
                b.copy_(torch.where(active.view(-1, *([1] * (b.dim() - 1))), b, before))
