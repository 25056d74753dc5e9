"""Name -> component registries (after torch-fidelity's ``register_*``).

A new dataset, architecture, loss, regularizer, optimizer or metric is one module plus one
``REGISTRY.register(name, obj)`` line in ``trainables/components.py``; ``ganstudy list`` shows them.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """A validated mapping from component names to factories."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        if not isinstance(name, str) or not name or name.strip() != name or "/" in name:
            raise ValueError(f"{self.kind} name must be a plain non-empty string, got {name!r}")
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(f"unknown {self.kind} {name!r}; registered: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: Any) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


DATASETS: Registry = Registry("dataset")
ARCHITECTURES: Registry = Registry("arch")
LOSSES: Registry = Registry("loss")
REGULARIZERS: Registry = Registry("regularizer")
OPTIMIZERS: Registry = Registry("optimizer")

ALL = {r.kind: r for r in (DATASETS, ARCHITECTURES, LOSSES, REGULARIZERS, OPTIMIZERS)}

# checks of a whole trial config, ``rule(cfg)`` raising ``ValueError('<field>: <why>')``; the config
# runs every one, so it never imports the modules that decide (``trainables.compat``)
CONFIG_RULES: Registry = Registry("config rule")
