"""The README's and the docs' generated tables match the code they were generated from."""
from pathlib import Path

from trainables.compat_table import compatibility_table
from trainables.registry import OPTIMIZERS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text()
PROTOCOL = (DOCS / "protocol.md").read_text()  # the methods, their default sets, the compatibility table


def test_compatibility_matrix_is_the_codes():
    assert compatibility_table().strip() in PROTOCOL


def default_cell(defaults: dict) -> str:
    """How docs/protocol.md writes a published default set (a method without a learning rate has none)."""
    if "lr" not in defaults:
        return "none published"
    return ", ".join(f"{k} {v:g}" for k, v in defaults.items())


def test_every_optimizer_is_listed_with_its_default_set():
    for name in OPTIMIZERS:
        spec = OPTIMIZERS.get(name)
        assert f"| `{name}` | {spec.source} | {default_cell(spec.defaults)} |" in PROTOCOL


def test_the_two_commands_are_there():
    assert "make study" in README and "make test" in README
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")


def test_the_readme_links_every_document():
    for doc in sorted(DOCS.glob("*.md")):
        assert f"](docs/{doc.name})" in README, doc.name
    assert "](CHANGELOG.md)" in README


def test_no_sentence_calls_an_interval_holding_zero_no_different():
    # an interval that contains 0 is inconclusive, not parity: the words are better, worse, equivalent
    # (from an equivalence test) and inconclusive, in the README, the docs, the published reports and the code
    texts = {"README.md": README, **{str(p.relative_to(ROOT)): p.read_text() for p in DOCS.rglob("*.md")},
             **{str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / "analysis").rglob("*.py")}}
    assert not [name for name, text in texts.items() if "no different" in text.lower()]
