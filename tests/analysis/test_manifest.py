"""The typed manifest: the current format reads back unchanged, an older one by an explicit upgrade."""
import json

import pytest
from pydantic import ValidationError

from analysis import manifest
from analysis.ingest.defaults import Defaults
from analysis.keys import config_key, format_2_key
from tests.synthetic import OPTIMIZERS, REGULARIZERS

CONFIG = {"optimizer": "acgd", "lr": 1e-4, "seed": 0, "max_grad_calls": 6000}
TRIAL = {"key": config_key(CONFIG), "config": CONFIG}


def current(**extra):
    return {"format_version": 3, "spec": {"name": "s"}, "trials": [TRIAL], "optimizers": OPTIMIZERS,
            "regularizers": REGULARIZERS, "config_defaults": {"width": 64}, **extra}


def test_the_current_format_reads_back_unchanged():
    m = manifest.parse(current(experiments=[{"name": "grid", "kind": "grid", "keys": [TRIAL["key"]]}]))
    again = manifest.loads(m.to_json())
    assert again == m and again.upgraded_from is None and again.assumed == {}
    assert again.competitive == {"bcgd", "acgd", "gacgd"}
    assert again.experiments[0].size == 1


def test_the_earliest_format_is_upgraded_and_says_what_it_assumed():
    raw = {"spec": {"name": "old"}, "trials": [TRIAL],
           "optimizers": {"adam": {"default_lr": 1e-4, "source": "x"}, "acgd": {"default_lr": 1e-4},
                          "sgd": {"default_lr": None}}}
    m = manifest.parse(raw)
    assert m.format_version == 3 and m.upgraded_from == 1
    assert set(m.assumed) == {"defaults", "competitive"}
    assert m.optimizers["adam"].defaults == {"lr": 1e-4} and m.optimizers["sgd"].defaults == {}
    assert m.competitive == {"acgd"}  # by name: adam and sgd are not ICR's or CGD's solvers
    # the learning rate is the only setting such a study can be checked on
    defaults = Defaults.from_manifest(m)
    assert defaults.method("adam", "gp").settings == {"lr": 1e-4}
    assert defaults.checked_keys(defaults.method("adam", "none"), ["lr", "beta1", "width"]) == {}


def test_format_2_keys_are_recomputed_without_the_run_length_everywhere():
    old, longer = format_2_key(CONFIG), {**CONFIG, "max_grad_calls": 60000}
    experiment = {"name": "grid", "kind": "grid", "keys": [old], "populations": [[old]]}
    m = manifest.parse(current(format_version=2, trials=[{"key": old, "config": CONFIG}], experiments=[experiment]))
    assert m.format_version == 3 and m.upgraded_from == 2
    assert m.trials[0].key == config_key(CONFIG) == config_key(longer) != old
    assert m.experiments[0].keys == [m.trials[0].key] and m.experiments[0].populations == [[m.trials[0].key]]
    assert config_key({**CONFIG, "lr": 1e-3}) != config_key(CONFIG)  # what it trains still counts


def test_an_unversioned_manifest_with_default_sets_keeps_them():
    raw = current()
    del raw["format_version"]
    m = manifest.parse(raw)
    assert m.upgraded_from == 1 and m.assumed == {}  # nothing had to be assumed
    assert m.optimizers["gacgd"].defaults["acgd_eps"] == 1e-6 and m.competitive == {"bcgd", "acgd", "gacgd"}


def test_an_upgraded_manifest_is_written_in_the_current_format():
    m = manifest.parse({"spec": {}, "trials": [], "optimizers": {"adam": {"default_lr": 1e-4}}})
    written = json.loads(m.to_json())
    assert written["format_version"] == manifest.FORMAT_VERSION and written["upgraded_from"] == 1
    assert manifest.loads(m.to_json()) == m  # and reads back as itself, not upgraded twice


def test_an_unknown_format_or_field_is_refused_by_name():
    with pytest.raises(ValueError, match="format_version: 7"):
        manifest.parse(current(format_version=7))
    with pytest.raises(ValidationError, match="surprise"):
        manifest.parse(current(surprise=1))
    broken = current()
    broken["optimizers"] = {"adam": {"default_lr": 1e-4, "defaults": {}, "uses": []}}  # competitive missing
    with pytest.raises(ValidationError, match="optimizers.adam.competitive"):
        manifest.parse(broken)


def test_the_analysis_plan_comes_from_the_spec_with_defaults_for_older_studies():
    assert manifest.parse(current()).analysis == manifest.AnalysisPlan()
    plan = manifest.parse(current(spec={"name": "s", "analysis": {"equivalence_margin": 0.2,
                                                                  "primary": {"against": "adam_tuned"}}})).analysis
    assert plan.equivalence_margin == 0.2 and plan.primary.against == "adam_tuned"
    assert plan.primary.pairing == "same_regularizer"
    with pytest.raises(ValidationError, match="surprise"):
        assert manifest.parse(current(spec={"analysis": {"surprise": 1}})).analysis
