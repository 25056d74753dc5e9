"""Two report folders of the same study are the same report: the same files, byte for byte (tables,
report.md and figures, samples.png among them). Used to check that a study read from a bucket reports
exactly what a local copy of it reports."""
from __future__ import annotations

from pathlib import Path


def assert_same_report(ours: Path, theirs: Path) -> None:
    names = sorted(p.relative_to(ours).as_posix() for p in ours.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(theirs).as_posix() for p in theirs.rglob("*") if p.is_file())
    assert "samples.png" in names, names  # the final samples live in checkpoint folders: copied too
    differ = [n for n in names if (ours / n).read_bytes() != (theirs / n).read_bytes()]
    assert not differ, f"differ: {differ}"
