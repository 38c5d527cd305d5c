"""Servers that tests start on free loopback ports: gunicorn and an in-thread WSGI.

redis-server has its own module, tests/redis_server.py.
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from werkzeug.serving import make_server

from app import create_app
from tests.redis_server import RedisServer, free_port, stop_process

REPOSITORY = Path(__file__).resolve().parent.parent


class Gunicorn:
    """The service under gunicorn with the production config, gunicorn.conf.py.

    ``env`` adds to the test process's environment; HOST and PORT are always the
    loopback address and a free port. The log goes to ``log_path``, or to a
    temporary file that cleanup() removes.
    """

    def __init__(self, env: dict[str, str], log_path: Path | None = None) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "ACCESS_LOG": "",
            **env,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
        }
        self._temporary_log = log_path is None
        if log_path is None:
            handle, name = tempfile.mkstemp(
                prefix="node-registry-gunicorn-", suffix=".log"
            )
            os.close(handle)
            log_path = Path(name)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_seconds: float = 30.0) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "wsgi:app",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPOSITORY,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_ready(timeout_seconds)
        except BaseException:
            # Leave no gunicorn behind, whatever stopped the wait.
            self.stop()
            raise

    def _wait_until_ready(self, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                if requests.get(self.url + "/health/live", timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn on port {self.port} did not start: {self.log()[-3000:]}"
                )
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process, timeout_seconds=30)
        self.process = None

    def cleanup(self) -> None:
        """Stop gunicorn and remove the log file when it is a temporary one."""
        self.stop()
        if self._temporary_log:
            self.log_path.unlink(missing_ok=True)


@contextmanager
def gunicorn_on_redis(env: dict[str, str]) -> Iterator[tuple[RedisServer, Gunicorn]]:
    """Start a redis-server of its own, then gunicorn on it; stop both at exit.

    ``env`` adds to gunicorn's environment; REDIS_URL is set to the new server.
    """
    redis_server = RedisServer()
    service = Gunicorn({**env, "REDIS_URL": redis_server.url})
    try:
        redis_server.start()
        service.start()
        yield redis_server, service
    finally:
        service.cleanup()
        redis_server.cleanup()


class ThreadedServer:
    """A WSGI app served from a thread of the test process, on a loopback port.

    ``port`` 0 takes a free port. Use it as a context manager, or call start() and
    stop().
    """

    def __init__(self, app, port: int = 0) -> None:
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket; a second call does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()

    def __enter__(self) -> "ThreadedServer":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


class LiveService(ThreadedServer):
    """The Flask app on a Redis client, served from a thread; it starts at once.

    ``settings`` take the environment variable names of the README.
    """

    def __init__(self, client, port: int = 0, **settings) -> None:
        self.app = create_app({"REDIS_CLIENT": client, **settings})
        super().__init__(self.app, port)
        self.start()

    @property
    def store(self):
        return self.app.extensions["node_registry"].store

    def nodes(self) -> list[dict]:
        return [self.store.get(pk) for chunk in self.store.iter_pks() for pk in chunk]
