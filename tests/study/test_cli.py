"""The ganstudy front door: exit codes, one-line errors, nothing written on bad input."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from study.cli import main
from trainables.config import make_config
from trainables.population import refusal

ROOT = Path(__file__).resolve().parents[2]


def _spec(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


GOOD = """
name: t
trial: {dataset: ring8, width: 16, depth: 1, batch_size: 32, iterations: 20, eval_every: 10, eval_samples: 200}
grid: {optimizer: [adam, acgd], lr: [1.0e-3, 1.0e-2], seed: [0, 1, 2]}
"""


@pytest.mark.parametrize("text, where", [
    ("name: t\ngrid: {lr: [1.0e-3, fast]}\n", "grid.lr[1]: Input should be a valid number"),
    ("name: t\ntrial: {lrr: 1}\n", "trial.lrr: unknown key"),
    ("name: t\nsurprise: 1\n", "surprise: unknown key"),
    ("name: t\ngrid: {optimizer: [acgd], loss: [wgan, ns]}\n",
     "grid (optimizer=acgd, loss=ns): loss: optimizer 'acgd'"),
    ("name: t\ngrid: {lr: []}\n", "grid: lr: empty list"),
    ("name: t\ntrial: {optimizer: nope}\n", "trial.optimizer: unknown optimizer 'nope'"),
    ("name: [unclosed\n", "invalid YAML"),
    ("name: t\nenvironments: [{lrr: 1}]\n", "environments[0].lrr: unknown key"),
    ("name: t\nenvironments: [{dataset: ring8}, {arch: dcgan}]\n", "environments[1] trial: arch and dataset"),
    ("name: t\nenvironments: [{lr: 0.1}]\ngrid: {lr: [0.1]}\n", "environments[0].lr: set both in an environment"),
    ("name: t\nenvironments: [{max_grad_calls: 600}, {max_grad_calls: 1200}]\n",
     "environments: two trials differ only in their run length (max_grad_calls 600 and 1200)"),
    ("name: t\nanalysis: {margin: 0.1}\n", "analysis.margin: unknown key"),
    ("name: t\nanalysis: {primary: {against: sgd}}\n", "analysis.primary.against: Input should be 'adam_default'"),
    ("name: t\nanalysis: {equivalence_margin: 0}\n", "analysis.equivalence_margin: Input should be greater than 0"),
])
def test_invalid_spec_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, text, where):
    spec = _spec(tmp_path, text)
    storage = tmp_path / "results"
    code = main(["run", str(spec), "--storage", str(storage)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"error: {spec}")
    assert where in err
    assert not storage.exists()


def test_validate_counts_trials(tmp_path, capsys):
    assert main(["validate", str(_spec(tmp_path, GOOD))]) == 0
    assert "valid, 12 trials" in capsys.readouterr().out


def test_validate_says_which_trials_train_together_and_why_the_others_train_alone(tmp_path, capsys):
    text = GOOD.replace("optimizer: [adam, acgd]", "optimizer: [adam, extragradient]")
    assert main(["validate", str(_spec(tmp_path, text + "population: {max_members: 4}\n"))]) == 0
    out = capsys.readouterr().out.splitlines()
    alone = refusal(make_config({"optimizer": "extragradient"}))
    if alone is None:  # extragradient batches: both methods split into populations of 4 and 2
        assert out[1] == "populations: 12 trial(s) in 4 population(s) of up to 4 members, 0 alone"
    else:
        assert out[1:] == ["populations: 6 trial(s) in 2 population(s) of up to 4 members, 6 alone",
                           f"  alone, 6 trial(s): {alone}"]
    assert main(["validate", str(_spec(tmp_path, GOOD + "population: {max_members: 1}\n"))]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "populations: 0 trial(s) in 0 population(s), 12 alone", "  alone, 12 trial(s): population.max_members: 1"]


def test_image_architectures_train_alone_unless_the_spec_lists_them(tmp_path, capsys):
    text = ("name: t\ntrial: {dataset: digits, arch: dcgan, z_dim: 8, iterations: 20, eval_every: 10}\n"
            "grid: {optimizer: [adam], lr: [1.0e-4, 1.0e-3]}\n")
    assert main(["validate", str(_spec(tmp_path, text))]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "populations: 0 trial(s) in 0 population(s), 2 alone",
        "  alone, 2 trial(s): population.archs: dcgan is not listed (image architectures batch on request: "
        "on a CPU they do not pay)"]
    assert main(["validate", str(_spec(tmp_path, text + "population: {archs: [mlp, dcgan]}\n"))]) == 0
    together = "populations: 2 trial(s) in 1 population(s) of up to 2 members, 0 alone"
    assert capsys.readouterr().out.splitlines()[1] == together
    assert main(["validate", str(_spec(tmp_path, text + "population: {archs: [vgg]}\n"))]) == 2
    assert "population.archs: unknown arch 'vgg'; registered: dcgan, mlp, resnet" in capsys.readouterr().err


def test_a_population_setting_outside_its_axes_is_one_line(tmp_path, capsys):
    assert main(["validate", str(_spec(tmp_path, GOOD + "population: {axes: [width]}\n"))]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'spec.yaml'}: population.axes.0")


def test_missing_spec_file_is_exit_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "no such spec file" in capsys.readouterr().err


def test_list_shows_every_registry(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("dataset:", "ring8", "optimizer:", "acgd (default lr 0.0001)", "regularizer:", "gp", "loss:"):
        assert word in out


def test_trial_json_on_last_line_uses_first_grid_values_and_set(tmp_path):
    spec = _spec(tmp_path, GOOD)
    proc = subprocess.run([sys.executable, "-m", "study.cli", "trial", str(spec), "--set", "optimizer=acgd",
                           "--set", "iterations=10", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    final = json.loads(proc.stdout.strip().splitlines()[-1])
    assert final["iteration"] == 10 and final["status"] == "ok"
    assert "cg_iters" in final  # ACGD's solver diagnostics travel with the metrics


def test_trial_bad_set_is_exit_2(tmp_path, capsys):
    assert main(["trial", str(_spec(tmp_path, GOOD)), "--set", "lr=-1"]) == 2
    assert "error: --set: lr: Input should be greater than 0" in capsys.readouterr().err


def test_a_storage_uri_no_file_system_opens_is_refused_before_anything_starts(tmp_path, capsys):
    # (object stores are tested against a local S3 server in test_storage_s3.py; nothing here goes online)
    assert main(["run", str(_spec(tmp_path, GOOD)), "--storage", "nosuch://bucket/results"]) == 2
    assert "error: --storage nosuch://bucket/results: not a storage URI" in capsys.readouterr().err


def test_missing_dataset_files_are_exit_2_naming_the_path(tmp_path, capsys):
    spec = _spec(tmp_path,
                 f"name: t\ntrial: {{dataset: cifar10, arch: dcgan, z_dim: 8, data_root: {tmp_path}/nowhere}}\n")
    for command in (["validate", str(spec)], ["run", str(spec), "--storage", str(tmp_path / "r")],
                    ["trial", str(spec)]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and "nowhere" in err
    assert not (tmp_path / "r").exists()


def test_bad_arguments_are_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["run"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ganstudy run: ")


def test_report_on_a_folder_that_is_not_a_study_is_exit_2(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a study folder" in capsys.readouterr().err


@pytest.mark.parametrize("text, where", [
    ("name: t\ngrid: {seed: [0, 0]}\n", "seed: repeated value"),
    ("name: t\ngrid: {optimizer: [acgd]}\nsearch: {kind: optuna, space: {loss: {choices: [wgan, ns]}}}\n",
     "search.space (loss=ns): loss: optimizer 'acgd' solves zero-sum games"),
    ("name: t\nsearch: {kind: optuna, space: {n_critic: {low: 1, high: 5}}}\n",
     "search.space.n_critic: an integer setting: add `integer: true`"),
    ("name: t\ntrial: {regularizer: alr}\nsearch: {kind: optuna, space: {alr_eps_min: {low: 0.1, high: 20}}}\n",
     "exceeds alr_eps_max"),
    ("name: t\ngrid: {optimizer: [acgd], beta2: [0.9, 0.99]}\n", "grid.beta2: no method of this study reads it"),
])
def test_specs_that_would_fail_inside_trials_are_refused_up_front(tmp_path, capsys, text, where):
    assert main(["validate", str(_spec(tmp_path, text))]) == 2
    assert where in capsys.readouterr().err


def test_validate_counts_every_searched_trial(tmp_path, capsys):
    text = ("name: t\ngrid: {optimizer: [adam, sgd]}\n"
            "search: {kind: optuna, trials_per_method: 7, space: {lr: {low: 1.0e-5, high: 1.0e-2, log: true}}}\n")
    assert main(["validate", str(_spec(tmp_path, text))]) == 0
    assert "valid, 14 trials" in capsys.readouterr().out


def test_name_must_be_a_folder_name(tmp_path, capsys):
    assert main(["run", str(_spec(tmp_path, GOOD)), "--storage", str(tmp_path / "r"), "--name", "../escape"]) == 2
    assert "error: --name ../escape:" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() and not (tmp_path / "escape").exists()


def test_a_study_manifest_is_written_in_the_current_format_and_reads_back(tmp_path):
    from analysis.manifest import FORMAT_VERSION
    from study import manifest
    from study.spec import load_spec

    spec = load_spec(_spec(tmp_path, GOOD))
    built = manifest.build(spec)
    manifest.write(tmp_path, built)
    assert json.loads((tmp_path / manifest.FILENAME).read_text())["format_version"] == FORMAT_VERSION
    read = manifest.read(tmp_path)
    assert read == built and len(read.trials) == 12
    # the analysis plan is recorded in the manifest's spec, where the torch-free report reads it
    assert read.spec["analysis"] == {"equivalence_margin": 0.1,
                                     "primary": {"against": "adam_default", "pairing": "same_regularizer"}}
    assert read.analysis.primary.pairing == "same_regularizer"
    assert read.optimizers["acgd"].competitive and not read.optimizers["adam"].competitive
