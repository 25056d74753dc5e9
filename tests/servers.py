"""Local servers that tests start on 127.0.0.1 (an S3 or GCS emulator): a free port, and a process
that is ready once its port accepts connections."""
from __future__ import annotations

import os
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(argv: list[str], port: int, *, timeout_s: float = 120, **env: str) -> subprocess.Popen:
    """Start ``argv`` (a server that listens on ``port``) and return it once the port accepts."""
    proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            assert proc.poll() is None, f"{argv[0]} exited with {proc.returncode}"
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"{argv[0]} did not start listening on {port}")
