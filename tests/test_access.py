"""Bearer tokens and roles: parsing, lookup, 401 and 403, the OpenAPI declaration."""

import logging

import pytest

from access.policy import ROUTE_ROLES, required_role
from access.tokens import Role, TokenTable, parse_token_entries
from app import create_app
from tests.conftest import make_app
from tests.factories import node_body

READ_TOKEN = "r" * 32
WORKER_TOKEN = "w-" + "k" * 40
ADMIN_TOKEN = "A1b2C3d4" * 6
TOKENS = f"read:{READ_TOKEN}, worker:{WORKER_TOKEN}\nadmin:{ADMIN_TOKEN}"
UNKNOWN_TOKEN = "u" * 32

BEARER = {
    "read": {"Authorization": f"Bearer {READ_TOKEN}"},
    "worker": {"Authorization": f"Bearer {WORKER_TOKEN}"},
    "admin": {"Authorization": f"Bearer {ADMIN_TOKEN}"},
    None: {},
}


@pytest.fixture
def secured(redis_client, clock):
    app = make_app(redis_client, clock, REGISTRY_TOKENS=TOKENS)
    client = app.test_client()
    created = client.post("/v1/nodes/create", json=node_body(), headers=BEARER["admin"])
    assert created.status_code == 201
    return client


@pytest.mark.parametrize(
    "entry, fragment",
    [
        ("reader", "has no ':'"),
        (f"owner:{'x' * 32}", "role 'owner'"),
        ("read:short", "token of 5 characters"),
        (f"read:{'x' * 31}!", "characters outside"),
        (f"read:{'x' * 513}", "token of 513 characters"),
    ],
)
def test_parse_rejects_entry(entry, fragment):
    with pytest.raises(ValueError) as info:
        parse_token_entries(entry, "REGISTRY_TOKENS", lines=False)
    assert fragment in str(info.value)


def test_parse_error_omits_token():
    token = "secret-" + "z" * 20
    with pytest.raises(ValueError) as info:
        parse_token_entries(f"read:{token}", "REGISTRY_TOKENS", lines=False)
    assert token not in str(info.value)


def test_file_skips_comments_and_blanks():
    text = f"# fleet agents\n\nworker:{WORKER_TOKEN}\n  # old\nread:{READ_TOKEN}\n"
    pairs = parse_token_entries(text, "REGISTRY_TOKENS_FILE", lines=True)
    assert pairs == [(Role.WORKER, WORKER_TOKEN), (Role.READ, READ_TOKEN)]


def test_lookup_finds_each_role():
    table = TokenTable.from_config(TOKENS, "")
    assert table.lookup(READ_TOKEN) is Role.READ
    assert table.lookup(WORKER_TOKEN) is Role.WORKER
    assert table.lookup(ADMIN_TOKEN) is Role.ADMIN


def test_lookup_unknown_is_none():
    table = TokenTable.from_config(TOKENS, "")
    assert table.lookup(UNKNOWN_TOKEN) is None
    assert table.lookup(READ_TOKEN[:-1]) is None


def test_same_token_two_roles_rejected():
    with pytest.raises(ValueError):
        TokenTable.from_config(f"read:{READ_TOKEN} admin:{READ_TOKEN}", "")


def test_tokens_file_is_read(tmp_path, redis_client, clock):
    path = tmp_path / "tokens"
    path.write_text(f"admin:{ADMIN_TOKEN}\n")
    app = make_app(redis_client, clock, REGISTRY_TOKENS_FILE=str(path))
    client = app.test_client()
    assert client.get("/v1/hardware").status_code == 401
    assert client.get("/v1/hardware", headers=BEARER["admin"]).status_code == 200


# (method, path, body, role that the route needs)
ROUTES = [
    ("post", "/v1/nodes/list", None, "read"),
    ("get", "/v1/nodes/1", None, "read"),
    ("get", "/v1/hardware", None, "read"),
    ("post", "/v1/nodes/create", node_body(), "worker"),
    ("put", "/v1/nodes/1", node_body(index=2), "worker"),
    ("patch", "/v1/nodes/1", {}, "worker"),
    ("delete", "/v1/nodes/1", None, "admin"),
]
RANK = {None: 0, "read": 1, "worker": 2, "admin": 3}


@pytest.mark.parametrize("role", [None, "read", "worker", "admin"])
@pytest.mark.parametrize("method, path, body, needed", ROUTES)
def test_route_status_by_role(secured, method, path, body, needed, role):
    response = getattr(secured, method)(path, json=body, headers=BEARER[role])
    if role is None:
        expected = 401
    elif RANK[role] < RANK[needed]:
        expected = 403
    else:
        if method == "delete":
            expected = 204
        elif "create" in path:
            expected = 201
        else:
            expected = 200
    assert response.status_code == expected


@pytest.mark.parametrize(
    "headers, error",
    [
        ({}, None),
        ({"Authorization": f"Bearer {UNKNOWN_TOKEN}"}, "invalid_token"),
        ({"Authorization": f"Basic {READ_TOKEN}"}, "invalid_request"),
        ({"Authorization": "Bearer "}, "invalid_request"),
        ({"Authorization": f"bearer  {UNKNOWN_TOKEN}  "}, "invalid_token"),
    ],
)
def test_unauthorized_shape(secured, headers, error):
    response = secured.get("/v1/nodes/1", headers=headers)
    body = response.get_json()
    assert response.status_code == 401
    assert body["code"] == 401
    assert body["status"] == "Unauthorized"
    assert isinstance(body["message"], str)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert (f'error="{error}"' in challenge) == (error is not None)


def test_forbidden_shape(secured):
    response = secured.delete("/v1/nodes/1", headers=BEARER["worker"])
    body = response.get_json()
    assert response.status_code == 403
    assert body["code"] == 403
    assert body["status"] == "Forbidden"
    assert "needs role admin" in body["message"]


def test_bearer_scheme_is_case_insensitive(secured):
    headers = {"Authorization": f"BEARER {READ_TOKEN}"}
    assert secured.get("/v1/nodes/1", headers=headers).status_code == 200


@pytest.mark.parametrize("token", [UNKNOWN_TOKEN, READ_TOKEN])
def test_token_never_echoed(secured, caplog, token):
    caplog.set_level(logging.DEBUG)
    response = secured.delete(
        "/v1/nodes/1", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code in (401, 403)
    assert token not in response.get_data(as_text=True)
    assert token not in str(dict(response.headers))
    assert token not in caplog.text


def test_tokens_never_logged_at_start(redis_client, clock, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(redis_client, clock, REGISTRY_TOKENS=TOKENS)
    assert READ_TOKEN not in caplog.text
    assert ADMIN_TOKEN not in caplog.text
    assert READ_TOKEN not in repr(app.extensions["node_registry"].settings)


def test_open_mode_warns_at_start(redis_client, clock, caplog):
    caplog.set_level(logging.INFO)
    app = make_app(redis_client, clock)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("access control off" in r.getMessage() for r in warnings)
    client = app.test_client()
    assert client.post("/v1/nodes/create", json=node_body()).status_code == 201


def test_invalid_tokens_stop_start(redis_client, clock):
    with pytest.raises(ValueError):
        make_app(redis_client, clock, REGISTRY_TOKENS="admin:short")


def test_unmapped_route_needs_admin(redis_client, clock):
    app = make_app(redis_client, clock, REGISTRY_TOKENS=TOKENS)
    app.add_url_rule("/v1/new-thing", "new_thing", lambda: "ok")
    client = app.test_client()
    assert client.get("/v1/new-thing", headers=BEARER["worker"]).status_code == 403
    assert client.get("/v1/new-thing", headers=BEARER["admin"]).status_code == 200


def test_unmapped_method_needs_admin():
    assert required_role("nodes.NodeItem", "POST") is Role.ADMIN
    assert required_role("nodes.NodeItem", "HEAD") is Role.READ


@pytest.mark.parametrize("path", ["/health/live", "/health/ready", "/openapi.json"])
def test_public_routes_need_no_token(secured, path):
    assert secured.get(path).status_code == 200


def test_unknown_path_is_404_without_token(secured):
    assert secured.get("/v1/nothing-here").status_code == 404


def test_openapi_declares_scheme(redis_client, clock):
    spec = make_app(redis_client, clock).test_client().get("/openapi.json").get_json()
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"


def test_openapi_role_per_operation():
    app = create_app({"REGISTRY_TOKENS": TOKENS})
    spec = app.test_client().get("/openapi.json").get_json()
    endpoints = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    checked = 0
    for path, operations in spec["paths"].items():
        flask_path = path.replace("{pk}", "<pk:pk>")
        for method, operation in operations.items():
            if method == "parameters":
                continue
            role = required_role(endpoints[flask_path], method.upper())
            label = "public" if role is None else role.label
            assert operation["x-required-role"] == label
            assert ("Access: " in operation["description"]) is True
            assert (operation["security"] == []) == (role is None)
            checked += 1
    assert checked >= 9


def test_policy_names_only_roles():
    assert all(role is None or isinstance(role, Role) for role in ROUTE_ROLES.values())
