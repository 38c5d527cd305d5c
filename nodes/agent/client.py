"""HTTP calls of the agent to the registry, with a bearer token that is never logged."""

import requests


class RegistryUnreachable(Exception):
    """The registry did not answer, timed out or answered 5xx; retry later."""


class RegistryRejected(Exception):
    """The registry rejected a request with a 4xx other than 404: retrying fails too."""


class RegistryClient:
    """Create, replace and heartbeat calls against one registry base URL."""

    def __init__(
        self, base_url: str, token: str | None = None, timeout_seconds: float = 5.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _request(self, method: str, path: str, body: dict | None) -> requests.Response:
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                json=body,
                timeout=self.timeout_seconds,
            )
        except requests.RequestException as exc:
            raise RegistryUnreachable(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise RegistryUnreachable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400 and response.status_code != 404:
            raise RegistryRejected(
                f"{method} {path}: HTTP {response.status_code}: {_message(response)}"
            )
        return response

    def create(self, fields: dict) -> int:
        """Register a node and return its pk."""
        return self._request("POST", "/v1/nodes/create", fields).json()["pk"]

    def replace(self, pk: int, fields: dict) -> bool:
        """PUT the node's fields; False when the registry no longer has pk."""
        return self._request("PUT", f"/v1/nodes/{pk}", fields).status_code == 200

    def heartbeat(self, pk: int, body: dict | None) -> bool:
        """Send a heartbeat; False when the registry no longer has pk."""
        response = self._request("POST", f"/v1/nodes/{pk}/heartbeat", body)
        return response.status_code == 204


def _message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:300]
    except ValueError:
        return response.text[:300]
