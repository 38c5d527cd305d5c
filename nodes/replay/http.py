"""The replay's HTTP calls: one keep-alive session per thread, every call timed."""

import threading
import time

import requests

from nodes.replay.stats import Stats


class ReplayClient:
    """Sends requests to a registry and records each one in Stats."""

    def __init__(
        self,
        base_url: str,
        stats: Stats,
        token: str | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.stats = stats
        self.token = token
        self.timeout_seconds = timeout_seconds
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            if self.token:
                session.headers["Authorization"] = f"Bearer {self.token}"
            self._local.session = session
        return session

    def call(
        self, kind: str, method: str, path: str, body: object, expected: int
    ) -> requests.Response | None:
        """Send one request; record it, and return the response when it is expected.

        Any other status, a timeout or a connection failure counts as an error and
        returns None.
        """
        started = time.perf_counter()
        error = None
        response = None
        try:
            response = self._session().request(
                method, self.base_url + path, json=body, timeout=self.timeout_seconds
            )
            if response.status_code != expected:
                error = (
                    f"{method} {path}: HTTP {response.status_code}"
                    f" {response.text[:200]}"
                )
        except requests.RequestException as exc:
            error = f"{method} {path}: {type(exc).__name__}"
        self.stats.record(kind, (time.perf_counter() - started) * 1000, error)
        return None if error else response

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
