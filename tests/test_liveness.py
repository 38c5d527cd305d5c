"""The derived status at the edges of the grace periods, with an injected clock."""

import fakeredis
import pytest

from nodes.hardware import HardwareCatalog
from nodes.keys import KeySpace
from nodes.store import NodeStore
from tests.conftest import FakeClock, make_app
from tests.factories import node_body

START_MS = 1_780_000_000_000

# (settings, milliseconds since the last write, expected status)
BOUNDARIES = [
    ({}, 0, "alive"),
    ({}, 40_000, "alive"),
    ({}, 40_001, "stale"),
    ({}, 300_000, "stale"),
    ({}, 300_001, "lost"),
    ({}, 86_400_000, "lost"),
    (
        {"REGISTRY_STALE_AFTER_SECONDS": "10", "REGISTRY_LOST_AFTER_SECONDS": "60"},
        10_000,
        "alive",
    ),
    (
        {"REGISTRY_STALE_AFTER_SECONDS": "10", "REGISTRY_LOST_AFTER_SECONDS": "60"},
        10_001,
        "stale",
    ),
    (
        {"REGISTRY_STALE_AFTER_SECONDS": "10", "REGISTRY_LOST_AFTER_SECONDS": "60"},
        60_000,
        "stale",
    ),
    (
        {"REGISTRY_STALE_AFTER_SECONDS": "10", "REGISTRY_LOST_AFTER_SECONDS": "60"},
        60_001,
        "lost",
    ),
    (
        {"REGISTRY_STALE_AFTER_SECONDS": "1.5", "REGISTRY_LOST_AFTER_SECONDS": "2.5"},
        1_501,
        "stale",
    ),
]


def set_clock_ms(clock, ms: int) -> None:
    # Dividing an integer count of milliseconds keeps the store's int(now * 1000)
    # exact at this magnitude.
    clock.now = ms / 1000


@pytest.fixture
def clock_at_start(clock):
    set_clock_ms(clock, START_MS)
    return clock


@pytest.mark.parametrize(("settings", "age_ms", "expected"), BOUNDARIES)
def test_status_at_age(redis_client, clock_at_start, settings, age_ms, expected):
    api = make_app(redis_client, clock_at_start, **settings).test_client()
    pk = api.post("/v1/nodes/create", json=node_body()).get_json()["pk"]
    set_clock_ms(clock_at_start, START_MS + age_ms)
    assert api.get(f"/v1/nodes/{pk}").get_json()["status"] == expected


@pytest.mark.parametrize(("settings", "age_ms", "expected"), BOUNDARIES)
def test_status_in_list(redis_client, clock_at_start, settings, age_ms, expected):
    api = make_app(redis_client, clock_at_start, **settings).test_client()
    api.post("/v1/nodes/create", json=node_body())
    set_clock_ms(clock_at_start, START_MS + age_ms)
    assert api.post("/v1/nodes/list").get_json()[0]["status"] == expected


@pytest.mark.parametrize(
    "write",
    [
        lambda api, pk: api.post(f"/v1/nodes/{pk}/heartbeat"),
        lambda api, pk: api.patch(f"/v1/nodes/{pk}", json={}),
        lambda api, pk: api.patch(f"/v1/nodes/{pk}", json={"current_job_id": 3}),
        lambda api, pk: api.patch(f"/v1/nodes/{pk}", json={"index": 2}),
        lambda api, pk: api.put(f"/v1/nodes/{pk}", json=node_body()),
    ],
    ids=["heartbeat", "patch-empty", "patch-job", "patch-field", "put"],
)
def test_write_revives_lost_node(api, clock_at_start, write):
    pk = api.post("/v1/nodes/create", json=node_body()).get_json()["pk"]
    set_clock_ms(clock_at_start, START_MS + 3_600_000)
    assert api.get(f"/v1/nodes/{pk}").get_json()["status"] == "lost"
    write(api, pk)
    assert api.get(f"/v1/nodes/{pk}").get_json()["status"] == "alive"


@pytest.mark.parametrize(
    "settings",
    [
        {"REGISTRY_STALE_AFTER_SECONDS": "60", "REGISTRY_LOST_AFTER_SECONDS": "60"},
        {"REGISTRY_STALE_AFTER_SECONDS": "60", "REGISTRY_LOST_AFTER_SECONDS": "30"},
        {"REGISTRY_STALE_AFTER_SECONDS": "0.5"},
        {"REGISTRY_LOST_AFTER_SECONDS": "soon"},
    ],
    ids=["equal", "lost-first", "below-minimum", "not-a-number"],
)
def test_invalid_grace_periods_rejected(redis_client, clock, settings):
    with pytest.raises(ValueError, match="REGISTRY_"):
        make_app(redis_client, clock, **settings)


@pytest.mark.parametrize(
    ("seconds", "expected_ms"),
    # 1.001 * 1000 is 1000.9999999999999 as a binary float, so truncating loses 1 ms.
    [(1.001, 1001), (1_780_000_000.001, 1_780_000_000_001), (2.0004, 2000)],
)
def test_now_ms_rounds(seconds, expected_ms):
    store = NodeStore(
        fakeredis.FakeRedis(decode_responses=True),
        KeySpace("nowtest"),
        HardwareCatalog(),
        FakeClock(seconds),
    )
    assert store.now_ms() == expected_ms
