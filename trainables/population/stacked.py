"""K multilayer perceptrons of one shape as one: weights stacked along a leading member axis.

A member's layer ``y = x W^T + b`` becomes, for all members at once, ``torch.baddbmm(b, x, W)`` on
``x`` of shape ``(members, batch, in)``: one kernel instead of K. The stacked tensors are the leaves
autograd differentiates, so the gradient of a sum of the members' losses is, slice by slice, each
member's own gradient (the members share no parameter).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

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
