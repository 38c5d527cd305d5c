"""The service under gunicorn (gunicorn.conf.py) on a free loopback port, for tests."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent


class GunicornServer:
    """Start and stop ``gunicorn wsgi:app`` with the given environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "ACCESS_LOG": "",
            **env,
        }
        self.log_file = tempfile.NamedTemporaryFile(
            prefix="node-registry-gunicorn-", suffix=".log", delete=False
        )
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_seconds: float = 30.0) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/health/live", timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {self.log()[-3000:]}")

    def log(self) -> str:
        return Path(self.log_file.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        self.log_file.close()
        Path(self.log_file.name).unlink(missing_ok=True)
