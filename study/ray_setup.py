"""Starting or joining Ray, with the settings that keep it quiet and robust on small machines.

Without an address a run starts its own local Ray, whatever another Ray left on the machine (a
``ray_current_cluster`` file of a head killed without ``ray stop`` would otherwise make ``ray.init``
try to join it). With an address, the cluster is checked before ``ray.init`` (which retries for
minutes and prints tracebacks): nothing listening, an unknown host, a missing or wrong token give
one line naming the address and what to do, within seconds.

Ray Client (``ray://``) is refused: through it Tune runs the study's driver on the head node, away from
the study's progress log and from a ``--storage`` folder on the user's machine, and it needs the
``ray[client]`` extra that this project does not install. Run ganstudy on a node of the cluster instead.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from study.errors import UserError

QUIET_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_DEDUP_LOGS": "1",
    "TUNE_DISABLE_STRICT_METRIC_CHECKING": "1",
    "RAY_TRAIN_ENABLE_V2_MIGRATION_WARNINGS": "0",
    "RAY_CHDIR_TO_TRIAL_DIR": "0",
    "TUNE_WARN_INSUFFICENT_RESOURCE_THRESHOLD_S": "60",
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
    # Ray starts its workers at niceness 15, below its own driver, GCS and raylet: on a small machine
    # the trials then wait for Ray's bookkeeping (benchmarks/bench_ray_overhead.py)
    "RAY_worker_niceness": "0",
    # Tune's own banner points TensorBoard at Ray's session folder; the runner prints the study's
    "RAY_AIR_NEW_OUTPUT": "0",
}
CONNECT_TIMEOUT_S = 5.0  # a TCP connection to the head
PROBE_TIMEOUT_S = 20.0  # asking the head's GCS for its cluster id, token included

# Runs in a child process: Ray's GCS client retries for 40 s when nothing answers and prints to
# stderr from C++; a child is killed at the timeout and its output stays out of the user's terminal.
_PROBE = """
import sys
from ray._raylet import GcsClient
try:
    GcsClient(address=sys.argv[1]).internal_kv_get(b"ganstudy-probe", None, timeout=5)
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0] if str(e) else "", sep="\\t")
    sys.exit(3)
print("ok")
"""


def init_ray(address: str | None = None, *, num_cpus: int | None = None) -> None:
    """A local Ray for this run when ``address`` is None; ``auto`` or ``HOST:PORT`` joins a cluster (a
    ``UserError`` when it cannot)."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    import ray

    if ray.is_initialized():
        return
    if address is None:
        # "local": never the cluster named by RAY_ADDRESS or a (possibly stale) ray_current_cluster
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                 configure_logging=True, logging_level="warning")
        return
    where = f"--address {address}"
    if address.startswith("ray://"):
        raise UserError(where, "Ray Client (ray://) is not supported: Tune would run the study's driver on "
                               "the head, away from its storage and progress log; run ganstudy on a node of "
                               "the cluster with --address auto (e.g. through `ray exec` or ssh), or give the "
                               "head's GCS address HOST:6379")
    use_token_if_available()
    target = _resolve(where, address)
    _check_tcp(where, target)
    _check_gcs(where, target)
    try:
        ray.init(address=address, log_to_driver=False, logging_level="warning")
    except (ConnectionError, RuntimeError, ValueError, ray.exceptions.RayError) as e:
        raise UserError(where, f"could not join the cluster: {_first_line(e)}") from None


def token_source() -> str | None:
    """Where Ray would read this machine's cluster token from, or None."""
    if os.environ.get("RAY_AUTH_TOKEN"):
        return "RAY_AUTH_TOKEN"
    path = os.environ.get("RAY_AUTH_TOKEN_PATH")
    if path and Path(path).expanduser().is_file():
        return f"RAY_AUTH_TOKEN_PATH={path}"
    default = Path.home() / ".ray" / "auth_token"
    return str(default) if default.is_file() else None


def use_token_if_available() -> None:
    """Send the token to an explicit address too. Ray enables token mode by itself only for
    ``address=auto`` (or a bare ``ray.init()``), so without this ``--address HOST:PORT`` fails
    with "Authentication token is missing or incorrect" even with the right token in RAY_AUTH_TOKEN."""
    if "RAY_AUTH_MODE" in os.environ or token_source() is None:
        return
    os.environ["RAY_AUTH_MODE"] = "token"
    try:  # a Ray already imported caches its config: re-read the environment, as Ray itself does
        from ray._raylet import Config

        Config.initialize("")
    except (ImportError, AttributeError):
        pass


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _resolve(where: str, address: str) -> str:
    """``HOST:PORT`` of the head's GCS (``auto``: RAY_ADDRESS, Ray's ``ray_current_cluster`` file, or
    the one Ray running on this machine)."""
    if address != "auto":
        return address
    try:
        from ray._private.services import canonicalize_bootstrap_address_or_die

        return canonicalize_bootstrap_address_or_die("auto")
    except ImportError:
        return address
    except ConnectionError as e:
        raise UserError(where, f"no Ray cluster found on this machine ({_first_line(e)}); start one with "
                               f"`ray start --head`, or give the head's HOST:PORT") from None


def _split(where: str, target: str) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise UserError(where, "expected auto or HOST:PORT")
    return host.strip("[]"), int(port)


def _check_tcp(where: str, target: str) -> None:
    host, port = _split(where, target)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            return
    except socket.gaierror:
        raise UserError(where, f"unknown host {host!r}; check the head node's name or IP") from None
    except ConnectionRefusedError:
        raise UserError(where, f"nothing listens at {host}:{port} (connection refused); start the head "
                               f"with `ray start --head --port={port}` or pass the address it printed") from None
    except TimeoutError:
        raise UserError(where, f"no answer from {host}:{port} within {CONNECT_TIMEOUT_S:g} s (host down, or a "
                               f"firewall drops the port); check the address and that the port is open") from None
    except OSError as e:
        raise UserError(where, f"cannot reach {host}:{port} ({e.strerror or e}); check the address") from None


def _check_gcs(where: str, target: str) -> None:
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, target], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        raise UserError(where, f"{target} accepts connections but no Ray cluster answered within "
                               f"{PROBE_TIMEOUT_S:g} s; pass the head's GCS port (6379 unless "
                               f"`ray start --head --port` said otherwise)") from None
    if done.returncode == 0:
        return
    kind, _, detail = done.stdout.strip().partition("\t")
    if kind == "AuthenticationError":
        source = token_source()
        if source is None:
            raise UserError(where, f"the cluster at {target} requires Ray's authentication token and this "
                                   f"machine has none; on the head run `ray get-auth-token`, then "
                                   f"`export RAY_AUTH_TOKEN=<that token>` here (never in a file in the "
                                   f"repository)")
        raise UserError(where, f"the cluster at {target} refused this machine's Ray token (from {source}); "
                               f"set RAY_AUTH_TOKEN to the head's token (`ray get-auth-token` on the head)")
    if not kind:  # the probe itself failed (an old Ray without this client): let ray.init decide
        return
    raise UserError(where, f"{target} does not answer as a Ray cluster ({kind}: {detail}); pass the head's "
                           f"GCS address (port 6379 unless `ray start --head --port` said otherwise)")
