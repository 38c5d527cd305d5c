"""Redis outages under gunicorn: 503 with Retry-After while down, recovery after.

The module runs its own redis-server and gunicorn (gunicorn.conf.py, two workers of
four threads), so it may freeze (SIGSTOP), stop and restart that Redis. A frozen Redis
accepts connections but never replies, which exercises the socket timeout; a stopped
one refuses connections. Each request must end within its HTTP client timeout, a
bound set well above the configured Redis timeouts.
"""

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.factories import node_body
from tests.servers import gunicorn_on_redis

pytestmark = pytest.mark.real_redis

REDIS_TIMEOUT_SECONDS = 0.5
# Client-side bound on every request: a few Redis timeouts (pool wait, connect,
# command) plus queueing behind the other requests of a burst.
REQUEST_TIMEOUT_SECONDS = 6 * REDIS_TIMEOUT_SECONDS + 2
READY_WITHIN_SECONDS = 15
ADMIN_TOKEN = "f" * 40
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

# Every route that reads or writes Redis.
REDIS_REQUESTS = [
    ("post", "/v1/nodes/list", None),
    ("get", "/v1/nodes/1", None),
    ("post", "/v1/nodes/create", node_body()),
    ("put", "/v1/nodes/1", node_body(index=1)),
    ("patch", "/v1/nodes/1", {}),
    ("delete", "/v1/nodes/1", None),
    ("post", "/v1/admin/consistency-check", {}),
    ("get", "/health/ready", None),
]


@pytest.fixture(scope="module")
def stack():
    with gunicorn_on_redis(
        {
            "REDIS_SOCKET_TIMEOUT": str(REDIS_TIMEOUT_SECONDS),
            "REDIS_CONNECT_TIMEOUT": str(REDIS_TIMEOUT_SECONDS),
            "REDIS_RETRIES": "0",
            "REGISTRY_TOKENS": f"admin:{ADMIN_TOKEN}",
            "WEB_CONCURRENCY": "2",
            "WEB_THREADS": "4",
        }
    ) as servers:
        yield servers


def send(service, method, path, body):
    return requests.request(
        method,
        service.url + path,
        json=body,
        headers=HEADERS,
        timeout=REQUEST_TIMEOUT_SECONDS,
    )


def burst(service, rounds: int = 2):
    """Send every Redis request ``rounds`` times, eight at a time."""
    calls = REDIS_REQUESTS * rounds
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(send, service, *call) for call in calls]
        return [
            (call, future.result()) for call, future in zip(calls, futures, strict=True)
        ]


def wait_ready(service) -> bool:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        try:
            if send(service, "get", "/health/ready", None).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def assert_unavailable(results) -> None:
    for (method, path, _body), response in results:
        body = response.json()
        assert response.status_code == 503, (method, path, body)
        assert body["code"] == 503
        assert body["status"] == "Service Unavailable"
        assert isinstance(body["message"], str)
        assert response.headers["Retry-After"].isdigit()


def assert_no_worker_timeout(service) -> None:
    log = service.log()
    assert "WORKER TIMEOUT" not in log
    assert "Traceback" not in log


def test_serves_while_redis_up(stack):
    _redis_server, service = stack
    assert send(service, "post", "/v1/nodes/create", node_body()).status_code == 201


def test_frozen_redis_answers_503(stack):
    redis_server, service = stack
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        results = burst(service)
        live = send(service, "get", "/health/live", None)
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    assert_unavailable(results)
    assert live.status_code == 200
    assert wait_ready(service)
    assert_no_worker_timeout(service)


def test_stopped_redis_answers_503(stack):
    redis_server, service = stack
    redis_server.stop()
    try:
        results = burst(service)
        hardware = send(service, "get", "/v1/hardware", None)
    finally:
        redis_server.start()
    assert_unavailable(results)
    assert hardware.status_code == 200
    assert_no_worker_timeout(service)


def test_recovers_after_restart(stack):
    redis_server, service = stack
    redis_server.stop()
    burst(service, rounds=1)
    redis_server.start()
    assert wait_ready(service)
    results = burst(service)
    statuses = {response.status_code for _call, response in results}
    assert all(status < 500 for status in statuses), statuses
    created = send(service, "post", "/v1/nodes/create", node_body())
    assert created.status_code == 201
    assert_no_worker_timeout(service)
