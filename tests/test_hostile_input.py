"""Hostile requests to every endpoint: each gets its error status, the JSON error
shape {code, status, message, errors?}, and leaves the stored data unchanged.

The registry contains a GPU node (pk 1) and a CPU-only node (pk 2) before each case.
Filter-spec rows accept any of 400, 413 and 422, because the filter specification
defines which of its errors is which; adjust FILTER_STATUSES or a row's statuses when
that specification settles.
"""

import json

import pytest

from nodes.schemas import MAX_BYTES, MAX_DRIVER_VERSION_LENGTH, MAX_INDEX, MAX_JOB_ID
from tests.conftest import make_app
from tests.factories import GIB, cpu_node_body, node_body

MAX_BODY_BYTES = 65536
MAX_PK = 2**53 - 1
FILTER_STATUSES = {400, 413, 422}
JSON = "application/json"
ABSENT = object()


def case(name, method, path, statuses, body=ABSENT, raw=None, content_type=JSON):
    """A table row: the request and the statuses it may get."""
    if isinstance(statuses, int):
        statuses = {statuses}
    if raw is None and body is not ABSENT:
        raw = json.dumps(body).encode()
    return pytest.param(method, path, raw, content_type, statuses, id=name)


def create(name, statuses=422, **overrides):
    return case(name, "post", "/v1/nodes/create", statuses, node_body(**overrides))


def create_without(field):
    body = node_body()
    del body[field]
    return case(f"create-without-{field}", "post", "/v1/nodes/create", 422, body)


def put(name, body, statuses=422, pk=1):
    return case(name, "put", f"/v1/nodes/{pk}", statuses, body)


def patch(name, body, statuses=422, pk=1):
    return case(name, "patch", f"/v1/nodes/{pk}", statuses, body)


def list_spec(name, body=ABSENT, raw=None, statuses=None, content_type=JSON):
    return case(
        f"list-{name}",
        "post",
        "/v1/nodes/list",
        statuses or FILTER_STATUSES,
        body,
        raw,
        content_type,
    )


def nested(depth: int) -> dict:
    spec = {"gpu_mem": {"gte": 1}}
    for _ in range(depth):
        spec = {"and": [spec]}
    return {"filter": spec}


NODE_CASES = [
    # Wrong JSON types, field by field.
    create("index-string", index="0"),
    create("index-float", index=1.0),
    create("index-bool", index=True),
    create("index-null", index=None),
    create("index-array", index=[0]),
    create("cpu_mem-string", cpu_mem="1"),
    create("cpu_mem-float", cpu_mem=1.5),
    create("cpu_mem-object", cpu_mem={"bytes": 1}),
    create("gpu_mem-bool", gpu_mem=False),
    create("gpu_mem-null", gpu_mem=None),
    create("driver-int", driver_version=535),
    create("driver-null", driver_version=None),
    create("driver-array", driver_version=["535"]),
    create("generation-int", hardware_generation=7),
    create("generation-array", hardware_generation=["hopper"]),
    # Just past every bound.
    create("index-negative", index=-1),
    create("index-past-max", index=MAX_INDEX + 1),
    create("cpu_mem-negative", cpu_mem=-1),
    create("cpu_mem-past-max", cpu_mem=MAX_BYTES + 1),
    create("gpu_mem-negative", gpu_mem=-1),
    create("gpu_mem-past-max", gpu_mem=MAX_BYTES + 1),
    create("driver-empty", driver_version=""),
    create("driver-too-long", driver_version="5" * (MAX_DRIVER_VERSION_LENGTH + 1)),
    create("driver-leading-space", driver_version=" 535"),
    create("driver-newline", driver_version="535\n"),
    create("driver-control-char", driver_version="535\x00"),
    create("driver-lone-surrogate", driver_version="\ud800"),
    create("generation-unknown", hardware_generation="HOPPER"),
    create("generation-empty", hardware_generation=""),
    case(
        "create-cpu-with-gpu_mem",
        "post",
        "/v1/nodes/create",
        422,
        cpu_node_body(gpu_mem=GIB),
    ),
    case(
        "create-cpu-with-index", "post", "/v1/nodes/create", 422, cpu_node_body(index=1)
    ),
    # Missing, unknown and read-only fields.
    create_without("index"),
    create_without("hardware_generation"),
    create_without("driver_version"),
    create("unknown-field", color="green"),
    create("unknown-nested", index={"nested": {"deep": 1}}),
    create("read-only-pk", pk=1),
    create("read-only-last_seen", last_seen="2026-01-01T00:00:00Z"),
    create("read-only-status", status="alive"),
    create("job-on-create", current_job_id=5),
    # Bodies that are not a JSON object of fields.
    case("create-array", "post", "/v1/nodes/create", 422, []),
    case("create-string", "post", "/v1/nodes/create", 422, "node"),
    case("create-null", "post", "/v1/nodes/create", 422, None),
    case("create-number", "post", "/v1/nodes/create", 422, 42),
    case("create-empty-body", "post", "/v1/nodes/create", 422, raw=b""),
    case("create-truncated", "post", "/v1/nodes/create", 400, raw=b'{"index":'),
    case("create-nan", "post", "/v1/nodes/create", 400, raw=b'{"index": NaN}'),
    case(
        "create-infinity", "post", "/v1/nodes/create", 400, raw=b'{"cpu_mem": Infinity}'
    ),
    case(
        "create-41-digits",
        "post",
        "/v1/nodes/create",
        422,
        raw=b'{"cpu_mem": ' + b"9" * 41 + b"}",
    ),
    case(
        "create-bad-utf8",
        "post",
        "/v1/nodes/create",
        400,
        raw=b'{"driver_version": "\xff\xfe"}',
    ),
    case(
        "create-utf16",
        "post",
        "/v1/nodes/create",
        400,
        raw=json.dumps(node_body()).encode("utf-16"),
    ),
    case("create-bom", "post", "/v1/nodes/create", 400, raw=b"\xef\xbb\xbf{}"),
    case("create-deep-nesting", "post", "/v1/nodes/create", 400, raw=b"[" * 50000),
    case(
        "create-oversized",
        "post",
        "/v1/nodes/create",
        413,
        raw=b'{"driver_version": "' + b"x" * MAX_BODY_BYTES + b'"}',
    ),
    # Content-Type.
    case(
        "create-text-plain",
        "post",
        "/v1/nodes/create",
        415,
        node_body(),
        content_type="text/plain",
    ),
    case(
        "create-form",
        "post",
        "/v1/nodes/create",
        415,
        raw=b"index=0",
        content_type="application/x-www-form-urlencoded",
    ),
    case(
        "create-no-content-type",
        "post",
        "/v1/nodes/create",
        415,
        node_body(),
        content_type=None,
    ),
    # PUT.
    put(
        "put-missing-gpu_mem", {k: v for k, v in node_body().items() if k != "gpu_mem"}
    ),
    put("put-index-past-max", node_body(index=MAX_INDEX + 1)),
    put("put-job", node_body(current_job_id=3)),
    put("put-unknown-field", node_body(rack="r1")),
    put("put-array", [node_body()]),
    put("put-cpu-with-index", cpu_node_body(index=3)),
    put("put-missing-node", node_body(), statuses=404, pk=99),
    put("put-pk-zero", node_body(), statuses=404, pk=0),
    case(
        "put-text-plain",
        "put",
        "/v1/nodes/1",
        415,
        node_body(),
        content_type="text/plain",
    ),
    # PATCH.
    patch("patch-job-zero", {"current_job_id": 0}),
    patch("patch-job-past-max", {"current_job_id": MAX_JOB_ID + 1}),
    patch("patch-job-string", {"current_job_id": "7"}),
    patch("patch-job-float", {"current_job_id": 1.5}),
    patch("patch-job-bool", {"current_job_id": True}),
    patch("patch-index-past-max", {"index": MAX_INDEX + 1}),
    patch("patch-gpu-to-cpu", {"hardware_generation": "cpu"}),
    patch("patch-cpu-gets-gpu_mem", {"gpu_mem": GIB}, pk=2),
    patch("patch-cpu-gets-index", {"index": 1}, pk=2),
    patch("patch-unknown-field", {"owner": "x"}),
    patch("patch-read-only", {"last_seen": 0}),
    patch("patch-string-body", "x"),
    patch("patch-missing-node", {}, statuses=404, pk=99),
    case("patch-nan", "patch", "/v1/nodes/1", 400, raw=b'{"gpu_mem": NaN}'),
    case("patch-bad-utf8", "patch", "/v1/nodes/1", 400, raw=b'{"\xc3\x28": 1}'),
    case("patch-no-content-type", "patch", "/v1/nodes/1", 415, {}, content_type=None),
    # Path parameters that are not pks of stored nodes.
    case("get-pk-zero", "get", "/v1/nodes/0", 404),
    case("get-pk-negative", "get", "/v1/nodes/-1", 404),
    case("get-pk-word", "get", "/v1/nodes/abc", 404),
    case("get-pk-float", "get", "/v1/nodes/1.5", 404),
    case("get-pk-past-max", "get", f"/v1/nodes/{MAX_PK + 1}", 404),
    case("get-pk-nul", "get", "/v1/nodes/%00", 404),
    case("get-pk-empty", "get", "/v1/nodes/", 404),
    case("get-missing-node", "get", f"/v1/nodes/{MAX_PK}", 404),
    case("delete-pk-zero", "delete", "/v1/nodes/0", 404),
    case("delete-missing-node", "delete", "/v1/nodes/99", 404),
    case("patch-pk-negative", "patch", "/v1/nodes/-5", 404, {}),
    # Methods a route does not take.
    case("post-to-node", "post", "/v1/nodes/1", 405, {}),
    case("get-create", "get", "/v1/nodes/create", 405),
    case("delete-hardware", "delete", "/v1/hardware", 405),
    # The admin consistency check's options.
    case(
        "check-repair-string",
        "post",
        "/v1/admin/consistency-check",
        422,
        {"repair": "yes"},
    ),
    case(
        "check-batch-zero",
        "post",
        "/v1/admin/consistency-check",
        422,
        {"batch_size": 0},
    ),
    case(
        "check-batch-past-max",
        "post",
        "/v1/admin/consistency-check",
        422,
        {"batch_size": 10001},
    ),
    case("check-unknown-field", "post", "/v1/admin/consistency-check", 422, {"all": 1}),
    case("check-array", "post", "/v1/admin/consistency-check", 422, []),
]

FILTER_CASES = [
    list_spec("array", []),
    list_spec("string", "gpu_mem > 1"),
    list_spec("number", 1),
    list_spec("unknown-key", {"bogus": 1}),
    list_spec("unknown-nested", {"filter": {"bogus": {"nested": {"deep": 1}}}}),
    list_spec("deep-and", nested(200)),
    list_spec("past-parser-depth", raw=b'{"filter":' + b'{"and":[' * 5000),
    list_spec("many-clauses", {"filter": {"or": [{"gpu_mem": {"gte": 1}}] * 2500}}),
    list_spec("oversized", raw=b'{"filter": "' + b"x" * MAX_BODY_BYTES + b'"}'),
    list_spec("limit-negative", {"limit": -1}),
    list_spec("limit-string", {"limit": "10"}),
    list_spec("sort-number", {"sort": 5}),
    list_spec("nan", raw=b'{"limit": NaN}'),
    list_spec("bad-utf8", raw=b'{"filter": "\xff"}'),
    list_spec("text-plain", {}, content_type="text/plain", statuses={415}),
]


@pytest.fixture
def seeded(redis_client, clock):
    app = make_app(redis_client, clock)
    store = app.extensions["node_registry"].store
    store.create(node_body())
    store.create(cpu_node_body())
    return app.test_client(), store


def snapshot(store) -> dict:
    """Return every key of the registry with its type and value."""
    client = store.client
    state = {}
    for key in client.scan_iter(match=store.keys.tag + "*", count=1000):
        kind = client.type(key)
        if kind == "hash":
            value = client.hgetall(key)
        elif kind == "zset":
            value = client.zrange(key, 0, -1, withscores=True)
        else:
            value = client.get(key)
        state[key] = (kind, value)
    return state


def assert_error_shape(response, statuses) -> None:
    assert response.status_code in statuses
    assert response.mimetype == JSON
    body = response.get_json()
    assert isinstance(body, dict)
    assert set(body) <= {"code", "status", "message", "errors"}
    assert body["code"] == response.status_code
    assert isinstance(body["status"], str)
    assert isinstance(body["message"], str)
    assert body["message"] != ""
    assert isinstance(body.get("errors", {}), dict)


@pytest.mark.parametrize(
    "method, path, raw, content_type, statuses", NODE_CASES + FILTER_CASES
)
def test_hostile_request(seeded, method, path, raw, content_type, statuses):
    client, store = seeded
    before = snapshot(store)
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = client.open(path, method=method.upper(), data=raw, headers=headers)
    assert_error_shape(response, statuses)
    assert snapshot(store) == before


def test_table_size():
    assert len(NODE_CASES) + len(FILTER_CASES) >= 60


# Values exactly at a bound are accepted and stored as sent.
AT_BOUNDS = [
    ("post", "/v1/nodes/create", node_body(index=MAX_INDEX), "index", MAX_INDEX),
    ("post", "/v1/nodes/create", node_body(cpu_mem=MAX_BYTES), "cpu_mem", MAX_BYTES),
    ("post", "/v1/nodes/create", node_body(cpu_mem=0), "cpu_mem", 0),
    ("post", "/v1/nodes/create", node_body(gpu_mem=MAX_BYTES), "gpu_mem", MAX_BYTES),
    (
        "post",
        "/v1/nodes/create",
        node_body(driver_version="5" * MAX_DRIVER_VERSION_LENGTH),
        "driver_version",
        "5" * MAX_DRIVER_VERSION_LENGTH,
    ),
    ("post", "/v1/nodes/create", node_body(driver_version="5"), "driver_version", "5"),
    ("patch", "/v1/nodes/1", {"current_job_id": 1}, "current_job_id", 1),
    (
        "patch",
        "/v1/nodes/1",
        {"current_job_id": MAX_JOB_ID},
        "current_job_id",
        MAX_JOB_ID,
    ),
    ("put", "/v1/nodes/1", node_body(index=0), "index", 0),
]


@pytest.mark.parametrize("method, path, body, field, value", AT_BOUNDS)
def test_value_at_bound_accepted(seeded, method, path, body, field, value):
    client, store = seeded
    response = getattr(client, method)(path, json=body)
    assert response.status_code in (200, 201)
    pk = response.get_json()["pk"]
    assert store.get(pk)[field] == value


def test_body_at_size_limit_accepted(seeded):
    client, _store = seeded
    body = json.dumps(node_body()).encode()
    padded = body[:-1] + b" " * (MAX_BODY_BYTES - len(body)) + b"}"
    assert len(padded) == MAX_BODY_BYTES
    response = client.post("/v1/nodes/create", data=padded, content_type=JSON)
    assert response.status_code == 201


def test_snapshot_sees_changes(seeded):
    client, store = seeded
    before = snapshot(store)
    assert store.keys.node(1) in before
    client.patch("/v1/nodes/1", json={"current_job_id": 3})
    assert snapshot(store) != before
