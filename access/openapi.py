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

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            role = required_role(rule.endpoint, method.upper())
            operation["security"] = [] if role is PUBLIC else [{SCHEME_NAME: []}]
            operation["x-required-role"] = "public" if role is PUBLIC else role.label
            note = role_note(role)
            description = operation.get("description")
            operation["description"] = (
                f"{description}\n\n{note}" if description else note
            )
