"""Fixtures: each API test runs on fakeredis and on a real redis-server.

The session starts its own redis-server on a free loopback port and stops it at the
end; tests flush only that server. When redis-server cannot start, the tests that
need it fail rather than skip.
"""

import os
from pathlib import Path

import fakeredis
import pytest
import redis

from app import create_app
from tests.redis_server import RedisServer

DEFAULT_TRACE_DIR = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/alibaba-gpu-v2023"
)
# The files of the trace that tests read: the machine list and the pod list.
TRACE_FILES = ("openb_node_list_all_node.csv", "openb_pod_list_default.csv")


class FakeClock:
    """A settable clock for tests: seconds since the Unix epoch."""

    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def redis_server():
    try:
        server = RedisServer()
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.cleanup()


@pytest.fixture
def real_redis(redis_server):
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(params=["fakeredis", "redis"])
def redis_client(request):
    if request.param == "fakeredis":
        yield fakeredis.FakeRedis(decode_responses=True)
    else:
        yield request.getfixturevalue("real_redis")


@pytest.fixture
def clock():
    return FakeClock()


def make_app(client, clock, **settings):
    return create_app({"REDIS_CLIENT": client, "CLOCK": clock, **settings})


@pytest.fixture
def app(redis_client, clock):
    return make_app(redis_client, clock)


@pytest.fixture
def api(app):
    return app.test_client()


@pytest.fixture
def store(app):
    return app.extensions["node_registry"].store


@pytest.fixture(scope="session")
def trace_dir() -> Path:
    """The Alibaba GPU cluster trace: ALIBABA_TRACE_DIR, else ../shared/data/...

    The tests that need it fail, not skip, when it is missing.
    """
    path = Path(os.environ.get("ALIBABA_TRACE_DIR") or DEFAULT_TRACE_DIR)
    for name in TRACE_FILES:
        if not (path / name).is_file():
            pytest.fail(
                f"the trace's {name} is not in {path}; set ALIBABA_TRACE_DIR to the"
                " folder that has it",
                pytrace=False,
            )
    return path
