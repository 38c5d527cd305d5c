"""Which role each route needs: one line per (endpoint, method).

An endpoint is Flask's name for a route, "blueprint.ViewClass" for flask-smorest
views. A route missing from ROUTE_ROLES needs the admin role, so a route added without
a line here is closed to read and worker tokens rather than open to them.
"""

from access.tokens import Role

# None means public: reachable without a token, even when tokens are configured.
PUBLIC = None

ROUTE_ROLES: dict[tuple[str, str], Role | None] = {
    ("nodes.NodeList", "POST"): Role.READ,
    ("nodes.NodeItem", "GET"): Role.READ,
    ("hardware.HardwareList", "GET"): Role.READ,
    ("nodes.NodeCreate", "POST"): Role.WORKER,
    ("nodes.NodeItem", "PUT"): Role.WORKER,
    ("nodes.NodeItem", "PATCH"): Role.WORKER,
    ("nodes.NodeHeartbeat", "POST"): Role.WORKER,
    ("nodes.NodeItem", "DELETE"): Role.ADMIN,
    ("consistency.ConsistencyCheck", "POST"): Role.ADMIN,
    ("admin.Reap", "POST"): Role.ADMIN,
    ("health.Liveness", "GET"): PUBLIC,
    ("health.Readiness", "GET"): PUBLIC,
    # The OpenAPI document and its viewer describe the API and hold no data.
    ("api-docs.openapi_json", "GET"): PUBLIC,
    ("api-docs.openapi_swagger_ui", "GET"): PUBLIC,
    ("swagger_ui_assets", "GET"): PUBLIC,
}

# HEAD runs the GET view; OPTIONS only lists the allowed methods.
METHOD_ALIASES = {"HEAD": "GET", "OPTIONS": "GET"}


def required_role(endpoint: str, method: str) -> Role | None:
    """Return the role that a request needs, or None for a public route."""
    method = METHOD_ALIASES.get(method, method)
    return ROUTE_ROLES.get((endpoint, method), Role.ADMIN)
