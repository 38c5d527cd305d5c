"""The trace replay: reading the real trace, filters, and the replay loop."""

import threading
from pathlib import Path

import pytest

from nodes.commands.fleet_csv import GIB, KNOWN_MODELS, ModelSpec, read_fleet
from nodes.commands.import_fleet import ImportResult, import_nodes
from nodes.commands.registry_client import RegistryClient
from nodes.replay import cli as replay_cli
from nodes.replay.free_nodes import free_nodes_filter
from nodes.replay.http import ReplayClient
from nodes.replay.runner import Replay, ReplaySettings, list_fleet_pks
from nodes.replay.stats import Stats, format_report, percentile
from nodes.replay.trace import END, START, Job, TraceError, build_events, read_jobs
from tests.servers import LiveService

MODELS = {**KNOWN_MODELS, "G2": ModelSpec("ampere", 32 * GIB)}


def test_read_real_trace(trace_dir):
    jobs = read_jobs(trace_dir / "openb_pod_list_default.csv")
    # 8,152 pods, of which 897 were never scheduled and pod 0000 has job id 0.
    assert len(jobs) == 7254
    assert jobs[0].job_id == 1
    assert jobs[0].start_seconds == 427061
    assert all(job.job_id > 0 for job in jobs)


def test_real_trace_events_ordered(trace_dir):
    events = build_events(read_jobs(trace_dir / "openb_pod_list_default.csv"))
    assert len(events) == 2 * 7254
    assert events == sorted(events)
    assert events[0].kind == START


def write_trace(path: Path, rows: list[str]) -> Path:
    header = "name,num_gpu,gpu_spec,scheduled_time,deletion_time\n"
    path.write_text(header + "".join(row + "\n" for row in rows))
    return path


def test_read_skips_unscheduled_and_pod_zero(tmp_path):
    trace = write_trace(
        tmp_path / "pods.csv",
        ["p-0000,1,,0,10", "p-0001,1,,,", "p-0002,2,V100M16|T4,5,"],
    )
    [job] = read_jobs(trace)
    assert job == Job(2, 2, ("V100M16", "T4"), 5, None)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("p-0001,one,,0,10", "num_gpu must be an integer"),
        ("p-0001,1,,x,10", "scheduled_time must be an integer"),
        ("pod,1,,0,10", "name 'pod' does not end in a job number"),
        ("p-0001,999,,0,10", "num_gpu must be from 0 to 256"),
    ],
)
def test_read_bad_row_names_line(tmp_path, row, message):
    trace = write_trace(tmp_path / "pods.csv", [row])
    with pytest.raises(TraceError, match=f"line 2: {message}"):
        read_jobs(trace)


def test_read_missing_columns(tmp_path):
    path = tmp_path / "pods.csv"
    path.write_text("name,num_gpu\np-1,1\n")
    with pytest.raises(TraceError, match="lacks the columns"):
        read_jobs(path)


def test_events_end_before_start_at_same_time():
    first = Job(1, 1, (), 0, 10)
    second = Job(2, 1, (), 10, None)
    events = build_events([second, first])
    assert [(e.seconds, e.kind, e.job.job_id) for e in events] == [
        (0, START, 1),
        (10, END, 1),
        (10, START, 2),
    ]


def test_events_start_at_clamps_running_jobs():
    jobs = [Job(1, 1, (), 0, 5), Job(2, 1, (), 0, 50), Job(3, 1, (), 30, 40)]
    events = build_events(jobs, start_at_seconds=20)
    assert [(e.seconds, e.kind, e.job.job_id) for e in events] == [
        (20, START, 2),
        (30, START, 3),
        (40, END, 3),
        (50, END, 2),
    ]


FILTERS = [
    ((), 0, {"hardware_generation": "cpu", "current_job_id": None}),
    (
        (),
        1,
        {
            "hardware_generation": {"in": ["ampere", "pascal", "turing", "volta"]},
            "current_job_id": None,
        },
    ),
    (
        ("T4",),
        2,
        {"hardware_generation": "turing", "gpu_mem": 16 * GIB, "current_job_id": None},
    ),
    (
        ("V100M32", "V100M16", "G2"),
        1,
        {
            "or": [
                {"hardware_generation": "ampere", "gpu_mem": 32 * GIB},
                {"hardware_generation": "volta", "gpu_mem": 16 * GIB},
                {"hardware_generation": "volta", "gpu_mem": 32 * GIB},
            ],
            "current_job_id": None,
        },
    ),
]


@pytest.mark.parametrize(("gpu_spec", "num_gpu", "expected"), FILTERS)
def test_free_nodes_filter(gpu_spec, num_gpu, expected):
    assert free_nodes_filter(gpu_spec, num_gpu, MODELS) == expected


def test_percentile_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) == 0.0


class FakeResponse:
    def __init__(self, payload) -> None:
        self.payload = payload

    def json(self):
        return self.payload


class FakeRegistry(ReplayClient):
    """An in-memory registry that serves the replay's requests without HTTP.

    It evaluates the filter shapes that free_nodes_filter builds, so the replay's
    scheduling can be checked without a filter engine.
    """

    def __init__(self, nodes: list[dict]) -> None:
        super().__init__("http://fake", Stats())
        self.nodes = {node["pk"]: node for node in nodes}
        self.lock = threading.Lock()
        self.beats: dict[int, int] = {}

    def call(self, kind, method, path, body, expected):
        with self.lock:
            response = self._answer(method, path, body)
        self.stats.record(kind, 0.1, None)
        return response

    def _answer(self, method, path, body):
        if path == "/v1/nodes/list":
            condition = (body or {}).get("filter", {})
            found = [n for n in self.nodes.values() if matches(n, condition)]
            return FakeResponse(found[: body.get("limit")] if body else found)
        pk = int(path.split("/")[3])
        if path.endswith("/heartbeat"):
            self.beats[pk] = self.beats.get(pk, 0) + 1
            return FakeResponse(None)
        self.nodes[pk]["current_job_id"] = body["current_job_id"]
        return FakeResponse(self.nodes[pk])


def matches(node: dict, condition: dict) -> bool:
    for key, value in condition.items():
        if key == "or":
            if not any(matches(node, choice) for choice in value):
                return False
        elif isinstance(value, dict):
            if node[key] not in value["in"]:
                return False
        elif node[key] != value:
            return False
    return True


def fleet(gpu_nodes: int, cpu_nodes: int) -> list[dict]:
    nodes = [
        {"pk": pk, "hardware_generation": "volta", "gpu_mem": 16 * GIB}
        for pk in range(1, gpu_nodes + 1)
    ]
    nodes += [
        {"pk": gpu_nodes + n, "hardware_generation": "cpu", "gpu_mem": 0}
        for n in range(1, cpu_nodes + 1)
    ]
    for node in nodes:
        node["current_job_id"] = None
    return nodes


def run_replay(registry, jobs, duration=1.0, interval=0.05):
    settings = ReplaySettings(
        speedup=100.0, duration_seconds=duration, heartbeat_interval_seconds=interval
    )
    replay = Replay(registry, build_events(jobs), MODELS, settings)
    outcome = replay.run(list_fleet_pks(registry))
    return replay, outcome


def test_replay_places_and_releases_jobs():
    registry = FakeRegistry(fleet(gpu_nodes=4, cpu_nodes=1))
    jobs = [
        Job(11, 2, ("V100M16",), 0, 20),
        Job(12, 0, (), 5, None),
        Job(13, 2, (), 10, 30),
        Job(14, 1, (), 15, 25),
    ]
    replay, outcome = run_replay(registry, jobs)
    events = registry.stats.events
    assert events["jobs placed"] == 3
    assert events["jobs not placed: too few idle nodes"] == 1
    assert events["jobs ended"] == 2
    assert outcome.running == {12: [5]}
    assert [registry.nodes[pk]["current_job_id"] for pk in range(1, 6)] == [
        None,
        None,
        None,
        None,
        12,
    ]


def test_replay_every_node_beats():
    registry = FakeRegistry(fleet(gpu_nodes=6, cpu_nodes=2))
    run_replay(registry, [Job(1, 1, (), 0, 50)], duration=0.6, interval=0.1)
    assert set(registry.beats) == set(range(1, 9))
    assert min(registry.beats.values()) >= 3


def test_replay_stops_at_duration():
    registry = FakeRegistry(fleet(gpu_nodes=2, cpu_nodes=0))
    jobs = [Job(1, 1, (), 0, 10), Job(2, 1, (), 10_000, None)]
    _replay, outcome = run_replay(registry, jobs, duration=0.3)
    assert registry.stats.events["jobs placed"] == 1
    assert outcome.trace_seconds_covered == 10


def test_release_running_clears_jobs():
    registry = FakeRegistry(fleet(gpu_nodes=2, cpu_nodes=0))
    replay, _outcome = run_replay(registry, [Job(1, 2, (), 0, None)], duration=0.3)
    assert replay.release_running(registry) == 2
    assert all(node["current_job_id"] is None for node in registry.nodes.values())


def test_report_lists_kinds():
    stats = Stats()
    stats.record("heartbeat", 1.0, None)
    stats.record("heartbeat", 3.0, "POST /v1/nodes/1/heartbeat: HTTP 503")
    report = format_report(stats, 2.0, ["header"])
    assert "requests sent: 2, errors: 1, achieved rate: 1.0 requests/s" in report
    assert "HTTP 503" in report


def test_load_and_beat_live_service(real_redis, trace_dir, tmp_path):
    """Load a slice of the real machine list over HTTP, then beat every node."""
    service = LiveService(real_redis)
    try:
        machines = (trace_dir / "openb_node_list_all_node.csv").read_text()
        sample = tmp_path / "nodes.csv"
        lines = machines.splitlines()
        sample.write_text("\n".join([lines[0], *lines[300:330]]) + "\n")
        planned = read_fleet(sample, MODELS, "535.104.05")
        loaded = ImportResult()
        import_nodes(RegistryClient(service.url), planned, 4, loaded)
        stats = Stats()
        client = ReplayClient(service.url, stats)
        settings = ReplaySettings(10.0, 1.5, 1.0, heartbeat_threads=2)
        replay = Replay(client, [], MODELS, settings)
        pks = list_fleet_pks(client)
        replay.run(pks)
    finally:
        service.stop()
    assert loaded.total == len(planned)
    assert len(pks) == len(planned)
    assert stats.error_count == 0
    assert len(stats.latencies_ms["heartbeat"]) >= len(pks)


def test_command_loads_beats_and_reports(real_redis, tmp_path, capsys):
    service = LiveService(real_redis)
    try:
        machines = tmp_path / "machines.csv"
        machines.write_text(
            "sn,cpu_milli,memory_mib,gpu,model\n"
            "m-1,32000,262144,0,\nm-2,96000,786432,2,V100M32\nm-3,64000,393216,1,G2\n"
        )
        pods = write_trace(tmp_path / "pods.csv", ["p-0001,1,,,"])
        argv = [str(pods), "--url", service.url, "--load-nodes", str(machines)]
        argv += ["--driver-version", "535.104.05", "--model", "G2=ampere:32"]
        argv += ["--duration", "0.5", "--heartbeat-interval", "0.2"]
        assert replay_cli.main(argv) == 0
    finally:
        service.stop()
    report = capsys.readouterr().out
    assert "nodes: 4, scheduled jobs: 0, events: 0" in report
    assert "errors: 0" in report
    generations = sorted(node["hardware_generation"] for node in service.nodes())
    assert generations == ["ampere", "cpu", "volta", "volta"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--load-nodes", "x.csv"], "--load-nodes requires --driver-version"),
        (["--heartbeat-threads", "0"], "--heartbeat-threads must be from 1 to 64"),
        (["--speedup", "0"], "must be a positive number"),
    ],
)
def test_command_bad_options(tmp_path, capsys, extra, message):
    pods = write_trace(tmp_path / "pods.csv", [])
    with pytest.raises(SystemExit):
        replay_cli.main([str(pods), *extra])
    assert message in capsys.readouterr().err


def test_command_undescribed_model(tmp_path, capsys):
    pods = write_trace(tmp_path / "pods.csv", ["p-0001,1,G3,0,10"])
    assert replay_cli.main([str(pods)]) == 2
    assert "G3" in capsys.readouterr().err
