"""nodes-import against a running service.

The small cases run the command in-process against the app served from a thread. The
full import starts gunicorn with gunicorn.conf.py on the session's redis-server, runs
the installed console script on the whole trace, then lists every node.
"""

import collections
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import fakeredis
import pytest
import requests

from nodes.commands.import_fleet import main
from tests.conftest import make_app
from tests.servers import Gunicorn, ThreadedServer

HEADER = "sn,cpu_milli,memory_mib,gpu,model\n"
ROWS = "n0,32000,65536,0,\nn1,32000,131072,2,T4\nn2,96000,786432,3,G2\n"
# The G2 hardware ID and memory, and the driver version, are this test's own choice.
G2_OPTION = "G2=hopper:80"
DRIVER = "535.104.05"
TOKEN = "test-token-7f3a9c"


class RecordingApp:
    """WSGI middleware that records the Authorization header of each request."""

    def __init__(self, app) -> None:
        self.app = app
        self.authorizations: list[str | None] = []

    def __call__(self, environ, start_response):
        self.authorizations.append(environ.get("HTTP_AUTHORIZATION"))
        return self.app(environ, start_response)


@pytest.fixture
def service():
    app = RecordingApp(make_app(fakeredis.FakeRedis(decode_responses=True), clock=None))
    with ThreadedServer(app) as server:
        server.app = app
        yield server


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "nodes.csv"
    path.write_text(HEADER + ROWS)
    return path


def run(csv_path, url, *extra):
    return main([str(csv_path), "--url", url, "--driver-version", DRIVER, *extra])


def listed(url) -> list[dict]:
    response = requests.post(url + "/v1/nodes/list", timeout=30)
    assert response.status_code == 200
    assert "Next-Cursor" not in response.headers
    return response.json()


def test_import_creates_nodes(service, csv_path, capsys):
    assert run(csv_path, service.url, "--model", G2_OPTION) == 0
    nodes = listed(service.url)
    counts = collections.Counter(node["hardware_generation"] for node in nodes)
    assert counts == {"cpu": 1, "turing": 2, "hopper": 3}


def test_import_node_fields(service, csv_path):
    run(csv_path, service.url, "--model", G2_OPTION)
    g2 = [
        node for node in listed(service.url) if node["hardware_generation"] == "hopper"
    ]
    assert sorted(node["index"] for node in g2) == [0, 1, 2]
    assert {node["gpu_mem"] for node in g2} == {80 * 2**30}
    assert {node["cpu_mem"] for node in g2} == {786432 * 2**20}
    assert {node["driver_version"] for node in g2} == {DRIVER}


def test_import_reports_counts(service, csv_path, capsys):
    run(csv_path, service.url, "--model", G2_OPTION, "--workers", "2")
    out = capsys.readouterr().out
    assert out.startswith("created 6 nodes in ")
    assert "(pks 1 to 6)" in out
    assert "  hopper                    3" in out
    assert "  G2                        3" in out


def test_import_shows_progress(service, csv_path, capsys):
    run(csv_path, service.url, "--model", G2_OPTION)
    assert "created 6/6 nodes" in capsys.readouterr().err


def test_token_sent_not_shown(service, csv_path, capsys, monkeypatch):
    monkeypatch.setenv("NODES_TOKEN", TOKEN)
    run(csv_path, service.url, "--model", G2_OPTION)
    assert set(service.app.authorizations) == {f"Bearer {TOKEN}"}
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err


def test_no_token_no_header(service, csv_path, monkeypatch):
    monkeypatch.delenv("NODES_TOKEN", raising=False)
    run(csv_path, service.url, "--model", G2_OPTION)
    assert set(service.app.authorizations) == {None}


def test_undescribed_model_fails_before_requests(service, csv_path, capsys):
    with pytest.raises(SystemExit) as info:
        run(csv_path, service.url)
    assert info.value.code == 2
    assert "G2 (3 GPUs)" in capsys.readouterr().err
    assert service.app.authorizations == []


def test_unknown_hardware_id_fails_before_creating(service, csv_path, capsys):
    assert run(csv_path, service.url, "--model", "G2=g2-internal:80") == 1
    err = capsys.readouterr().err
    assert "'g2-internal', which the service does not know" in err
    assert "REGISTRY_HARDWARE_EXTRA" in err
    assert listed(service.url) == []


def test_cpu_only_id_for_gpu_model_fails(service, csv_path, capsys):
    assert run(csv_path, service.url, "--model", "G2=cpu:80") == 1
    assert "which is CPU-only" in capsys.readouterr().err


def test_rejected_node_stops_import(service, csv_path, capsys):
    # A driver version over 64 characters: the service rejects every node.
    long_driver = "9" * 65
    argv = [str(csv_path), "--url", service.url, "--driver-version", long_driver]
    assert main([*argv, "--model", G2_OPTION]) == 1
    err = capsys.readouterr().err
    assert "POST " + service.url + "/v1/nodes/create failed with HTTP 422" in err
    assert "driver_version must be 1 to 64 characters" in err


class FailAfter:
    """WSGI middleware that returns 503 to every create after the first ``count``."""

    def __init__(self, app, count: int) -> None:
        self.app = app
        self.count = count

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/v1/nodes/create":
            if self.count == 0:
                start_response(
                    "503 Service Unavailable",
                    [("Content-Type", "application/json"), ("Retry-After", "2")],
                )
                return [b'{"code": 503, "message": "the node store is unreachable"}']
            self.count -= 1
        return self.app(environ, start_response)


def test_failure_reports_partial_import(csv_path, capsys):
    app = FailAfter(make_app(fakeredis.FakeRedis(decode_responses=True), None), 4)
    with ThreadedServer(app) as server:
        assert run(csv_path, server.url, "--model", G2_OPTION, "--workers", "1") == 1
    err = capsys.readouterr().err
    assert "failed with HTTP 503: the node store is unreachable" in err
    assert "retry after 2 s" in err
    assert "these 4 of 6 nodes were created" in err


def test_interrupt_stops_import(service, csv_path, capsys, monkeypatch):
    from nodes.commands.registry_client import RegistryClient

    calls = []
    create_node = RegistryClient.create_node

    def interrupt_third(self, body):
        calls.append(body)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return create_node(self, body)

    monkeypatch.setattr(RegistryClient, "create_node", interrupt_third)
    code = run(csv_path, service.url, "--model", G2_OPTION, "--workers", "1")
    assert code == 130
    # The thread may take one more node before the pool cancels the rest.
    assert len(calls) < 6
    assert f"these {len(calls) - 1} of 6 nodes were created" in capsys.readouterr().err


def test_unreachable_service_fails_clearly(csv_path, capsys):
    from tests.redis_server import free_port

    url = f"http://127.0.0.1:{free_port()}"
    assert run(csv_path, url, "--model", G2_OPTION) == 1
    err = capsys.readouterr().err
    assert f"cannot connect to {url}/v1/hardware" in err


def test_wrong_service_fails_clearly(csv_path, capsys):
    def not_registry(environ, start_response):
        start_response("404 Not Found", [("Content-Type", "text/html")])
        return [b"<html>nothing here</html>"]

    with ThreadedServer(not_registry) as server:
        assert run(csv_path, server.url, "--model", G2_OPTION) == 1
    assert "check that --url is the node registry" in capsys.readouterr().err


def test_dry_run_sends_nothing(service, csv_path, capsys):
    assert run(csv_path, service.url, "--model", G2_OPTION, "--dry-run") == 0
    assert "would create 6 nodes" in capsys.readouterr().out
    assert service.app.authorizations == []


def test_g2_options_same_as_model(service, csv_path):
    assert (
        run(
            csv_path, service.url, "--g2-generation", "hopper", "--g2-gpu-mem-gib", "80"
        )
        == 0
    )
    g2 = [
        node for node in listed(service.url) if node["hardware_generation"] == "hopper"
    ]
    assert {node["gpu_mem"] for node in g2} == {80 * 2**30}


def test_g2_options_go_together(csv_path, capsys):
    with pytest.raises(SystemExit):
        run(csv_path, "http://127.0.0.1:1", "--g2-generation", "hopper")
    assert "--g2-gpu-mem-gib go together" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["0", "65"])
def test_workers_bounded(csv_path, workers):
    with pytest.raises(SystemExit):
        run(csv_path, "http://127.0.0.1:1", "--workers", workers)


# Nodes per hardware ID of the whole trace. G2 and G3 map to IDs that the test adds
# with REGISTRY_HARDWARE_EXTRA; their memory sizes are the test's own choice.
TRACE_COUNTS = {
    "cpu": 310,
    "pascal": 265,
    "turing": 842,
    "volta": 399,
    "ampere": 2,
    "g2-internal": 4392,
    "g3-internal": 312,
}
EXTRA_IDS = [
    {"id": "g2-internal", "vendor": "other", "description": "Trace GPU model G2"},
    {"id": "g3-internal", "vendor": "other", "description": "Trace GPU model G3"},
]


@pytest.fixture
def gunicorn_service(real_redis, tmp_path):
    server = Gunicorn(
        {
            "REDIS_URL": real_redis.connection_pool.connection_kwargs
            and _url(real_redis),
            "REGISTRY_KEY_PREFIX": "fleet-import-test",
            "REGISTRY_HARDWARE_EXTRA": json.dumps(EXTRA_IDS),
            "WEB_CONCURRENCY": "2",
        },
        tmp_path / "gunicorn.log",
    )
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


def _url(client) -> str:
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"


def console_script() -> str:
    script = Path(sys.executable).parent / "nodes-import"
    found = shutil.which("nodes-import", path=str(script.parent)) or shutil.which(
        "nodes-import"
    )
    assert found, "the nodes-import console script is not installed; pip install -e ."
    return found


@pytest.mark.real_redis
def test_full_trace_import(gunicorn_service, trace_dir):
    env = {**os.environ, "NODES_TOKEN": TOKEN}
    result = subprocess.run(
        [
            console_script(),
            str(trace_dir / "openb_node_list_all_node.csv"),
            "--url",
            gunicorn_service.url,
            "--driver-version",
            DRIVER,
            "--g2-generation",
            "g2-internal",
            "--g2-gpu-mem-gib",
            "32",
            "--model",
            "G3=g3-internal:48",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("created 6522 nodes")
    assert TOKEN not in result.stdout + result.stderr
    nodes = listed(gunicorn_service.url)
    assert len(nodes) == 6522
    counts = collections.Counter(node["hardware_generation"] for node in nodes)
    assert counts == TRACE_COUNTS
    assert [node["pk"] for node in nodes] == list(range(1, 6523))
