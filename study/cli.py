"""``ganstudy``: the front door. Exit codes: 0 success, 2 invalid input, 1 any other failure."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from study.errors import StudyIncomplete, UserError


def _parse_set(items: Sequence[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"--set {item}", "expected key=value")
        out[key.strip()] = yaml.safe_load(value)
    return out


def cmd_run(args) -> int:
    from study.runner import run
    from study.spec import check_inputs, load_spec

    spec = load_spec(args.spec)
    if args.address is None:  # on a cluster the data lives on the workers
        check_inputs(spec, args.spec)
    experiment = run(spec, storage=args.storage, name=args.name, address=args.address, mlflow=args.mlflow)
    print(f"study finished: {experiment}\nnext: ganstudy report {experiment}")
    return 0


def cmd_resume(args) -> int:
    from study.runner import resume

    experiment = resume(args.experiment, address=args.address)
    print(f"study finished: {experiment}\nnext: ganstudy report {experiment}")
    return 0


def cmd_extend(args) -> int:
    from study.runner import extend, extend_budget
    from study.spec import check_inputs, load_spec

    if (args.spec is None) == (args.max_grad_calls is None):
        raise UserError("extend", "give a SPEC (grid points to add, or larger budgets) or --max-grad-calls N, "
                                  "not both")
    if args.max_grad_calls is not None:
        study, added = extend_budget(args.experiment, args.max_grad_calls, address=args.address)
        what = f"no trial's budget is below {args.max_grad_calls} gradient calls in"
    else:
        spec = load_spec(args.spec)
        if args.address is None:
            check_inputs(spec, args.spec)
        study, added = extend(args.experiment, spec, address=args.address, mlflow=args.mlflow)
        what = f"every grid point of {args.spec}, at its budget, is already"
    if not added:
        print(f"nothing to add: {what} {study}")
    else:
        print(f"added or continued and ran {added} trial{'s' if added != 1 else ''}: {study}\n"
              f"next: ganstudy report {study}")
    return 0


def cmd_confirm(args) -> int:
    from study.runner import confirm

    study, fresh, added = confirm(args.experiment, seeds=args.seeds, address=args.address)
    print(f"confirmed on fresh seeds {fresh[0]}-{fresh[-1]}: {added} trial{'s' if added != 1 else ''} of each "
          f"method's default and selected cells: {study}\nnext: ganstudy report {study}")
    return 0


def cmd_report(args) -> int:
    import tempfile

    import matplotlib

    matplotlib.use("Agg")  # files only: the CLI's choice, so that importing analysis leaves a notebook's backend alone
    from analysis.ingest.collect import NothingToReport
    from analysis.report import write_report
    from study.storage import LocalCopy, location

    study = location(args.experiment)
    study.check_reachable()
    if not study.is_file("ganstudy.json"):
        raise UserError(str(study), "not a study folder (no ganstudy.json)")
    with LocalCopy(study) as local, tempfile.TemporaryDirectory(prefix="ganstudy-report-") as staging:
        # a study in object storage is read from a local copy; its report goes to --out, or back
        # next to the study when --out is omitted
        out = Path(args.out).resolve() if args.out else (None if study.is_local else Path(staging) / "report")
        try:
            written = write_report(local, out)
        except NothingToReport as e:
            raise UserError(str(study), "no trial has started yet; nothing to report") from e
        if args.out is None and not study.is_local:
            written = study.upload(written, "report")
    print(f"report written: {written}/report.md")
    return 0


def cmd_trial(args) -> int:
    from pydantic import ValidationError

    from study.spec import describe_error, load_spec
    from trainables.config import TrialConfig
    from trainables.loop import train
    from trainables.preflight import check_inputs

    spec = load_spec(args.spec)
    try:
        cfg = TrialConfig(**{**spec.base_config(), **_parse_set(args.set)})
    except ValidationError as e:
        raise UserError("--set", describe_error(e)) from None
    try:
        check_inputs(cfg)
    except FileNotFoundError as e:
        raise UserError(cfg.dataset, str(e)) from None
    final = train(cfg, progress_bar=True)
    if args.json:
        print(json.dumps(final, default=str))
    else:
        for key, value in final.items():
            print(f"{key}: {value}")
    return 0


def cmd_validate(args) -> int:
    from study.spec import check_inputs, load_spec

    spec = load_spec(args.spec)
    check_inputs(spec, args.spec)
    n = len(spec.trial_configs())
    if spec.search.kind == "optuna":
        n *= spec.search.trials_per_method
    print(f"{args.spec}: valid, {n} trial{'s' if n != 1 else ''}")
    if spec.search.kind == "grid":
        from study.populations import plan

        print("\n".join(plan(spec.trial_configs(), spec.population)))
    return 0


def cmd_list(args) -> int:
    from trainables import components  # noqa: F401  (fills the registries)
    from trainables.registry import ALL

    for kind, registry in ALL.items():
        print(f"{kind}:")
        for name in registry:
            item = registry.get(name)
            note = getattr(item, "source", "")
            default = getattr(item, "default_lr", None)
            extra = f" (default lr {default:g})" if default else ""
            print(f"  {name}{extra}{'  - ' + note if note else ''}")
    return 0


class _Parser(argparse.ArgumentParser):
    """Bad arguments get the same one-line error and exit code 2 as a bad spec."""

    def error(self, message: str):
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ganstudy", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run a study on Ray Tune")
    p.add_argument("spec")
    p.add_argument("--storage", default="results",
                   help="where studies live: a folder or a URI such as s3://bucket/prefix (default ./results)")
    p.add_argument("--name", help="experiment name (default: the spec's name)")
    p.add_argument("--address", help="join a Ray cluster: 'auto' or the head's GCS 'HOST:PORT' "
                                     "(default: a local Ray for this run)")
    p.add_argument("--mlflow", metavar="URI", help="log every trial to this MLflow tracking URI "
                                                   "(overrides the spec's tracking.mlflow)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("resume", help="finish an interrupted study")
    p.add_argument("experiment", metavar="STUDY")
    p.add_argument("--address")
    p.set_defaults(func=cmd_resume)
    p = sub.add_parser("extend", help="add grid points to a study, or grow its budget, without re-running "
                                      "what it has")
    p.add_argument("experiment", metavar="STUDY")
    p.add_argument("spec", nargs="?", help="a spec whose new grid points (or larger max_grad_calls) to run")
    p.add_argument("--max-grad-calls", type=int, metavar="N",
                   help="continue every finished, budgeted trial from its final checkpoint to N gradient calls")
    p.add_argument("--address")
    p.add_argument("--mlflow", metavar="URI", help="MLflow tracking URI for the new trials")
    p.set_defaults(func=cmd_extend)
    p = sub.add_parser("confirm", help="score each method's default and selected (tuned) cells on fresh seeds")
    p.add_argument("experiment", metavar="STUDY")
    p.add_argument("--seeds", type=int, required=True, help="how many fresh seeds (at least 2)")
    p.add_argument("--address")
    p.set_defaults(func=cmd_confirm)
    p = sub.add_parser("report", help="write the report of a study folder")
    p.add_argument("experiment", metavar="STUDY")
    p.add_argument("--out", help="local report folder (default EXPERIMENT/report, also for a study in a bucket)")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("trial", help="one trial in this process, without Ray")
    p.add_argument("spec")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--json", action="store_true", help="print the final metrics as JSON on the last line")
    p.set_defaults(func=cmd_trial)
    p = sub.add_parser("validate", help="check a spec and count its trials")
    p.add_argument("spec")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("list", help="registered components")
    p.set_defaults(func=cmd_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        print(f"error: {e.where}: {e.what}", file=sys.stderr)
        return 2
    except StudyIncomplete as e:
        print(f"incomplete: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
