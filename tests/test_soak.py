"""A long concurrent run against gunicorn, then a full audit of what it left.

Client threads send a fixed number of creates, PUTs, PATCHes, heartbeats, deletes,
lists and gets to gunicorn (three workers of four threads) on a redis-server of this
module. Each thread writes only the nodes it created, so the last acknowledged write
of each node is known; heartbeats also go to other threads' nodes. Afterwards: no
server error, no pk handed out twice, every acknowledged write is what Redis holds,
and the consistency check finds nothing.
"""

import random
import threading
import time

import pytest
import redis
import requests

from nodes.consistency import check
from tests.conftest import make_app
from tests.factories import GIB
from tests.servers import gunicorn_on_redis

pytestmark = [pytest.mark.soak, pytest.mark.real_redis]

CLIENT_THREADS = 8
OPERATIONS_PER_THREAD = 300
DEADLINE_SECONDS = 300
REQUEST_TIMEOUT_SECONDS = 30
WORKER_TOKEN = "W" * 40
ADMIN_TOKEN = "Z" * 40
READ_TOKEN = "R" * 40
GPU_GENERATIONS = ("volta", "ampere", "hopper", "ada", "blackwell")
CLIENT_FIELDS = ("index", "cpu_mem", "gpu_mem", "driver_version", "hardware_generation")
DELETED = "deleted"

OPERATION_WEIGHTS = {
    "create": 18,
    "put": 14,
    "patch": 18,
    "heartbeat": 20,
    "delete": 8,
    "list": 8,
    "get": 14,
}


@pytest.fixture(scope="module")
def stack():
    with gunicorn_on_redis(
        {
            "REGISTRY_TOKENS": (
                f"worker:{WORKER_TOKEN} admin:{ADMIN_TOKEN} read:{READ_TOKEN}"
            ),
            "WEB_CONCURRENCY": "3",
            "WEB_THREADS": "4",
        }
    ) as servers:
        yield servers


def random_fields(rng: random.Random) -> dict:
    return {
        "index": rng.randrange(8),
        "cpu_mem": rng.randrange(1, 2048) * GIB,
        "gpu_mem": rng.randrange(1, 192) * GIB,
        "driver_version": f"5{rng.randrange(100)}.{rng.randrange(100)}",
        "hardware_generation": rng.choice(GPU_GENERATIONS),
    }


class Ledger:
    """What every acknowledged write should have left, shared by the threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.expected: dict[int, dict | str] = {}
        self.created: list[int] = []
        self.errors: list[tuple] = []

    def record(self, pk: int, state) -> None:
        with self.lock:
            self.expected[pk] = state

    def any_pk(self, rng: random.Random) -> int | None:
        with self.lock:
            return rng.choice(self.created) if self.created else None


class Client:
    """One client thread: its own session, its own nodes, a fixed op budget."""

    def __init__(self, service, ledger, seed, heartbeat_route, deadline) -> None:
        self.url = service.url
        self.ledger = ledger
        self.rng = random.Random(seed)
        self.heartbeat_route = heartbeat_route
        self.deadline = deadline
        self.session = requests.Session()
        self.owned: dict[int, dict] = {}

    def call(self, method, path, token, body=None):
        return self.session.request(
            method,
            self.url + path,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=REQUEST_TIMEOUT_SECONDS,
        )

    def fail(self, operation, response) -> None:
        with self.ledger.lock:
            self.ledger.errors.append((operation, response.status_code, response.text))

    def run(self) -> None:
        names = list(OPERATION_WEIGHTS)
        weights = list(OPERATION_WEIGHTS.values())
        for _ in range(OPERATIONS_PER_THREAD):
            if time.monotonic() > self.deadline:
                with self.ledger.lock:
                    self.ledger.errors.append(("deadline", 0, "run took too long"))
                return
            name = self.rng.choices(names, weights)[0]
            if not self.owned and name in ("put", "patch", "delete"):
                name = "create"
            getattr(self, name)()

    def create(self) -> None:
        fields = random_fields(self.rng)
        response = self.call("POST", "/v1/nodes/create", WORKER_TOKEN, fields)
        if response.status_code != 201:
            return self.fail("create", response)
        pk = response.json()["pk"]
        self.owned[pk] = {**fields, "current_job_id": None}
        with self.ledger.lock:
            self.ledger.created.append(pk)
        self.ledger.record(pk, dict(self.owned[pk]))

    def put(self) -> None:
        pk = self.rng.choice(list(self.owned))
        fields = random_fields(self.rng)
        response = self.call("PUT", f"/v1/nodes/{pk}", WORKER_TOKEN, fields)
        if response.status_code != 200:
            return self.fail("put", response)
        self.owned[pk].update(fields)
        self.ledger.record(pk, dict(self.owned[pk]))

    def patch(self) -> None:
        pk = self.rng.choice(list(self.owned))
        fields = random_fields(self.rng)
        body = {name: fields[name] for name in self.rng.sample(CLIENT_FIELDS, 2)}
        if self.rng.random() < 0.5:
            body["current_job_id"] = self.rng.choice(
                [None, self.rng.randrange(1, 10**9)]
            )
        response = self.call("PATCH", f"/v1/nodes/{pk}", WORKER_TOKEN, body)
        if response.status_code != 200:
            return self.fail("patch", response)
        self.owned[pk].update(body)
        self.ledger.record(pk, dict(self.owned[pk]))

    def heartbeat(self) -> None:
        pk = self.ledger.any_pk(self.rng)
        if pk is None:
            return
        if self.heartbeat_route:
            response = self.call("POST", f"/v1/nodes/{pk}/heartbeat", WORKER_TOKEN, {})
        else:
            response = self.call("PATCH", f"/v1/nodes/{pk}", WORKER_TOKEN, {})
        # Another thread may have deleted the node, so 404 is a valid response.
        if response.status_code not in (200, 204, 404):
            self.fail("heartbeat", response)

    def delete(self) -> None:
        pk = self.rng.choice(list(self.owned))
        response = self.call("DELETE", f"/v1/nodes/{pk}", ADMIN_TOKEN)
        if response.status_code != 204:
            return self.fail("delete", response)
        del self.owned[pk]
        self.ledger.record(pk, DELETED)

    def list(self) -> None:
        response = self.call("POST", "/v1/nodes/list", READ_TOKEN, {})
        if response.status_code != 200:
            return self.fail("list", response)
        pks = [node["pk"] for node in response.json()]
        if pks != sorted(set(pks)):
            self.fail("list order", response)

    def get(self) -> None:
        if not self.owned:
            return
        pk = self.rng.choice(list(self.owned))
        response = self.call("GET", f"/v1/nodes/{pk}", READ_TOKEN)
        if response.status_code != 200:
            return self.fail("get", response)
        node = response.json()
        if {name: node[name] for name in self.owned[pk]} != self.owned[pk]:
            self.fail("get stale", response)


def has_heartbeat_route(service) -> bool:
    """Tell whether POST /v1/nodes/{pk}/heartbeat exists, else PATCH {} is used."""
    response = requests.post(
        f"{service.url}/v1/nodes/1/heartbeat",
        json={},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    return response.status_code != 405 and "no route" not in response.text


def stored_state(store, pk):
    node = store.get(pk)
    if node is None:
        return DELETED
    return {name: node[name] for name in (*CLIENT_FIELDS, "current_job_id")}


def test_soak_leaves_consistent_registry(stack, clock):
    redis_server, service = stack
    ledger = Ledger()
    heartbeat_route = has_heartbeat_route(service)
    deadline = time.monotonic() + DEADLINE_SECONDS
    clients = [
        Client(service, ledger, seed, heartbeat_route, deadline)
        for seed in range(CLIENT_THREADS)
    ]
    threads = [threading.Thread(target=client.run) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_SECONDS + REQUEST_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    assert ledger.errors == []

    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    direct = make_app(client, clock).extensions["node_registry"].store
    assert len(ledger.created) == len(set(ledger.created))
    assert int(direct.client.get(direct.keys.pk_counter)) == len(ledger.created)
    lost = {
        pk: (state, stored_state(direct, pk))
        for pk, state in ledger.expected.items()
        if stored_state(direct, pk) != state
    }
    assert lost == {}
    report = check(direct, batch_size=50)
    assert report.problems == []
    assert report.nodes == sum(
        1 for state in ledger.expected.values() if state != DELETED
    )
    assert "WORKER TIMEOUT" not in service.log()
    assert "Traceback" not in service.log()
