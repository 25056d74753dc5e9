"""The look of every figure, applied as a context, never globally: importing ``analysis`` leaves the
user's matplotlib style alone, and a figure looks the same whatever was drawn before it in the process
(a report written in a notebook after other plots equals one written by the CLI, byte for byte)."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def themed(style: str, context: str = "notebook") -> Callable[[F], F]:
    """Draw and save the decorated figure function under seaborn's ``style`` and ``context``, on top of
    matplotlib's defaults rather than whatever rcParams the process has."""
    def decorate(draw: F) -> F:
        @functools.wraps(draw)
        def wrapper(*args, **kwargs):
            import matplotlib.pyplot as plt
            import seaborn as sns

            with plt.style.context("default"), sns.axes_style(style), sns.plotting_context(context):
                return draw(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate
