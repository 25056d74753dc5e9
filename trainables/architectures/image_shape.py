"""What image architectures share: reading a square image shape and scaling base channels."""
from __future__ import annotations


def square_image(data_shape: tuple[int, ...], arch: str, base_channels: int, width_mult: float) -> tuple[int, int, int]:
    """(image channels, side, network channels) for ``data_shape`` = (C, H, H)."""
    channels, height, width = data_shape
    if height != width:
        raise ValueError(f"{arch}: square images only, got {height}x{width}")
    return channels, height, max(1, round(base_channels * width_mult))
