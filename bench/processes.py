"""The servers a benchmark run starts and stops: Redis, gunicorn and Datasette.

Every server listens on a free loopback port. The registry runs under the
repository's gunicorn.conf.py, unchanged, so it is measured in its production
configuration.
"""

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.redis_server import RedisServer, free_port

log = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parent.parent

__all__ = ["RedisServer", "Server", "free_port", "start_datasette", "start_gunicorn"]


class Server:
    """One child process serving HTTP on 127.0.0.1:port, stopped with stop()."""

    def __init__(self, name: str, command: list[str], port: int, env: dict) -> None:
        self.name = name
        self.port = port
        self.log_path = Path(env["BENCH_LOG_DIR"]) / f"{name}.log"
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """Return the CPU time used so far by the server and its children (workers).

        Read from /proc, so it is 0.0 on systems without it. A worker that exits
        between two readings takes its time with it, which a benchmark run avoids
        by keeping its servers up.
        """
        return sum(_process_cpu_seconds(pid) for pid in _process_tree(self.process.pid))

    def wait_ready(self, path: str, timeout_seconds: float = 30.0) -> None:
        """Poll path until it returns any HTTP status, or raise with the log tail."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                requests.get(self.url + path, timeout=1)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        tail = self.log_path.read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"{self.name} did not start on port {self.port}:\n{tail}")

    def wait_idle(self, path: str, timeout_seconds: float = 120.0) -> float:
        """Wait until path responds within 50 ms, which shows that the requests a load
        generator left in flight are done. Returns the seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_seconds:
            begin = time.monotonic()
            try:
                requests.get(self.url + path, timeout=timeout_seconds)
            except requests.RequestException:
                time.sleep(0.1)
                continue
            if time.monotonic() - begin < 0.05:
                return time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} is still busy after {timeout_seconds:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in 20 s; killing it", self.name)
                self.process.kill()
                self.process.wait()
        self._log_file.close()


def _process_tree(pid: int) -> list[int]:
    """Return pid and its children, from /proc/PID/task/TID/children."""
    pids = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids += [int(child) for child in children.read_text().split()]
        except OSError:
            continue
    return pids


def _process_cpu_seconds(pid: int) -> float:
    """Return user plus system CPU seconds of one process, 0.0 if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields after the parenthesized command name; utime and stime are the 14th
    # and 15th fields of the whole line, in clock ticks.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bin(name: str) -> str:
    """Return the path of a console script of this virtualenv, else from PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(
            f"{name} is not installed; run pip install -e '.[bench]' in this"
            " repository's virtualenv"
        )
    return found


def start_gunicorn(name: str, app: str, env: dict) -> Server:
    """Start gunicorn with gunicorn.conf.py serving app ("module:variable")."""
    port = free_port()
    server_env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    command = [_bin("gunicorn"), "--config", "gunicorn.conf.py", app]
    return Server(name, command, port, server_env)


def start_datasette(database: Path, env: dict) -> Server:
    """Start one Datasette process serving database read-only (bench/peer_app.py)."""
    port = free_port()
    command = [sys.executable, "-m", "bench.peer_app", str(database), str(port)]
    return Server("datasette", command, port, {**env, "PYTHONUNBUFFERED": "1"})


def base_environment(log_dir: Path) -> dict:
    """Return the environment for child servers, without any inherited REDIS_URL."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("REDIS_", "REGISTRY_", "WEB_", "ACCESS_LOG"))
    }
    env["BENCH_LOG_DIR"] = str(log_dir)
    env["PYTHONPATH"] = str(REPOSITORY)
    return env
