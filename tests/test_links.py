"""Every relative link and image in the README, the CHANGELOG and the committed Markdown under ``docs/``
(the reference pages ``docs/*.md`` and the reports under ``docs/results/``) names a file that git
tracks: a result quoted in the README is a result anyone can open."""
from __future__ import annotations

import posixpath
import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)  # links shown as code are examples, not links
EXTERNAL = ("http://", "https://", "mailto:", "#")


def tracked() -> set[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: which files are tracked is unknown")
    return set(out.decode().split("\0")) - {""}


def relative_links(text: str) -> list[str]:
    return [t for t in LINK.findall(CODE.sub("", text)) if not t.startswith(EXTERNAL)]


def target(document: str, link: str) -> str:
    """The repository path a link in ``document`` points at (fragment dropped, ``..`` resolved)."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(document), link.split("#")[0]))


def missing_targets(document: str, text: str, files: set[str]) -> list[str]:
    known = files | {str(parent) for f in files for parent in PurePosixPath(f).parents}  # a folder link is fine
    return [link for link in relative_links(text) if target(document, link) not in known]


TOP_LEVEL = ("README.md", "CHANGELOG.md")


def documents(files: set[str]) -> list[str]:
    return sorted(f for f in files if f in TOP_LEVEL or (f.startswith("docs/") and f.endswith(".md")))


def test_every_relative_link_in_the_committed_markdown_is_tracked():
    files = tracked()
    broken = {doc: missing for doc in documents(files)
              if (missing := missing_targets(doc, (ROOT / doc).read_text(), files))}
    assert not broken, f"links to files git does not track: {broken}"


def test_every_reference_page_is_tracked_and_checked():
    files = tracked()
    pages = {*TOP_LEVEL, *(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))}
    assert pages <= set(documents(files)), f"not tracked, so not link-checked: {sorted(pages - files)}"


def test_the_link_check_finds_a_missing_file_and_accepts_a_folder_and_a_fragment():
    files = {"README.md", "docs/results/claim/report.md", "docs/a.png"}
    text = ("![fig](docs/a.png) [report](docs/results/claim/report.md#verdict) [folder](docs/results/claim/) "
            "[gone](docs/results/bn_eval/table.md) [web](https://example.org) `[code](not/a/link.md)`")
    assert missing_targets("README.md", text, files) == ["docs/results/bn_eval/table.md"]
    assert missing_targets("docs/results/claim/report.md", "![up](../../a.png) ![no](b.png)", files) == ["b.png"]
    assert missing_targets("docs/protocol.md", "[back](../README.md) [claim](results/claim/report.md) "
                           "[spec](../studies/claim.yaml)", files | {"studies/claim.yaml"}) == []
    assert documents(files | {"CHANGELOG.md", "docs/protocol.md", "notes.md"}) == [
        "CHANGELOG.md", "README.md", "docs/protocol.md", "docs/results/claim/report.md"]
