"""HTTP calls of the agent to the registry, with a bearer token that is never logged."""

import requests

from nodes.commands.registry_client import ApiSession, service_message


class RegistryUnreachable(Exception):
    """The registry was unreachable, timed out or returned 5xx, so retry later."""


class RegistryRejected(Exception):
    """The registry rejected a request with a 4xx other than 404: retrying fails too."""


class RegistryClient(ApiSession):
    """Create, replace and heartbeat calls against one registry base URL."""

    def __init__(
        self, base_url: str, token: str | None = None, timeout_seconds: float = 5.0
    ) -> None:
        super().__init__(base_url, token, timeout_seconds)

    def _request(self, method: str, path: str, body: dict | None) -> requests.Response:
        try:
            response = self.send(method, path, body)
        except requests.RequestException as exc:
            raise RegistryUnreachable(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise RegistryUnreachable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400 and response.status_code != 404:
            raise RegistryRejected(
                f"{method} {path}: HTTP {response.status_code}:"
                f" {service_message(response, 300)}"
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
