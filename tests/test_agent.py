"""The worker agent against the real service on loopback, with fake NVML devices."""

import json
import os
import platform
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import request

from nodes.agent.cli import machine_nodes, parse_args
from nodes.agent.client import RegistryClient, RegistryRejected
from nodes.agent.detect import cpu_mem_bytes, detect_nodes
from nodes.agent.run import Agent, JobSource, Timing
from nodes.agent.state import load_pks
from nodes.commands.registry_client import read_token
from nodes.hardware import HardwareCatalog
from tests import fake_nvml
from tests.fake_nvml import GIB, HOPPER_BOX, MIXED_BOX, UNKNOWN_BOX
from tests.servers import LiveService

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def service(real_redis):
    live = LiveService(real_redis)
    yield live
    live.stop()


@pytest.fixture
def gpus(monkeypatch):
    def use(devices):
        fake_nvml.install(monkeypatch.setattr, devices)

    return use


def make_agent(url, state_path, nodes, jobs=None, wait=None, timing=None):
    return Agent(
        RegistryClient(url, timeout_seconds=2.0),
        nodes,
        state_path,
        jobs or JobSource(),
        timing or Timing(interval_seconds=0.01, backoff_base_seconds=0.01),
        rng=random.Random(7),
        wait=wait,
    )


def by_index(nodes: list[dict]) -> dict[int, dict]:
    return {node["index"]: node for node in nodes}


def test_detect_mixed_generations(gpus):
    gpus(MIXED_BOX)
    nodes = detect_nodes(HardwareCatalog())
    generations = [node["hardware_generation"] for node in nodes]
    assert generations == ["volta", "turing", "ampere", "ada", "blackwell"]
    assert [node["index"] for node in nodes] == [0, 1, 2, 3, 4]
    assert nodes[2]["gpu_mem"] == 40 * GIB
    assert nodes[0]["driver_version"] == "550.54.15"
    assert nodes[0]["cpu_mem"] == cpu_mem_bytes()


def test_detect_cpu_only_box(gpus):
    gpus(None)
    [node] = detect_nodes(HardwareCatalog())
    assert node["hardware_generation"] == "cpu"
    assert node["index"] == 0
    assert node["gpu_mem"] == 0
    assert node["cpu_mem"] > 0
    assert node["driver_version"]


def test_detect_no_devices_is_cpu_only(gpus):
    gpus([])
    [node] = detect_nodes(HardwareCatalog())
    assert node["hardware_generation"] == "cpu"


def test_detect_unknown_capability_fails(gpus):
    gpus(UNKNOWN_BOX)
    with pytest.raises(RuntimeError, match="compute capability 13.0"):
        detect_nodes(HardwareCatalog())


def test_detect_override_generation(gpus):
    gpus(UNKNOWN_BOX)
    [node] = detect_nodes(HardwareCatalog(), generation_override="blackwell")
    assert node["hardware_generation"] == "blackwell"


@pytest.mark.parametrize(
    "devices", [HOPPER_BOX, MIXED_BOX, None], ids=["hopper", "mixed", "cpu-only"]
)
def test_once_registers_machine(service, gpus, tmp_path, devices):
    gpus(devices)
    nodes = detect_nodes(HardwareCatalog())
    agent = make_agent(service.url, tmp_path / "state.json", nodes)
    assert agent.run(once=True) is True
    stored = by_index(service.nodes())
    assert len(stored) == len(nodes)
    for node in nodes:
        for field, value in node.items():
            assert stored[node["index"]][field] == value, field
    assert load_pks(tmp_path / "state.json") == {
        index: node["pk"] for index, node in stored.items()
    }


def test_restart_reuses_pks_with_put(service, gpus, tmp_path):
    gpus(HOPPER_BOX)
    state = tmp_path / "state.json"
    make_agent(service.url, state, detect_nodes(HardwareCatalog())).run(once=True)
    first_pks = load_pks(state)
    gpus([fake_nvml.FakeGpu((9, 0), 94 * GIB)] * 4)
    restarted = make_agent(service.url, state, detect_nodes(HardwareCatalog()))
    assert restarted.run(once=True) is True
    assert load_pks(state) == first_pks
    assert len(service.nodes()) == 4
    assert all(node["gpu_mem"] == 94 * GIB for node in service.nodes())


def test_restart_reregisters_deleted_node(service, gpus, tmp_path):
    gpus(HOPPER_BOX)
    state = tmp_path / "state.json"
    make_agent(service.url, state, detect_nodes(HardwareCatalog())).run(once=True)
    old_pks = load_pks(state)
    service.store.delete(old_pks[2])
    make_agent(service.url, state, detect_nodes(HardwareCatalog())).run(once=True)
    new_pks = load_pks(state)
    assert new_pks[2] not in old_pks.values()
    assert {i: new_pks[i] for i in (0, 1, 3)} == {i: old_pks[i] for i in (0, 1, 3)}
    assert len(service.nodes()) == 4


def test_heartbeat_404_reregisters(service, gpus, tmp_path):
    gpus(None)
    state = tmp_path / "state.json"
    agent = make_agent(service.url, state, detect_nodes(HardwareCatalog()))
    agent.step()
    old_pk = agent.pks[0]
    service.store.delete(old_pk)
    agent.step()
    assert agent.pks[0] != old_pk
    assert load_pks(state) == {0: agent.pks[0]}
    assert [node["pk"] for node in service.nodes()] == [agent.pks[0]]


def test_heartbeat_refreshes_last_seen(service, gpus, tmp_path):
    gpus(None)
    agent = make_agent(
        service.url, tmp_path / "s.json", detect_nodes(HardwareCatalog())
    )
    agent.step()
    before = service.nodes()[0]["last_seen"]
    time.sleep(0.01)
    agent.step()
    assert service.nodes()[0]["last_seen"] > before


def test_job_option_reported(service, gpus, tmp_path):
    gpus(HOPPER_BOX)
    agent = make_agent(
        service.url,
        tmp_path / "state.json",
        detect_nodes(HardwareCatalog()),
        JobSource(job_id=4242),
    )
    agent.run(once=True)
    assert {node["current_job_id"] for node in service.nodes()} == {4242}


def test_job_file_followed(service, gpus, tmp_path):
    gpus(None)
    job_file = tmp_path / "job"
    job_file.write_text("17\n")
    agent = make_agent(
        service.url,
        tmp_path / "state.json",
        detect_nodes(HardwareCatalog()),
        JobSource(path=job_file),
    )
    agent.step()
    assert service.nodes()[0]["current_job_id"] == 17
    job_file.write_text("")
    agent.step()
    assert service.nodes()[0]["current_job_id"] is None


@pytest.mark.parametrize("content", ["abc", "-3", "0", "1.5", str(2**53)])
def test_job_file_invalid_leaves_job(tmp_path, content):
    job_file = tmp_path / "job"
    job_file.write_text(content)
    assert JobSource(path=job_file).body() is None


def test_backoff_against_stopped_server(service, gpus, tmp_path):
    gpus(None)
    url = service.url
    service.stop()
    delays = []

    def wait(seconds: float) -> bool:
        delays.append(seconds)
        return len(delays) >= 8

    timing = Timing(backoff_base_seconds=1.0, backoff_cap_seconds=5.0)
    agent = make_agent(
        url,
        tmp_path / "s.json",
        detect_nodes(HardwareCatalog()),
        wait=wait,
        timing=timing,
    )
    assert agent.run() is False
    ceilings = [1, 2, 4, 5, 5, 5, 5, 5]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling, (delay, ceiling)


def test_recovers_when_server_returns(real_redis, gpus, tmp_path):
    gpus(None)
    first = LiveService(real_redis)
    url, port = first.url, first.server.server_port
    first.stop()
    calls = []
    holder = {}

    def wait(seconds: float) -> bool:
        calls.append(seconds)
        if len(calls) == 2:
            holder["service"] = LiveService(real_redis, port=port)
        return len(calls) >= 3

    agent = make_agent(
        url, tmp_path / "s.json", detect_nodes(HardwareCatalog()), wait=wait
    )
    try:
        agent.run()
    finally:
        holder["service"].stop()
    assert 0 in agent.pks
    assert real_redis.exists(holder["service"].store.keys.node(agent.pks[0])) == 1


def run_agent_process(url: str, state: Path, token_file: Path) -> subprocess.Popen:
    code = (
        "import sys; from tests import fake_nvml;"
        " fake_nvml.install(setattr, fake_nvml.MIXED_BOX);"
        " from nodes.agent.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "--url",
            url,
            "--state-file",
            str(state),
            "--interval",
            "0.2",
            "--token-file",
            str(token_file),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigterm_stops_cleanly(service, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cr3t-agent-token\n")
    state = tmp_path / "state.json"
    process = run_agent_process(service.url, state, token_file)
    try:
        deadline = time.monotonic() + 30
        while len(load_pks(state)) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "received SIGTERM; stopping" in output
    assert "agent stopped" in output
    assert "s3cr3t-agent-token" not in output
    assert len(service.nodes()) == 5
    assert json.loads(state.read_text())["pks"].keys() == {"0", "1", "2", "3", "4"}


def test_token_sent_as_bearer(service, gpus, tmp_path, monkeypatch, caplog):
    seen = []

    @service.app.before_request
    def record_authorization():
        seen.append(request.headers.get("Authorization"))

    gpus(None)
    monkeypatch.setenv("NODES_TOKEN", "env-token-123")
    agent = Agent(
        RegistryClient(service.url, read_token(None)),
        detect_nodes(HardwareCatalog()),
        tmp_path / "state.json",
        JobSource(),
    )
    with caplog.at_level("DEBUG"):
        agent.run(once=True)
    assert seen == ["Bearer env-token-123"]
    assert "env-token-123" not in caplog.text


WORKER_TOKEN = "agent-worker-" + "w" * 32
READ_TOKEN = "agent-reader-" + "r" * 32


@pytest.mark.parametrize(
    ("token", "allowed"), [(WORKER_TOKEN, True), (READ_TOKEN, False)]
)
def test_agent_needs_worker_role(real_redis, gpus, tmp_path, token, allowed):
    tokens = f"worker:{WORKER_TOKEN} read:{READ_TOKEN}"
    live = LiveService(real_redis, REGISTRY_TOKENS=tokens)
    gpus(HOPPER_BOX)
    agent = Agent(
        RegistryClient(live.url, token),
        detect_nodes(HardwareCatalog()),
        tmp_path / "state.json",
        JobSource(job_id=5),
    )
    try:
        if allowed:
            assert agent.run(once=True) is True
        else:
            with pytest.raises(RegistryRejected, match="HTTP 403"):
                agent.run(once=True)
    finally:
        live.stop()
    assert len(live.nodes()) == (4 if allowed else 0)


def test_cpu_only_logged_as_machine(service, gpus, tmp_path, caplog):
    gpus(None)
    agent = make_agent(
        service.url, tmp_path / "s.json", detect_nodes(HardwareCatalog())
    )
    with caplog.at_level("INFO", logger="nodes.agent.run"):
        assert agent.run(once=True) is True
    assert "registered the CPU-only machine as node 1" in caplog.text
    assert "GPU index" not in caplog.text


def test_gpu_logged_by_index(service, gpus, tmp_path, caplog):
    gpus(HOPPER_BOX)
    agent = make_agent(
        service.url, tmp_path / "s.json", detect_nodes(HardwareCatalog())
    )
    with caplog.at_level("INFO", logger="nodes.agent.run"):
        agent.run(once=True)
    assert "registered GPU index 0 as node" in caplog.text


def test_once_unreachable_gives_up(service, gpus, tmp_path, caplog):
    gpus(None)
    url = service.url
    service.stop()
    waits = []
    agent = make_agent(
        url,
        tmp_path / "s.json",
        detect_nodes(HardwareCatalog()),
        wait=lambda seconds: waits.append(seconds) or False,
    )
    with caplog.at_level("WARNING", logger="nodes.agent.run"):
        assert agent.run(once=True) is False
    assert "giving up because of --once" in caplog.text
    assert "retrying" not in caplog.text
    assert waits == []


def test_driver_version_option_overrides(gpus):
    gpus(None)
    args = parse_args(["--driver-version", "1.0"])
    [node] = machine_nodes(args)
    assert node["driver_version"] == "1.0"
    assert node["hardware_generation"] == "cpu"


def test_driver_version_default_is_kernel(gpus):
    gpus(None)
    [node] = machine_nodes(parse_args([]))
    assert node["driver_version"] == platform.release()[:64]


@pytest.mark.parametrize("version", ["", " 1.0", "1\n0", "9" * 65])
def test_driver_version_option_checked(version, capsys):
    with pytest.raises(SystemExit):
        parse_args(["--driver-version", version])
    assert "--driver-version must be 1 to 64" in capsys.readouterr().err
