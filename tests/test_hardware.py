"""The hardware catalog: GET /v1/hardware, operator additions, and their errors."""

import json

import pytest

from nodes.hardware import BUILT_IN, HardwareCatalog, parse_extra_generations
from tests.conftest import make_app
from tests.factories import GIB, node_body

EXTRA = [
    {"id": "g2", "vendor": "other", "description": "Internal GPU code G2"},
    {"id": "arm-host", "vendor": "none", "description": "Arm host", "cpu_only": True},
]


def test_catalog_lists_built_in_ids(api):
    ids = [entry["id"] for entry in api.get("/v1/hardware").get_json()]
    assert ids == [generation.id for generation in BUILT_IN]


@pytest.mark.parametrize(
    "hardware_id",
    ["cpu", "pascal", "volta", "turing", "ampere", "ada", "hopper", "blackwell"]
    + ["gcn5", "cdna", "cdna2", "cdna3", "cdna4"],
)
def test_catalog_has_id(api, hardware_id):
    ids = {entry["id"] for entry in api.get("/v1/hardware").get_json()}
    assert hardware_id in ids


def test_catalog_entry_shape(api):
    hopper = next(e for e in api.get("/v1/hardware").get_json() if e["id"] == "hopper")
    assert hopper == {
        "id": "hopper",
        "vendor": "nvidia",
        "description": "NVIDIA Hopper (H100, H200, GH200)",
        "cpu_only": False,
        "compute_capabilities": ["9.0"],
    }


def test_only_cpu_is_cpu_only(api):
    catalog = api.get("/v1/hardware").get_json()
    assert [entry["id"] for entry in catalog if entry["cpu_only"]] == ["cpu"]


def test_compute_capabilities_unique():
    seen = [cc for generation in BUILT_IN for cc in generation.compute_capabilities]
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    ("capability", "expected"),
    [((6, 1), "pascal"), ((7, 5), "turing"), ((8, 9), "ada"), ((12, 0), "blackwell")],
)
def test_compute_capability_lookup(capability, expected):
    assert HardwareCatalog().for_compute_capability(*capability).id == expected


def test_unknown_compute_capability():
    assert HardwareCatalog().for_compute_capability(5, 2) is None


@pytest.fixture
def extra_api(redis_client, clock):
    app = make_app(redis_client, clock, REGISTRY_HARDWARE_EXTRA=json.dumps(EXTRA))
    return app.test_client()


def test_extra_ids_listed(extra_api):
    ids = [entry["id"] for entry in extra_api.get("/v1/hardware").get_json()]
    assert ids[-2:] == ["g2", "arm-host"]


def test_extra_id_accepted(extra_api):
    response = extra_api.post(
        "/v1/nodes/create", json=node_body(hardware_generation="g2")
    )
    assert response.status_code == 201
    assert response.get_json()["hardware_generation"] == "g2"


def test_extra_cpu_only_rule(extra_api):
    body = node_body(hardware_generation="arm-host", gpu_mem=GIB)
    response = extra_api.post("/v1/nodes/create", json=body)
    assert response.status_code == 422
    assert "gpu_mem" in response.get_json()["errors"]["json"]


def test_extra_cpu_only_rule_on_patch(extra_api):
    pk = extra_api.post("/v1/nodes/create", json=node_body()).get_json()["pk"]
    response = extra_api.patch(
        f"/v1/nodes/{pk}", json={"hardware_generation": "arm-host"}
    )
    assert response.status_code == 422


def test_extra_from_file(redis_client, clock, tmp_path):
    path = tmp_path / "hardware.json"
    path.write_text(json.dumps(EXTRA))
    app = make_app(redis_client, clock, REGISTRY_HARDWARE_EXTRA_FILE=str(path))
    ids = [entry["id"] for entry in app.test_client().get("/v1/hardware").get_json()]
    assert "g2" in ids


def test_unknown_id_error_says_where(api):
    response = api.post("/v1/nodes/create", json=node_body(hardware_generation="g2"))
    message = response.get_json()["errors"]["json"]["hardware_generation"][0]
    assert "'g2' is not a known hardware ID" in message
    assert "GET /v1/hardware" in message
    assert "REGISTRY_HARDWARE_EXTRA" in message


BAD_EXTRA = [
    ("not-json", "[{", "not valid JSON"),
    ("not-array", '{"id": "x"}', "JSON array"),
    ("not-object", '["x"]', "must be an object"),
    ("unknown-key", '[{"id": "x", "memory": 1}]', "unknown keys ['memory']"),
    ("no-id", '[{"vendor": "amd"}]', "id None is invalid"),
    ("upper-case-id", '[{"id": "G2"}]', "id 'G2' is invalid"),
    ("long-id", json.dumps([{"id": "x" * 33}]), "1 to 32"),
    ("bad-vendor", '[{"id": "x", "vendor": "acme"}]', "vendor 'acme'"),
    ("bad-cpu-only", '[{"id": "x", "cpu_only": "yes"}]', "true or false"),
    ("long-description", json.dumps([{"id": "x", "description": "d" * 201}]), "200"),
]


@pytest.mark.parametrize(
    ("text", "message"), [c[1:] for c in BAD_EXTRA], ids=[c[0] for c in BAD_EXTRA]
)
def test_bad_extra_rejected(text, message):
    with pytest.raises(ValueError, match="hardware catalog addition") as info:
        parse_extra_generations(text)
    assert message in str(info.value)


@pytest.mark.parametrize("hardware_id", ["hopper", "cpu"])
def test_extra_cannot_redefine_built_in(hardware_id):
    extra = parse_extra_generations(json.dumps([{"id": hardware_id}]))
    with pytest.raises(ValueError, match="defined twice"):
        HardwareCatalog(extra)


def test_bad_extra_stops_app(redis_client, clock):
    with pytest.raises(ValueError, match="not valid JSON"):
        make_app(redis_client, clock, REGISTRY_HARDWARE_EXTRA="[{")
