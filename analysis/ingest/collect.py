"""Study folder -> tidy tables, with no Ray and no torch.

``evals``: one row per trial and evaluation (config columns, metrics, status, cost).
``trials``: one row per expected trial (from ``ganstudy.json``), including those that errored,
are still running or never started, so a partial study reports what is missing: its key, config,
outcome (``status``, ``error``) and folder. Its metrics are ``tidy.trials_table``'s, built from
``evals``: one per-trial table, with one list of what is not a metric.

Trial folders are found anywhere below the study folder (``grid/``, ``extend-N/``: one Tune
experiment per launch; a population's members in ``member_<i>/`` of its Tune trial's folder).
``result.json`` files (one JSON object per line) are parsed in one go by
Arrow's JSON reader, which is several times faster than the standard library for 10^5 lines; a line
Arrow refuses (NaN, a line cut short by a crash) sends the whole read to the line-by-line parser,
which skips only the bad line.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import manifest as manifests
from analysis.keys import config_key

MANIFEST = manifests.FILENAME
POPULATION_MEMBERS = "members"  # a population's Tune config: {"members": [member config, ...]}
ERROR_FILE = "error.txt"  # Ray Tune's: "Failure # N (occurred at ...)" then the exception, per failure
ERROR_CHARS = 240
# Ray's bookkeeping, dropped; kept are ``timestamp``, ``time_this_iter_s``, ``time_total_s`` (where the
# hours went) and ``checkpoint_dir_name`` (where a final record's ``samples_file`` lies)
RAY_COLUMNS = ("should_checkpoint", "done", "training_iteration", "trial_id", "date", "pid", "hostname", "node_ip",
               "config", "time_since_restore", "iterations_since_restore")


class NothingToReport(LookupError):
    """The study folder holds no trial yet."""


@dataclass
class StudyFolder:
    path: Path
    manifest: manifests.Manifest
    evals: pd.DataFrame
    trials: pd.DataFrame

    @property
    def config_columns(self) -> list[str]:
        return list(self.manifest.trials[0].config) if self.manifest.trials else []


def _trial_dirs(experiment: Path):
    for params in sorted(experiment.rglob("params.json")):  # grid/, extend-N/: Tune experiments
        config = json.loads(params.read_text())
        # a population's own folder: its members are trials in their folders below it (member_<i>/)
        if POPULATION_MEMBERS not in config:
            yield params.parent, config


def _tune_trial_dir(trial_dir: Path) -> Path:
    """The Tune trial that trained this trial, where Tune records its failures: a population
    member's is the population's folder above it."""
    parent = trial_dir.parent
    if (parent / "params.json").is_file() and POPULATION_MEMBERS in json.loads((parent / "params.json").read_text()):
        return parent
    return trial_dir


def _parse_lines(blob: bytes) -> list[dict[str, Any]]:
    rows = []
    for line in blob.decode(errors="replace").splitlines():
        line = line.strip()
        if line:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut short by a crash: the rest is still good
                continue
    return rows


def _read_arrow(blobs: list[bytes], names: list[str]) -> pd.DataFrame | None:
    """All files in one Arrow read; None when Arrow cannot parse them exactly (then use the slow path)."""
    import pyarrow as pa
    import pyarrow.json as pa_json

    counts = [sum(1 for line in b.splitlines() if line.strip()) for b in blobs]
    text = b"".join(b if b.endswith(b"\n") else b + b"\n" for b in blobs if b.strip())
    if not text:
        return pd.DataFrame()
    try:
        table = pa_json.read_json(io.BytesIO(text), read_options=pa_json.ReadOptions(block_size=1 << 24))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != sum(counts):
        return None
    table = table.drop_columns([c for c in RAY_COLUMNS if c in table.column_names])
    if any(pa.types.is_nested(f.type) for f in table.schema):
        return None  # a nested metric: let the standard library keep it as Python objects
    frame = table.to_pandas()
    frame["trial_dir"] = [name for name, n in zip(names, counts) for _ in range(n)]
    return frame


def _read_results(dirs: list[Path], names: list[str]) -> pd.DataFrame:
    """Every ``result.json`` line (Ray bookkeeping dropped) with its ``trial_dir``, in file order."""
    blobs = [(d / "result.json").read_bytes() if (d / "result.json").is_file() else b"" for d in dirs]
    frame = _read_arrow(blobs, names)
    if frame is None:
        rows = [{**{k: v for k, v in r.items() if k not in RAY_COLUMNS}, "trial_dir": name}
                for blob, name in zip(blobs, names) for r in _parse_lines(blob)]
        frame = pd.DataFrame(rows)
    return frame


def load(experiment: str | Path) -> StudyFolder:
    experiment = Path(experiment)
    manifest_path = experiment / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{experiment}: not a study folder (no {MANIFEST})")
    manifest = manifests.loads(manifest_path.read_text())
    expected = {t.key: t.config for t in manifest.trials}

    dirs = list(_trial_dirs(experiment))
    names = [d.relative_to(experiment).as_posix() for d, _ in dirs]
    keys = {name: config_key(config) for name, (_, config) in zip(names, dirs)}
    # a search decides its trials as it runs: those found in its folders are expected too, so a
    # search interrupted before the manifest listed them still gets a report
    searched = {e.name for e in manifest.experiments if e.kind == "optuna"}
    for name, (_, config) in zip(names, dirs):
        if name.split("/")[0] in searched:
            expected.setdefault(keys[name], config)
    if not expected:
        raise NothingToReport(f"{experiment}: no trial has started yet")
    manifest = manifest.model_copy(update={"trials": [manifests.TrialEntry(key=k, config=c)
                                                      for k, c in expected.items()]})
    # attempts in launch order: a trial continued to a larger budget (an ``extend-N`` experiment)
    # reports after its earlier attempt, and its later reports describe it
    launch = {e.name: i for i, e in enumerate(manifest.experiments)}
    rank = {name: launch.get(name.split("/")[0], -1) for name in names}
    results = _read_results([d for d, _ in dirs], names)
    last = {}
    sizes: dict[str, int] = {}
    if not results.empty:
        grouped = results.groupby("trial_dir", sort=False)
        sizes = grouped.size().to_dict()
        last = grouped.tail(1).set_index("trial_dir").to_dict("index")

    found: dict[str, dict] = {}
    for name, (trial_dir, _) in sorted(zip(names, dirs), key=lambda item: rank[item[0]]):
        tune_dir = _tune_trial_dir(trial_dir)
        errored = (tune_dir / ERROR_FILE).is_file() or (tune_dir / "error.pkl").is_file()
        attempt = {"last": last.get(name, {}), "n": sizes.get(name, 0), "errored": errored, "dir": name,
                   "error": error_line(tune_dir / ERROR_FILE) if errored else None, "rank": rank[name]}
        found[keys[name]] = _best_attempt(found.get(keys[name]), attempt)

    evals = pd.DataFrame()
    if not results.empty:
        # every attempt's evaluations, each trial's config as the manifest has it now; where two
        # attempts (or a restored trial) report one iteration twice, the later line wins
        evals = results[results["trial_dir"].map(keys).isin(set(expected))].copy()
        evals["key"] = evals["trial_dir"].map(keys)
        evals["_rank"] = evals["trial_dir"].map(rank)
        configs = pd.DataFrame([{"key": key, **config} for key, config in expected.items()])
        # a reported field wins over a config entry of the same name (as it did record by record)
        configs = configs.drop(columns=[c for c in configs.columns if c in evals.columns and c != "key"])
        evals = configs.merge(evals, on="key", how="inner", sort=False)
        evals = (evals.sort_values(["key", "iteration", "_rank"], kind="stable")
                 .drop_duplicates(["key", "iteration"], keep="last").drop(columns="_rank"))
        evals = evals[[c for c in evals.columns if c != "trial_dir"] + ["trial_dir"]]
    trials = pd.DataFrame([_trial_row(key, cfg, found.get(key)) for key, cfg in expected.items()])
    return StudyFolder(experiment, manifest, evals.reset_index(drop=True), trials)


def error_line(path: Path) -> str | None:
    """Why a trial errored, in one line: the exception line (``Type: message``) of the last failure Ray
    Tune recorded in ``error.txt``. The file's own first line is only Ray's "Failure # N (occurred at
    ...)" header, and a traceback's last line is the one that names the error."""
    if not path.is_file():
        return None
    text = path.read_text(errors="replace")
    last_failure = text.rsplit("Failure # ", 1)[-1].splitlines()[1:] if "Failure # " in text else text.splitlines()
    lines = [line.strip() for line in last_failure if line.strip()]
    if not lines:
        return None
    return lines[-1][:ERROR_CHARS]


def _finished(attempt) -> bool:
    return attempt["last"].get("finished") is True or attempt["last"].get("finished") == 1


def _best_attempt(previous, attempt):
    """The attempt that describes a trial: a later launch's (a trial continued to a larger budget);
    within one launch, if Ray ran a config twice, the attempt that got furthest."""
    if previous is None or attempt["rank"] > previous["rank"]:
        return attempt
    further = lambda a: (_finished(a), a["n"])  # noqa: E731
    return attempt if further(attempt) > further(previous) else previous


def _value(record: dict[str, Any], name: str):
    value = record.get(name)
    return None if value is None or (isinstance(value, float) and value != value) else value


def _trial_row(key: str, config: dict[str, Any], attempt) -> dict[str, Any]:
    row: dict[str, Any] = {"key": key, **config}
    last = attempt["last"] if attempt else {}
    if not attempt:
        status = "pending"
    elif _finished(attempt):
        status = _value(last, "status") or "ok"
    elif attempt["errored"]:
        status = "error"
    else:
        status = "incomplete"
    row["status"] = status
    row["error"] = attempt["error"] if status == "error" else None
    row["trial_dir"] = attempt["dir"] if attempt else None
    return row
