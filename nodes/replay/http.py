"""The replay's HTTP calls: one keep-alive session per thread, every call timed."""

import time

import requests

from nodes.commands.registry_client import ApiSession, service_message
from nodes.replay.stats import Stats


class ReplayClient(ApiSession):
    """Sends requests to a registry and records each one in Stats."""

    def __init__(
        self,
        base_url: str,
        stats: Stats,
        token: str | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        super().__init__(base_url, token, timeout_seconds)
        self.stats = stats

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
            response = self.send(method, path, body)
            if response.status_code != expected:
                error = (
                    f"{method} {path}: HTTP {response.status_code}"
                    f" {service_message(response)}"
                )
        except requests.RequestException as exc:
            error = f"{method} {path}: {type(exc).__name__}"
        self.stats.record(kind, (time.perf_counter() - started) * 1000, error)
        return None if error else response
