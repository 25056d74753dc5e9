"""Running a small study from a spec text, as a user would."""
from __future__ import annotations

from study.cli import main


def run_spec(root, name: str, text: str):
    """Write a spec named ``name`` under ``root`` and run it with ``ganstudy run``; (spec, study folder)."""
    spec = root / f"{name}.yaml"
    spec.write_text(text)
    assert main(["run", str(spec), "--storage", str(root / "results")]) == 0
    return spec, root / "results" / name
