"""gunicorn.conf.py: worker and thread counts from the environment, request limits."""

import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def load_conf(monkeypatch, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEB_THREADS", "abc"),
        ("WEB_THREADS", "0"),
        ("WEB_THREADS", "1.5"),
        ("WEB_CONCURRENCY", "0"),
        ("WEB_CONCURRENCY", "-2"),
    ],
)
def test_invalid_count_exits(monkeypatch, name, value):
    with pytest.raises(SystemExit) as info:
        load_conf(monkeypatch, **{name: value})
    assert str(info.value) == f"{name} must be a positive integer, got {value!r}"


def test_counts_read(monkeypatch):
    conf = load_conf(
        monkeypatch, WEB_CONCURRENCY="3", WEB_THREADS="8", REDIS_URL="redis://db:6379"
    )
    assert (conf["workers"], conf["threads"]) == (3, 8)


def test_counts_default(monkeypatch):
    conf = load_conf(monkeypatch, REDIS_URL="redis://db:6379")
    assert (conf["workers"], conf["threads"]) == (2, 4)


def test_request_limits_explicit(monkeypatch):
    conf = load_conf(monkeypatch)
    assert conf["limit_request_line"] == 2048
    assert conf["limit_request_fields"] == 100
    assert conf["limit_request_field_size"] == 8190


def test_control_socket_set_once():
    assert CONF.read_text().count("control_socket_disable =") == 1
