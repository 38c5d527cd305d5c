"""Settings from the environment, and the Redis client that REDIS_URL selects."""

import logging
import shutil
import subprocess
import time

import fakeredis
import pytest
import redis

from app import build_redis_client, create_app
from config import Settings
from tests.factories import node_body


def test_defaults():
    settings = Settings.from_env({})
    assert settings.redis_url is None
    assert settings.key_prefix == "noderegistry"
    assert settings.max_body_bytes == 65536
    assert settings.redis_socket_timeout_seconds == 2.0


def test_unset_url_uses_fakeredis(caplog):
    with caplog.at_level(logging.WARNING, logger="app"):
        client = build_redis_client(Settings.from_env({}))
    assert isinstance(client, fakeredis.FakeRedis)
    assert "REDIS_URL is not set" in caplog.text


def test_rediss_url_uses_tls():
    settings = Settings.from_env({"REDIS_URL": "rediss://redis.invalid:6380/2"})
    pool = build_redis_client(settings).connection_pool
    assert pool.connection_class is redis.SSLConnection
    assert pool.connection_kwargs["db"] == 2


def test_redis_url_timeouts_applied():
    env = {
        "REDIS_URL": "redis://:secret@redis.invalid:6379/1",
        "REDIS_SOCKET_TIMEOUT": "0.5",
    }
    kwargs = build_redis_client(
        Settings.from_env(env)
    ).connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 0.5
    assert kwargs["password"] == "secret"
    assert kwargs["db"] == 1


def test_url_password_not_logged(caplog):
    env = {"REDIS_URL": "redis://:hunter2-secret@redis.invalid:6379/0"}
    with caplog.at_level(logging.INFO, logger="app"):
        build_redis_client(Settings.from_env(env))
    assert "redis.invalid" in caplog.text
    assert "hunter2-secret" not in caplog.text


@pytest.fixture
def unix_socket_server(tmp_path):
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed; install it", pytrace=False)
    socket_path = tmp_path / "redis.sock"
    process = subprocess.Popen(
        [executable, "--port", "0", "--unixsocket", str(socket_path), "--save", ""]
        + ["--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not socket_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("redis-server on a Unix socket did not start", pytrace=False)
        time.sleep(0.05)
    yield socket_path
    process.terminate()
    process.wait(timeout=10)


def test_unix_socket_url(unix_socket_server):
    app = create_app({"REDIS_URL": f"unix://{unix_socket_server}?db=0"})
    client = app.test_client()
    assert client.post("/v1/nodes/create", json=node_body()).status_code == 201
    assert len(client.post("/v1/nodes/list").get_json()) == 1


BAD_SETTINGS = [
    ({"REDIS_SOCKET_TIMEOUT": "fast"}, "REDIS_SOCKET_TIMEOUT must be a number"),
    ({"REDIS_SOCKET_TIMEOUT": "0"}, "REDIS_SOCKET_TIMEOUT must be a finite number"),
    ({"REDIS_CONNECT_TIMEOUT": "inf"}, "REDIS_CONNECT_TIMEOUT must be a finite"),
    ({"REDIS_MAX_CONNECTIONS": "0"}, "REDIS_MAX_CONNECTIONS must be >= 1"),
    ({"REDIS_RETRIES": "two"}, "REDIS_RETRIES must be an integer"),
    ({"REGISTRY_MAX_BODY_BYTES": "100"}, "REGISTRY_MAX_BODY_BYTES must be >= 1024"),
    (
        {"REGISTRY_STALE_AFTER_SECONDS": "60", "REGISTRY_LOST_AFTER_SECONDS": "30"},
        "REGISTRY_LOST_AFTER_SECONDS must be greater",
    ),
]


@pytest.mark.parametrize(
    ("env", "message"), BAD_SETTINGS, ids=[next(iter(env)) for env, _ in BAD_SETTINGS]
)
def test_bad_setting_named(env, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize("prefix", ["bad/", "has space", "{tag}", "x" * 65])
def test_bad_key_prefix_rejected(prefix):
    client = fakeredis.FakeRedis(decode_responses=True)
    env = {"REDIS_CLIENT": client, "REGISTRY_KEY_PREFIX": prefix}
    with pytest.raises(ValueError, match="key prefix"):
        create_app(env)


def test_missing_extra_file_named(tmp_path):
    path = tmp_path / "absent.json"
    with pytest.raises(OSError, match="absent.json"):
        Settings.from_env({"REGISTRY_HARDWARE_EXTRA_FILE": str(path)})


@pytest.mark.parametrize(
    "url", ["http://redis.invalid:6379", "localhost:6379", "tcp://h:1"]
)
def test_redis_url_scheme_checked(url):
    with pytest.raises(ValueError, match="REDIS_URL must start with redis://"):
        Settings.from_env({"REDIS_URL": url})


def test_redis_url_scheme_any_case():
    assert Settings.from_env({"REDIS_URL": "REDIS://x"}).redis_url == "REDIS://x"


def test_redis_url_error_hides_password():
    with pytest.raises(ValueError) as info:
        Settings.from_env({"REDIS_URL": "http://:hunter2-secret@redis.invalid:6379"})
    assert "hunter2-secret" not in str(info.value)
    assert "'http'" in str(info.value)
