"""cluster.yaml passes Ray's own validator and keeps the dashboard off public interfaces."""
import re
from pathlib import Path

import pytest
import yaml

CLUSTER = Path(__file__).resolve().parents[1] / "cluster.yaml"


@pytest.fixture(scope="module")
def config():
    util = pytest.importorskip("ray.autoscaler._private.util")
    cfg = util.prepare_config(yaml.safe_load(CLUSTER.read_text()))
    util.validate_config(cfg)  # raises on schema errors, bad node types, min > max workers
    return cfg


def test_validates_with_rays_validator(config):
    assert config["head_node_type"] in config["available_node_types"]


def test_dashboard_binds_to_localhost_only(config):
    head = " ".join(config["head_start_ray_commands"])
    assert "--dashboard-host=127.0.0.1" in head
    assert "0.0.0.0" not in CLUSTER.read_text()


def test_installs_this_project_on_every_node(config):
    assert any("pip install" in c and "~/ganstudy" in c for c in config["setup_commands"])
    assert "~/ganstudy" in config["file_mounts"]


def test_no_credentials_in_the_file():
    text = CLUSTER.read_text().lower()
    for secret in ("aws_access_key", "aws_secret", "secret_access", "password", "ssh_private_key"):
        assert secret not in text


def test_every_node_gets_the_token_from_outside_the_repository(config):
    # the token file comes from the user's ~/.ray (never a path inside this repository) to every node
    assert config["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"
    starts = config["head_start_ray_commands"] + config["worker_start_ray_commands"]
    assert all("RAY_AUTH_MODE=token ray start" in c for c in starts if "ray start" in c)
    assert not re.search(r"[0-9a-f]{32}", CLUSTER.read_text()), "a token-like string is in the file"
