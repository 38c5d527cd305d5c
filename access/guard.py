"""The before-request check of the bearer token, and the 401 and 403 responses."""

import logging

from flask import Flask, Request, g, request

from access.policy import PUBLIC, required_role
from access.tokens import Role, TokenTable
from nodes.error_body import error_response

log = logging.getLogger(__name__)

REALM = "node-registry"


def _challenge(error: str | None = None, description: str | None = None) -> str:
    """Build a WWW-Authenticate value (RFC 6750 section 3) with no token in it."""
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    if description:
        value += f', error_description="{description}"'
    return value


def _unauthorized(message: str, error: str | None):
    return error_response(401, message, headers={"WWW-Authenticate": _challenge(error)})


def _forbidden(role: Role, needed: Role):
    allowed = " or ".join(r.label for r in Role if r >= needed)
    message = (
        f"this token has role {role.label}, and {request.method} {request.path}"
        f" needs role {allowed}; ask the operator for a token with that role"
    )
    return error_response(
        403, message, headers={"WWW-Authenticate": _challenge("insufficient_scope")}
    )


def _presented_token(req: Request) -> tuple[str | None, str | None]:
    """Return (token, None), or (None, reason) when the header has no bearer token."""
    header = req.headers.get("Authorization")
    if header is None:
        return None, None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None, "the Authorization header must use the Bearer scheme"
    token = token.strip()
    if not token:
        return None, "the Authorization header has no token after Bearer"
    return token, None


def check_request(table: TokenTable):
    """Return a 401 or 403 response when the token may not use the route, else None.

    Requests that match no route go on to Flask's 404 or 405 unchecked: they reach
    no view, and the answer tells nothing that the OpenAPI document does not.
    """
    g.role = None
    if not table.enabled:
        return None
    # One lookup of the request behind the context-local proxy per request.
    req = request._get_current_object()
    if req.url_rule is None:
        return None
    needed = required_role(req.url_rule.endpoint, req.method)
    if needed is PUBLIC:
        return None
    token, reason = _presented_token(req)
    if token is None:
        if reason is None:
            return _unauthorized(
                "missing bearer token; send the header Authorization: Bearer TOKEN",
                None,
            )
        return _unauthorized(reason, "invalid_request")
    role = table.lookup(token)
    if role is None:
        log.info("rejected an unknown token for %s %s", req.method, req.path)
        return _unauthorized(
            "the bearer token is not valid; check it with the operator who issued it",
            "invalid_token",
        )
    g.role = role
    if role < needed:
        return _forbidden(role, needed)
    return None


def init_app(app: Flask, table: TokenTable) -> None:
    """Install the token check and log whether access control is on."""
    if table.enabled:
        counts = ", ".join(f"{n} {label}" for label, n in table.role_counts().items())
        log.info("access control on: bearer tokens required (%s)", counts)
    else:
        log.warning(
            "access control off: no bearer tokens are configured, so anyone who can"
            " reach this service may read, change and delete nodes; set"
            " REGISTRY_TOKENS or REGISTRY_TOKENS_FILE before exposing it"
        )
    app.extensions["token_table"] = table

    @app.before_request
    def require_token():
        return check_request(table)
