"""Declare the bearer scheme in the OpenAPI document, and each operation's role."""

from apispec import BasePlugin

from access.policy import PUBLIC, required_role
from access.tokens import Role

SCHEME_NAME = "bearerAuth"

SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": (
        "A token from the operator's REGISTRY_TOKENS, sent as"
        " Authorization: Bearer TOKEN. Roles: read (list, get, hardware catalog),"
        " worker (also create, replace, patch, heartbeat), admin (everything,"
        " including delete and the operator endpoints). Without configured tokens"
        " the service runs open and needs none."
    ),
}


ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
CHALLENGE_HEADER = {
    "WWW-Authenticate": {
        "description": 'The Bearer challenge, such as Bearer realm="node-registry",'
        ' error="invalid_token"',
        "schema": {"type": "string"},
    }
}
# Response components of every secured operation, named apart from flask-smorest's
# own UNAUTHORIZED and FORBIDDEN so that both can exist.
AUTH_RESPONSES = {
    "401": (
        "TOKEN_MISSING_OR_INVALID",
        {
            "description": "The bearer token is missing or not valid; only sent"
            " when the service has tokens configured.",
            "headers": CHALLENGE_HEADER,
            "content": ERROR_CONTENT,
        },
    ),
    "403": (
        "ROLE_NOT_ALLOWED",
        {
            "description": "The token's role may not make this request; only sent"
            " when the service has tokens configured.",
            "headers": CHALLENGE_HEADER,
            "content": ERROR_CONTENT,
        },
    ),
}


def role_note(role: Role | None) -> str:
    if role is PUBLIC:
        return "Access: public, no token needed."
    allowed = ", ".join(r.label for r in Role if r >= role)
    return f"Access: bearer token with role {allowed}."


class AccessPlugin(BasePlugin):
    """Adds ``security`` and a role note to every operation that apispec records."""

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        spec.components.security_scheme(SCHEME_NAME, SCHEME)
        for name, response in AUTH_RESPONSES.values():
            spec.components.response(name, response)

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            role = required_role(rule.endpoint, method.upper())
            operation["security"] = [] if role is PUBLIC else [{SCHEME_NAME: []}]
            if role is not PUBLIC:
                responses = operation.setdefault("responses", {})
                for code, (name, _response) in AUTH_RESPONSES.items():
                    responses.setdefault(
                        code, {"$ref": f"#/components/responses/{name}"}
                    )
            operation["x-required-role"] = "public" if role is PUBLIC else role.label
            note = role_note(role)
            description = operation.get("description")
            operation["description"] = (
                f"{description}\n\n{note}" if description else note
            )
