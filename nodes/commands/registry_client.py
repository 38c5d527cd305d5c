"""A small HTTP client of the registry API for command-line tools.

Each thread gets its own requests.Session, so a thread pool reuses one keep-alive
connection per thread. The bearer token goes only into the Authorization header and is
never part of a message.
"""

import threading

import requests


class RequestFailed(Exception):
    """A request to the service failed. The message names the request and the reason."""


class RegistryClient:
    """Sends requests to one registry at ``base_url``, such as http://127.0.0.1:8000."""

    def __init__(
        self, base_url: str, token: str | None = None, timeout_seconds: float = 30.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(self._headers)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def request(self, method: str, path: str, body: dict | None = None):
        """Send one request and return its JSON body; raise RequestFailed on failure."""
        url = self.base_url + path
        try:
            response = self._session().request(
                method, url, json=body, timeout=self.timeout_seconds
            )
        except requests.Timeout:
            raise RequestFailed(
                f"{method} {url} timed out after {self.timeout_seconds} s; check that"
                " the service is running and raise --timeout if it is slow"
            ) from None
        except requests.ConnectionError as exc:
            raise RequestFailed(
                f"cannot connect to {url}: {exc.__class__.__name__}; check --url and"
                " that the service is running (make run starts it)"
            ) from None
        if response.status_code >= 400:
            raise RequestFailed(describe_failure(method, url, response))
        try:
            return response.json()
        except ValueError:
            raise RequestFailed(
                f"{method} {url} returned HTTP {response.status_code} with a body that"
                " is not JSON; check that --url is the node registry"
            ) from None

    def hardware_catalog(self) -> dict[str, dict]:
        """Return the service's hardware catalog by ID."""
        return {entry["id"]: entry for entry in self.request("GET", "/v1/hardware")}

    def create_node(self, body: dict) -> dict:
        return self.request("POST", "/v1/nodes/create", body)

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()


def describe_failure(method: str, url: str, response: requests.Response) -> str:
    """Return a message for an error response, with the service's own message."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    if not message:
        message = response.text[:200].strip() or "no message"
    text = f"{method} {url} failed with HTTP {response.status_code}: {message}"
    if response.status_code in (401, 403):
        text += "; set NODES_TOKEN to a token that the service accepts"
    elif response.status_code == 404 and url.endswith("/v1/hardware"):
        text += "; check that --url is the node registry"
    elif response.status_code == 503:
        retry_after = response.headers.get("Retry-After")
        text += (
            f"; the service asks to retry after {retry_after} s" if retry_after else ""
        )
    return text
