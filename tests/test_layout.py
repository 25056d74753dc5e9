"""The house rules that keep the code easy to see, checked from the source with ``ast``.

- No import cycle among the project's modules, counting imports inside functions too (a deferred
  import hides a cycle from Python, not from a reader).
- ``trainables/`` keeps one package per component kind and few top-level modules.
- ``analysis/`` never imports torch, Ray or ``trainables``; ``trainables/`` never imports ``study``
  or ``analysis``, and only its adapter imports Ray (docs/design.md).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("study", "trainables", "analysis")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(path: Path, modules: dict[str, Path], name: str | None = None) -> set[str]:
    """Every module ``path`` (module ``name``) imports, wherever the import stands (functions included)."""
    name = name or _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: climb from this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return {m for m in found if m in modules}


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules (first repeated at the end), or [] if there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


def test_no_import_cycle_among_project_modules():
    cycle = find_cycle(import_graph())
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles_and_deferred_imports(tmp_path):
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from trainables.config import TrialConfig\n")
    assert imports_of(module, {"trainables.config": module}, "trainables.m") == {"trainables.config"}


def test_config_declares_and_compat_decides_without_importing_each_other():
    graph = import_graph()
    assert "trainables.compat" not in graph["trainables.config"]
    assert "trainables.config" not in graph["trainables.compat"]


def test_trainables_has_one_package_per_component_kind_and_few_top_level_modules():
    top = sorted(p.name for p in (ROOT / "trainables").glob("*.py"))
    assert len(top) <= 12, top
    for kind in ("datasets", "architectures", "losses", "regularizers", "methods", "metrics", "optim"):
        assert (ROOT / "trainables" / kind / "__init__.py").is_file(), kind
    assert not [name for name in top if name.startswith(("arch_", "reg_", "data_", "metrics_"))]


def test_rooms_keep_their_doors():
    graph = import_graph()
    third_party = {}
    for name, path in project_modules().items():
        tree = ast.parse(path.read_text())
        third_party[name] = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                             for alias in node.names} | {
            (node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    for name, deps in graph.items():
        if name.startswith("analysis"):
            assert not [d for d in deps if d.startswith(("trainables", "study"))], name
            assert not third_party[name] & {"torch", "ray"}, name
        if name.startswith("trainables"):
            assert not [d for d in deps if d.startswith(("study", "analysis"))], name
            if name != "trainables.ray_trainable":
                assert "ray" not in third_party[name], name


ROOMS = ("analysis.ingest", "analysis.stats", "analysis.report")  # the analysis pipeline, in order


def back_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports that point back up the analysis pipeline (a later room imported by an earlier one)."""
    rank = lambda m: next((i for i, room in enumerate(ROOMS) if m == room or m.startswith(room + ".")), None)  # noqa: E731
    return sorted(f"{m} -> {d}" for m, deps in graph.items() if rank(m) is not None
                  for d in deps if rank(d) is not None and rank(d) > rank(m))


def test_analysis_is_three_rooms_in_pipeline_order():
    top = sorted(p.name for p in (ROOT / "analysis").glob("*.py"))
    assert len(top) <= 4, top
    for room in ROOMS:
        assert (ROOT / room.replace(".", "/") / "__init__.py").is_file(), room
    assert back_imports(import_graph()) == []


def test_the_back_import_check_sees_stats_importing_report():
    graph = {"analysis.stats.summary": {"analysis.report.tables", "analysis.ingest.grid"},
             "analysis.report.words": {"analysis.stats.decisions"}, "analysis.ingest.tidy": {"analysis.atomic"}}
    assert back_imports(graph) == ["analysis.stats.summary -> analysis.report.tables"]


TEST_ROOMS = ("trainables", "study", "analysis", "integration")
PROJECT_WIDE_TESTS = {"test_layout.py", "test_readme.py", "test_links.py"}  # about the repository itself


def test_tests_live_in_the_room_of_what_they_test():
    loose = {p.name for p in (ROOT / "tests").glob("test_*.py")} - PROJECT_WIDE_TESTS
    assert not loose, f"tests outside tests/{{{','.join(TEST_ROOMS)}}}/: {sorted(loose)}"
    rooms = {p.parent.name for p in (ROOT / "tests").glob("*/test_*.py")}
    assert rooms <= set(TEST_ROOMS), f"test folders beyond the rooms: {sorted(rooms - set(TEST_ROOMS))}"


def test_the_fast_loop_starts_no_ray():
    # tests/integration holds every test that starts Ray, a server or Slurm, so ignoring it is fast
    starters = ("ray_local", "ray.init(", "run_spec(", "Cluster(", "ganstudy_process(")
    offenders = [str(p.relative_to(ROOT)) for room in TEST_ROOMS[:-1]
                 for p in (ROOT / "tests" / room).glob("test_*.py")
                 if any(s in p.read_text() for s in starters)]
    assert not offenders, f"start Ray outside tests/integration: {offenders}"
