"""Writes racing on the same nodes, against the real redis-server.

Threads send creates, PUTs, PATCHes, heartbeats and DELETEs at a few shared pks. After
they finish, every hash and index entry must agree, and no deleted pk may exist again.
"""

import random
import threading
import time

import pytest
import redis

from nodes.consistency import check
from tests.conftest import make_app
from tests.factories import GIB, cpu_node_body, node_body

THREADS = 8
OPERATIONS_PER_THREAD = 150
SHARED_NODES = 6
TIME_LIMIT_SECONDS = 120

# Every status a racing request may get: a PATCH that meets a CPU-only node created by
# a concurrent PUT may break the CPU-only rule (422), and any write may meet a node
# that another thread deleted (404).
ALLOWED = {"create": {201}, "put": {200, 404}, "patch": {200, 404, 422}}
ALLOWED.update({"heartbeat": {200, 404}, "delete": {204, 404}, "get": {200, 404}})

GENERATIONS = ["hopper", "ampere", "blackwell", "volta"]


def random_body(rng: random.Random) -> dict:
    if rng.random() < 0.2:
        return cpu_node_body(cpu_mem=rng.randrange(1, 2**40))
    return node_body(
        index=rng.randrange(8),
        cpu_mem=rng.randrange(1, 2**40),
        gpu_mem=rng.randrange(1, 200) * GIB,
        hardware_generation=rng.choice(GENERATIONS),
        driver_version=f"5{rng.randrange(100)}.{rng.randrange(100)}",
    )


def random_patch(rng: random.Random) -> dict:
    body = random_body(rng)
    change = {name: body[name] for name in body if rng.random() < 0.4}
    if rng.random() < 0.5:
        change["current_job_id"] = rng.choice([None, rng.randrange(1, 10**6)])
    return change


class Race:
    """Runs the threads and records what each request returned."""

    def __init__(self, app, pks: list[int]) -> None:
        self.app = app
        self.client = app.extensions["node_registry"].store.client
        self.pks = pks
        self.lock = threading.Lock()
        self.deleted: set[int] = set()
        self.unexpected: list[str] = []
        self.deadline = time.monotonic() + TIME_LIMIT_SECONDS

    def run_thread(self, seed: int) -> None:
        rng = random.Random(seed)
        client = self.app.test_client()
        for _ in range(OPERATIONS_PER_THREAD):
            if time.monotonic() > self.deadline:
                return
            self.step(client, rng)

    def step(self, client, rng: random.Random) -> None:
        with self.lock:
            pk = rng.choice(self.pks)
        kind = rng.choices(
            ["create", "put", "patch", "heartbeat", "delete", "get"],
            weights=[1, 3, 4, 3, 1, 1],
        )[0]
        path = f"/v1/nodes/{pk}"
        if kind == "create":
            response = client.post("/v1/nodes/create", json=random_body(rng))
        elif kind == "put":
            response = client.put(path, json=random_body(rng))
        elif kind == "patch":
            response = client.patch(path, json=random_patch(rng))
        elif kind == "heartbeat":
            response = client.patch(path, json={})
        elif kind == "delete":
            response = client.delete(path)
        else:
            response = client.get(path)
        with self.lock:
            if response.status_code not in ALLOWED[kind]:
                self.unexpected.append(f"{kind} {pk}: {response.status_code}")
            if kind == "create" and response.status_code == 201:
                self.pks.append(response.get_json()["pk"])
            if kind == "delete" and response.status_code == 204:
                self.deleted.add(pk)


@pytest.fixture(scope="module")
def race(redis_server):
    # One race serves every test of this module; it flushes the session's server.
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.flushdb()
    app = make_app(client, time.time)
    pks = [
        app.test_client().post("/v1/nodes/create", json=node_body()).get_json()["pk"]
        for _ in range(SHARED_NODES)
    ]
    race = Race(app, pks)
    threads = [
        threading.Thread(target=race.run_thread, args=(seed,))
        for seed in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIME_LIMIT_SECONDS + 30)
    assert not any(thread.is_alive() for thread in threads)
    yield race
    client.close()


@pytest.mark.real_redis
def test_race_statuses_expected(race):
    assert race.unexpected == []


@pytest.mark.real_redis
def test_race_deleted_some(race):
    assert race.deleted


@pytest.mark.real_redis
def test_race_hashes_and_indexes_agree(race):
    report = check(race.app.extensions["node_registry"].store)
    assert report.problems == []
    assert report.nodes > 0


@pytest.mark.real_redis
def test_race_deleted_stay_deleted(race):
    keys = race.app.extensions["node_registry"].store.keys
    back = [pk for pk in sorted(race.deleted) if race.client.exists(keys.node(pk))]
    assert back == []


@pytest.mark.real_redis
def test_race_list_matches_hashes(race):
    listed = race.app.test_client().post("/v1/nodes/list").get_json()
    keys = race.app.extensions["node_registry"].store.keys
    stored = sorted(
        int(k.rsplit(":", 1)[1]) for k in race.client.scan_iter(keys.node_stem + "*")
    )
    assert [node["pk"] for node in listed] == stored
