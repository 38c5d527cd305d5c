"""A connection cut at any byte of a write leaves the node whole or untouched.

A proxy between the app and redis-server cuts the connection after N bytes of the
write's command (Redis never receives the whole script call) or of its reply (Redis ran
the script, the client never learns it). After every cut the request must be a 503,
the node must be exactly as before or exactly as the write wanted, and the
consistency check must find nothing.
"""

import pytest

from app import create_app
from nodes.consistency import check
from tests.conftest import make_app
from tests.cutting_proxy import TO_CLIENT, TO_SERVER, CuttingProxy
from tests.factories import GIB, node_body

pytestmark = pytest.mark.real_redis

CLIENT_FIELDS = ("index", "cpu_mem", "gpu_mem", "driver_version", "hardware_generation")
BASE = node_body()
REPLACEMENT = node_body(
    index=5, cpu_mem=64 * GIB, gpu_mem=24 * GIB, hardware_generation="ada"
)
PATCH = {"gpu_mem": 40 * GIB, "hardware_generation": "ampere", "current_job_id": 77}

# (name, request, state of node 1 when the write applied, node 2 when applied)
WRITES = [
    ("create", ("post", "/v1/nodes/create", REPLACEMENT), BASE, REPLACEMENT),
    ("put", ("put", "/v1/nodes/1", REPLACEMENT), REPLACEMENT, None),
    ("patch", ("patch", "/v1/nodes/1", PATCH), {**BASE, **PATCH}, None),
    ("delete", ("delete", "/v1/nodes/1", None), None, None),
]
# Cut points tried per write and direction, spread over the whole message.
POINTS_PER_SWEEP = 40


@pytest.fixture
def proxy(redis_server):
    proxy = CuttingProxy(redis_server.port)
    yield proxy
    proxy.close()


@pytest.fixture
def rig(real_redis, clock, proxy):
    app = create_app(
        {
            "REDIS_URL": proxy.url,
            "REDIS_RETRIES": "0",
            "REDIS_HEALTH_CHECK_INTERVAL": "0",
            "REDIS_SOCKET_TIMEOUT": "5",
        }
    )
    direct = make_app(real_redis, clock).extensions["node_registry"].store
    return app.test_client(), direct


def state(direct, pk):
    node = direct.get(pk)
    if node is None:
        return None
    fields = {name: node[name] for name in CLIENT_FIELDS}
    if node["current_job_id"] is not None:
        fields["current_job_id"] = node["current_job_id"]
    return fields


def reset(client, direct):
    direct.client.flushdb()
    direct.create(BASE)
    # Opens the app's connection before the proxy is armed, so the cut falls in
    # the write and not in the connection's handshake.
    assert client.get("/health/ready").status_code == 200


def run(client, call):
    method, path, body = call
    return getattr(client, method)(path, json=body)


def measure(client, direct, proxy, call) -> dict:
    """Return the bytes that the write sends each way when nothing is cut."""
    run(client, call)  # loads the script into Redis's cache
    reset(client, direct)
    proxy.reset_counts()
    assert run(client, call).status_code < 300
    return dict(proxy.counts)


def cut_points(total: int) -> list[int]:
    step = max(1, total // POINTS_PER_SWEEP)
    return sorted({*range(0, total, step), total - 1, total})


@pytest.mark.parametrize("direction", [TO_SERVER, TO_CLIENT])
@pytest.mark.parametrize(
    "name, call, applied_first, applied_second", WRITES, ids=[w[0] for w in WRITES]
)
def test_cut_leaves_no_partial_node(
    rig, proxy, direction, name, call, applied_first, applied_second
):
    client, direct = rig
    totals = measure(client, direct, proxy, call)
    points = cut_points(totals[direction])
    if direction == TO_CLIENT:
        points = [n for n in points if n < totals[direction]]
    outcomes = set()
    for after_bytes in points:
        reset(client, direct)
        cuts_before = proxy.cuts
        proxy.arm(direction, after_bytes)
        response = run(client, call)
        proxy.disarm()
        assert proxy.cuts == cuts_before + 1, after_bytes
        assert response.status_code == 503, (after_bytes, response.get_json())
        assert response.get_json()["code"] == 503
        report = check(direct)
        assert report.problems == [], after_bytes
        first, second = state(direct, 1), state(direct, 2)
        if (first, second) == (BASE, None):
            outcomes.add("untouched")
        else:
            assert (first, second) == (applied_first, applied_second), after_bytes
            outcomes.add("applied")
    expected = {"applied"} if direction == TO_CLIENT else {"untouched", "applied"}
    assert outcomes == expected
