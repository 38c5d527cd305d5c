"""The HTTP client of the registry API that the command-line tools share.

``ApiSession`` contains what nodes-import, nodes-agent and nodes-replay share:
the base URL, the timeout, one keep-alive requests.Session per thread (so a thread
pool reuses one connection per thread) and the bearer token. The token goes only into
the Authorization header and is never part of a message or a log line.
``RegistryClient`` is the client of nodes-import; the agent and the replay subclass
``ApiSession`` for their own error handling.
"""

import os
import threading
from pathlib import Path

import requests

TOKEN_ENV = "NODES_TOKEN"
DEFAULT_URL = "http://127.0.0.1:8000"


def read_token(token_file: Path | None = None) -> str | None:
    """Return the bearer token from ``token_file``, else from $NODES_TOKEN.

    Surrounding whitespace is stripped; an empty token is None. Raises OSError when
    the file cannot be read.
    """
    if token_file is not None:
        return token_file.read_text().strip() or None
    return (os.environ.get(TOKEN_ENV) or "").strip() or None


class ApiSession:
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

    def send(
        self, method: str, path: str, body: object | None = None
    ) -> requests.Response:
        """Send one request with a JSON body; raises requests.RequestException."""
        return self._session().request(
            method, self.base_url + path, json=body, timeout=self.timeout_seconds
        )

    def close(self) -> None:
        """Close the sessions of every thread."""
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()


def service_message(response: requests.Response, max_chars: int = 200) -> str:
    """Return the ``message`` of an error body, else the body's first max_chars."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    if not message:
        message = response.text[:max_chars].strip() or "no message"
    return str(message)


class RequestFailed(Exception):
    """A request to the service failed. The message names the request and the reason."""


class RegistryClient(ApiSession):
    """The client of nodes-import: JSON bodies back, RequestFailed on any failure."""

    def request(self, method: str, path: str, body: dict | None = None):
        """Send one request and return its JSON body; raise RequestFailed on failure."""
        url = self.base_url + path
        try:
            response = self.send(method, path, body)
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


def describe_failure(method: str, url: str, response: requests.Response) -> str:
    """Return a message for an error response, with the service's own message."""
    message = service_message(response)
    text = f"{method} {url} failed with HTTP {response.status_code}: {message}"
    if response.status_code in (401, 403):
        text += f"; set {TOKEN_ENV} to a token that the service accepts"
    elif response.status_code == 404 and url.endswith("/v1/hardware"):
        text += "; check that --url is the node registry"
    elif response.status_code == 503:
        retry_after = response.headers.get("Retry-After")
        text += (
            f"; the service asks to retry after {retry_after} s" if retry_after else ""
        )
    return text
