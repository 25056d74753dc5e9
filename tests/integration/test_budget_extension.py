"""`ganstudy extend STUDY --max-grad-calls N`: finished trials continue from their final checkpoints.

A study run to a small budget and extended to a larger one ends bit-identical to the same study run to
the larger budget in one go, trial by trial, whether its trials trained together (a population) or
alone; the trials keep their keys, and the report reads their curves across both budgets.
"""
import pandas as pd
import pytest

from analysis.manifest import loads
from study.cli import main
from tests.running import run_spec

SPEC = """
name: {name}
trial: {{dataset: ring8, width: 16, depth: 2, batch_size: 32, iterations: 1000000, eval_from: 100,
        eval_samples: 300, max_grad_calls: {budget}}}
grid: {{optimizer: [adam, acgd], lr: [1.0e-3, 3.0e-3], seed: [0]}}
resources: {{cpu: 1, gpu: 0}}
population: {{max_members: {members}}}
"""
SHORT, LONG = 630, 1600


def _trials(study):
    assert main(["report", str(study)]) == 0
    return pd.read_csv(study / "report" / "trials.csv", float_precision="round_trip").set_index("key").sort_index()


@pytest.fixture(scope="module")
def direct(ray_local, tmp_path_factory):
    """The study run to the larger budget in one go, trained the same way (float32 rounds a population's
    batched products differently from a trial alone)."""
    studies = {}

    def run(members: int):
        if members not in studies:
            spec = SPEC.format(name="direct", budget=LONG, members=members)
            studies[members] = _trials(run_spec(tmp_path_factory.mktemp("direct"), "direct", spec)[1])
        return studies[members]

    return run


@pytest.mark.parametrize("members", [64, 1], ids=["populations", "alone"])
def test_a_study_extended_to_a_larger_budget_is_the_study_run_there(direct, tmp_path, members, capsys):
    direct = direct(members)
    _, study = run_spec(tmp_path, "grown", SPEC.format(name="grown", budget=SHORT, members=members))
    before = loads((study / "ganstudy.json").read_text())
    assert main(["extend", str(study), "--max-grad-calls", str(LONG)]) == 0
    assert "continued and ran 4 trials" in capsys.readouterr().out
    after = loads((study / "ganstudy.json").read_text())
    assert [t.key for t in after.trials] == [t.key for t in before.trials]  # the same trials, run longer
    assert {t.config["max_grad_calls"] for t in after.trials} == {LONG}
    extension = after.experiments[-1]
    assert extension.name == "extend-1" and len(extension.continue_from) == len(extension.populations)

    grown = _trials(study)
    assert list(grown.index) == list(direct.index)
    assert (grown["status"] == "ok").all()
    for column in ("grad_calls", "iterations_done", "final_score"):
        assert grown[column].tolist() == direct[column].tolist(), column  # bit-identical
    # the report reads each curve across both launches: the evaluations of the short run, then the rest
    evals = pd.read_csv(study / "report" / "evals.csv")
    for _, curve in evals.groupby("key"):
        calls = curve["grad_calls"].tolist()
        assert calls == sorted(calls) and calls[0] < SHORT and calls[-1] >= LONG
        assert any(SHORT <= c < LONG for c in calls)  # the short run's end, and what followed it

    assert main(["extend", str(study), "--max-grad-calls", str(LONG)]) == 0
    assert "nothing to add" in capsys.readouterr().out


def test_a_budget_below_one_and_a_spec_with_it_are_one_line(tmp_path, capsys):
    assert main(["extend", str(tmp_path), "--max-grad-calls", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: --max-grad-calls 0: a budget is a positive number")
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\n")
    assert main(["extend", str(tmp_path), str(spec), "--max-grad-calls", "10"]) == 2
    assert "not both" in capsys.readouterr().err
