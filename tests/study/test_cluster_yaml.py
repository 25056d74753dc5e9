"""Both cluster configs (NFS: cluster.yaml; bucket, no NFS: cluster-bucket.yaml) pass Ray's own
validator, keep the dashboard off public interfaces, and give every node the token from outside the
repository."""
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = ["cluster.yaml", "cluster-bucket.yaml"]


@pytest.fixture(scope="module", params=FILES)
def cluster(request):
    util = pytest.importorskip("ray.autoscaler._private.util")
    path = ROOT / request.param
    cfg = util.prepare_config(yaml.safe_load(path.read_text()))
    util.validate_config(cfg)  # raises on schema errors, bad node types, min > max workers
    return path, cfg


def test_validates_with_rays_validator(cluster):
    _, config = cluster
    assert config["head_node_type"] in config["available_node_types"]


def test_dashboard_binds_to_localhost_only(cluster):
    path, config = cluster
    head = " ".join(config["head_start_ray_commands"])
    assert "--dashboard-host=127.0.0.1" in head
    assert "0.0.0.0" not in path.read_text()


def test_installs_this_project_on_every_node(cluster):
    _, config = cluster
    assert any("pip install" in c and "~/ganstudy" in c for c in config["setup_commands"])
    assert "~/ganstudy" in config["file_mounts"]


@pytest.mark.parametrize("name", FILES)
def test_no_credentials_in_the_file(name):
    text = (ROOT / name).read_text().lower()
    for secret in ("aws_access_key", "aws_secret", "secret_access", "password", "ssh_private_key"):
        assert secret not in text


def test_every_node_gets_the_token_from_outside_the_repository(cluster):
    path, config = cluster
    # the token file comes from the user's ~/.ray (never a path inside this repository) to every node
    assert config["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"
    starts = config["head_start_ray_commands"] + config["worker_start_ray_commands"]
    assert all("RAY_AUTH_MODE=token ray start" in c for c in starts if "ray start" in c)
    assert not re.search(r"[0-9a-f]{32}", path.read_text()), "a token-like string is in the file"


def test_the_bucket_variant_needs_no_nfs():
    cfg = yaml.safe_load((ROOT / "cluster-bucket.yaml").read_text())
    commands = " ".join(cfg["setup_commands"] + cfg["head_start_ray_commands"] + cfg["worker_start_ray_commands"])
    assert "mount" not in commands and "nfs" not in commands.lower()
    assert "--storage s3://" in (ROOT / "cluster-bucket.yaml").read_text()
