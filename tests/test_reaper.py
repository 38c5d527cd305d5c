"""The reaper: store function, admin endpoint and the nodes-reap command."""

import time

import pytest

from nodes.consistency import check
from nodes.reaper import reap_lost
from operations import reap_cli as reap_command
from operations.redis_store import command_settings, open_store
from tests.factories import node_body

LOST_AFTER = 300.0


def create_aged(store, clock, ages_seconds: list[float]) -> list[int]:
    """Create one node per age, each last seen that many seconds before now."""
    now = clock.now
    pks = []
    for age in ages_seconds:
        clock.now = now - age
        pks.append(store.create(node_body())["pk"])
    clock.now = now
    return pks


def remaining(store) -> set[int]:
    return {pk for chunk in store.iter_pks() for pk in chunk}


def test_reap_removes_only_lost(store, clock):
    alive, stale, edge, lost = create_aged(store, clock, [5, 200, 300, 301])
    result = reap_lost(store, LOST_AFTER, 0)
    assert result.removed == 1
    assert remaining(store) == {alive, stale, edge}
    assert lost not in remaining(store)
    assert result.more is False


def test_reap_lost_for_age(store, clock):
    pks = create_aged(store, clock, [301, 900, 901, 5000])
    result = reap_lost(store, LOST_AFTER, 600)
    assert result.removed == 2
    assert remaining(store) == set(pks[:2])


def test_reap_in_batches(store, clock):
    create_aged(store, clock, [400 + n for n in range(23)] + [1])
    result = reap_lost(store, LOST_AFTER, 0, batch_size=5)
    assert result.removed == 23
    assert store.count() == 1
    assert check(store).problems == []


def test_reap_max_nodes_reports_more(store, clock):
    create_aged(store, clock, [400 + n for n in range(12)])
    result = reap_lost(store, LOST_AFTER, 0, batch_size=5, max_nodes=10)
    assert result.removed == 10
    assert result.more is True
    assert store.count() == 2


def test_reap_removes_oldest_first(store, clock):
    newer, older = create_aged(store, clock, [400, 4000])
    reap_lost(store, LOST_AFTER, 0, max_nodes=1)
    assert remaining(store) == {newer}


def test_delete_unseen_keeps_refreshed_node(store, clock):
    first, second = create_aged(store, clock, [1000, 1000])
    cutoff_ms = store.now_ms() - 500_000
    candidates = store.pks_seen_before(cutoff_ms, 10)
    store.heartbeat(second)
    assert store.delete_unseen(candidates, cutoff_ms) == 1
    assert remaining(store) == {second}


def test_reap_empty_registry(store):
    assert reap_lost(store, LOST_AFTER, 0).removed == 0


@pytest.mark.parametrize("lost_for", [-1, -0.5])
def test_reap_negative_age_rejected(store, lost_for):
    with pytest.raises(ValueError, match="lost_for_seconds"):
        reap_lost(store, LOST_AFTER, lost_for)


def test_reap_endpoint_removes_lost(api, store, clock):
    kept, _lost = create_aged(store, clock, [10, 1000])
    response = api.post("/v1/admin/reap", json={"lost_for_seconds": 0})
    assert response.status_code == 200
    body = response.get_json()
    assert body["removed"] == 1
    assert body["more"] is False
    assert body["last_seen_before"] == "2026-05-28T20:21:40.000Z"
    assert remaining(store) == {kept}


def test_reap_endpoint_max_nodes(api, store, clock):
    create_aged(store, clock, [1000, 1001, 1002])
    body = api.post(
        "/v1/admin/reap", json={"lost_for_seconds": 0, "max_nodes": 2}
    ).get_json()
    assert body["removed"] == 2
    assert body["more"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "lost_for_seconds"),
        ({"lost_for_seconds": -1}, "lost_for_seconds"),
        ({"lost_for_seconds": True}, "lost_for_seconds"),
        ({"lost_for_seconds": "1h"}, "lost_for_seconds"),
        ({"lost_for_seconds": 1e300}, "lost_for_seconds"),
        ({"lost_for_seconds": 0, "max_nodes": 0}, "max_nodes"),
        ({"lost_for_seconds": 0, "max_nodes": 1.5}, "max_nodes"),
        ({"lost_for_seconds": 0, "max_nodes": 10**6}, "max_nodes"),
        ({"lost_for_seconds": 0, "older_than": 5}, "older_than"),
    ],
)
def test_reap_endpoint_bad_body_is_422(api, store, clock, body, field):
    create_aged(store, clock, [1000])
    response = api.post("/v1/admin/reap", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert store.count() == 1


def test_reap_endpoint_without_body_is_422(api):
    assert api.post("/v1/admin/reap").status_code == 422


@pytest.fixture
def reap_env(monkeypatch, redis_server, real_redis):
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("REGISTRY_KEY_PREFIX", "reaptest")
    monkeypatch.setenv("REGISTRY_LOST_AFTER_SECONDS", "60")
    monkeypatch.setenv("REGISTRY_STALE_AFTER_SECONDS", "10")
    return real_redis


def command_store(clock):
    """Return a store like the command's, with the clock at the real time.

    The command reads the real clock, so the tests age nodes relative to it; the
    ages differ by far more than a test takes to run.
    """
    clock.now = time.time()
    store = open_store(command_settings("nodes-reap"))
    store.clock = clock
    return store


def test_reap_command_removes_lost(reap_env, clock, capsys):
    store = command_store(clock)
    create_aged(store, clock, [5, 61, 3000])
    assert reap_command.main(["--lost-for", "0", "--batch-size", "1"]) == 0
    assert "removed 2 nodes" in capsys.readouterr().out
    assert store.count() == 1


def test_reap_command_dry_run(reap_env, clock, capsys):
    store = command_store(clock)
    create_aged(store, clock, [5, 61, 3000])
    assert reap_command.main(["--lost-for", "100", "--dry-run"]) == 0
    assert "would remove 1 nodes" in capsys.readouterr().out
    assert store.count() == 3


def test_reap_command_needs_redis_url(monkeypatch, capsys):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert reap_command.main(["--lost-for", "0"]) == 2
    assert "REDIS_URL is not set" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["--lost-for", "-1"], ["--lost-for", "0", "--batch-size", "0"], []]
)
def test_reap_command_bad_arguments(argv):
    with pytest.raises(SystemExit) as exc:
        reap_command.main(argv)
    assert exc.value.code == 2
