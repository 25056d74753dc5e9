"""Right-aligned plain-text tables for the benchmark scripts."""
from __future__ import annotations


def print_table(lines: list[list[str]]) -> None:
    """``lines[0]`` is the header; a rule goes under it."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for i, line in enumerate(lines):
        print("  ".join(c.rjust(w) for c, w in zip(line, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
