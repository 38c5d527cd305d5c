"""Invalid node fields: each is a 422 that names the field, and nothing is written."""

import pytest

from tests.factories import GIB, cpu_node_body, node_body

# (case id, body change, field named in errors, text expected in its message)
FIELD_CASES = [
    ("index-negative", {"index": -1}, "index", "from 0 to 255, got -1"),
    ("index-over-max", {"index": 256}, "index", "from 0 to 255, got 256"),
    ("index-bool", {"index": True}, "index", "got True (bool)"),
    ("index-float", {"index": 1.0}, "index", "got 1.0 (float)"),
    ("index-string", {"index": "1"}, "index", "got '1' (str)"),
    ("index-null", {"index": None}, "index", "from 0 to 255, got null"),
    ("cpu_mem-null", {"cpu_mem": None}, "cpu_mem", "of bytes from 0 to"),
    ("gpu_mem-null", {"gpu_mem": None}, "gpu_mem", f"to {2**53 - 1}, got null"),
    ("cpu_mem-negative", {"cpu_mem": -1}, "cpu_mem", "got -1"),
    ("cpu_mem-over-2**53", {"cpu_mem": 2**53}, "cpu_mem", f"got {2**53}"),
    ("cpu_mem-bool", {"cpu_mem": False}, "cpu_mem", "got False (bool)"),
    ("cpu_mem-float", {"cpu_mem": 1.5}, "cpu_mem", "got 1.5 (float)"),
    ("cpu_mem-string", {"cpu_mem": "1024"}, "cpu_mem", "got '1024' (str)"),
    ("gpu_mem-negative", {"gpu_mem": -5}, "gpu_mem", "got -5"),
    ("gpu_mem-over-2**53", {"gpu_mem": 2**60}, "gpu_mem", f"got {2**60}"),
    ("gpu_mem-bool", {"gpu_mem": True}, "gpu_mem", "got True (bool)"),
    ("gpu_mem-float", {"gpu_mem": 8e9}, "gpu_mem", "(float)"),
    ("gpu_mem-list", {"gpu_mem": [1]}, "gpu_mem", "(list)"),
    ("driver-empty", {"driver_version": ""}, "driver_version", "1 to 64"),
    ("driver-too-long", {"driver_version": "9" * 65}, "driver_version", "got 65"),
    ("driver-number", {"driver_version": 535}, "driver_version", "a string"),
    ("driver-newline", {"driver_version": "5\n3"}, "driver_version", "printable"),
    ("driver-space", {"driver_version": " 535"}, "driver_version", "space"),
    (
        "driver-null",
        {"driver_version": None},
        "driver_version",
        "64 characters, got null",
    ),
    (
        "generation-null",
        {"hardware_generation": None},
        "hardware_generation",
        "hardware ID that GET /v1/hardware lists, got null",
    ),
    (
        "generation-unknown",
        {"hardware_generation": "g2"},
        "hardware_generation",
        "GET /v1/hardware",
    ),
    (
        "generation-case",
        {"hardware_generation": "Hopper"},
        "hardware_generation",
        "REGISTRY_HARDWARE_EXTRA",
    ),
    ("generation-number", {"hardware_generation": 9}, "hardware_generation", "9"),
    ("pk-read-only", {"pk": 5}, "pk", "read-only"),
    (
        "last_seen-read-only",
        {"last_seen": "2026-01-01T00:00:00Z"},
        "last_seen",
        "read-only",
    ),
    ("status-read-only", {"status": "alive"}, "status", "read-only"),
    ("unknown-field", {"gpu_count": 8}, "gpu_count", "unknown field"),
]

WRITES = [
    ("create", "post", "/v1/nodes/create"),
    ("put", "put", "/v1/nodes/1"),
    ("patch", "patch", "/v1/nodes/1"),
]


@pytest.fixture
def existing(api):
    response = api.post("/v1/nodes/create", json=node_body())
    assert response.status_code == 201
    return response.get_json()


@pytest.mark.parametrize(
    ("write", "method", "path"), WRITES, ids=[w[0] for w in WRITES]
)
@pytest.mark.parametrize(
    ("change", "field", "text"),
    [case[1:] for case in FIELD_CASES],
    ids=[case[0] for case in FIELD_CASES],
)
def test_invalid_field_is_422(api, existing, write, method, path, change, field, text):
    body = {**node_body(), **change} if write != "patch" else change
    response = getattr(api, method)(path, json=body)
    assert response.status_code == 422
    error = response.get_json()
    assert set(error) == {"code", "status", "message", "errors"}
    assert list(error["errors"]["json"]) == [field]
    assert text in " ".join(error["errors"]["json"][field])
    assert field in error["message"]


@pytest.mark.parametrize(
    ("write", "method", "path"), WRITES, ids=[w[0] for w in WRITES]
)
def test_invalid_field_writes_nothing(api, existing, write, method, path):
    body = {**node_body(), "gpu_mem": 1.5} if write != "patch" else {"gpu_mem": 1.5}
    getattr(api, method)(path, json=body)
    assert api.get("/v1/nodes/1").get_json() == existing
    assert len(api.post("/v1/nodes/list").get_json()) == 1


@pytest.mark.parametrize(("write", "method", "path"), WRITES[:2], ids=["create", "put"])
def test_missing_fields_each_named(api, existing, write, method, path):
    response = getattr(api, method)(path, json={"index": 0})
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert sorted(errors) == [
        "cpu_mem",
        "driver_version",
        "gpu_mem",
        "hardware_generation",
    ]
    assert errors["cpu_mem"] == ["missing: this field is required"]


def test_several_bad_fields_all_named(api):
    body = node_body(index=-1, cpu_mem="x", hardware_generation="nope")
    errors = api.post("/v1/nodes/create", json=body).get_json()["errors"]["json"]
    assert sorted(errors) == ["cpu_mem", "hardware_generation", "index"]


@pytest.mark.parametrize(("write", "method", "path"), WRITES[:2], ids=["create", "put"])
def test_job_rejected_outside_patch(api, existing, write, method, path):
    response = getattr(api, method)(path, json={**node_body(), "current_job_id": 3})
    assert response.status_code == 422
    message = response.get_json()["errors"]["json"]["current_job_id"][0]
    assert "PATCH" in message


@pytest.mark.parametrize(
    ("job", "text"),
    [
        (0, "from 1 to"),
        (-3, "got -3"),
        (True, "(bool)"),
        (2.0, "(float)"),
        ("7", "(str)"),
    ],
    ids=["zero", "negative", "bool", "float", "string"],
)
def test_patch_bad_job_is_422(api, existing, job, text):
    response = api.patch("/v1/nodes/1", json={"current_job_id": job})
    assert response.status_code == 422
    assert text in response.get_json()["errors"]["json"]["current_job_id"][0]


def test_patch_job_over_max_is_422(api, existing):
    response = api.patch("/v1/nodes/1", json={"current_job_id": 2**53})
    assert response.status_code == 422


# CPU-only rule: hardware_generation "cpu" requires index 0 and gpu_mem 0.
CPU_RULE_CASES = [
    ("gpu_mem", cpu_node_body(gpu_mem=GIB), ["gpu_mem"]),
    ("index", cpu_node_body(index=1), ["index"]),
    ("both", cpu_node_body(index=2, gpu_mem=GIB), ["gpu_mem", "index"]),
]


@pytest.mark.parametrize(("write", "method", "path"), WRITES[:2], ids=["create", "put"])
@pytest.mark.parametrize(
    ("body", "fields"),
    [case[1:] for case in CPU_RULE_CASES],
    ids=[case[0] for case in CPU_RULE_CASES],
)
def test_cpu_only_rule(api, existing, write, method, path, body, fields):
    response = getattr(api, method)(path, json=body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert sorted(errors) == fields
    assert "CPU-only" in errors[fields[0]][0]


@pytest.mark.parametrize(
    "change",
    [{"hardware_generation": "cpu"}, {"hardware_generation": "cpu", "gpu_mem": 0}],
    ids=["generation", "generation+gpu_mem"],
)
def test_cpu_only_rule_on_patch_merges(api, change):
    # The stored index 3 breaks the rule once merged with the change.
    node = api.post("/v1/nodes/create", json=node_body(index=3)).get_json()
    response = api.patch(f"/v1/nodes/{node['pk']}", json=change)
    assert response.status_code == 422
    assert "CPU-only" in response.get_json()["message"]
    assert api.get(f"/v1/nodes/{node['pk']}").get_json() == node


def test_cpu_only_node_rejects_gpu_mem_patch(api):
    pk = api.post("/v1/nodes/create", json=cpu_node_body()).get_json()["pk"]
    response = api.patch(f"/v1/nodes/{pk}", json={"gpu_mem": GIB})
    assert response.status_code == 422
    assert api.get(f"/v1/nodes/{pk}").get_json()["gpu_mem"] == 0
