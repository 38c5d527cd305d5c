"""Drive heartbeats with nodes-replay, the registry's own trace replay, when present.

nodes-replay places the trace's jobs on free nodes through the list endpoint and
sends every node's heartbeats at a set interval. The run reads the heartbeat row of
its report: sent, errors, per s, p50, p90, p99 and max in milliseconds.
"""

import importlib.util
import logging
import os
import subprocess
import sys

from bench.fleet import GIB, FleetParameters
from bench.processes import REPOSITORY
from bench.wrk import WrkResult

log = logging.getLogger(__name__)

POD_LIST = "openb_pod_list_default.csv"
MODULE = "nodes.replay.cli"


def available() -> bool:
    try:
        return importlib.util.find_spec(MODULE) is not None
    except ModuleNotFoundError:
        return False


def _model(name: str, generation: str, gpu_mem_bytes: int) -> str:
    gib = gpu_mem_bytes / GIB
    return f"{name}={generation}:{gib:g}"


def start(
    url: str,
    token: str,
    data_dir,
    fleet: FleetParameters,
    seconds: float,
    interval_seconds: float,
    start_at: int,
    speedup: float,
) -> subprocess.Popen:
    """Start nodes-replay for ``seconds`` against url; pass the process to finish()."""
    command = [
        sys.executable,
        "-m",
        MODULE,
        str(data_dir / POD_LIST),
        "--url",
        url,
        "--model",
        _model("G2", fleet.g2_generation, fleet.g2_gpu_mem_bytes),
        "--model",
        _model("G3", fleet.g3_generation, fleet.g3_gpu_mem_bytes),
        "--duration",
        f"{seconds:g}",
        "--heartbeat-interval",
        f"{interval_seconds:g}",
        "--start-at",
        str(start_at),
        "--speedup",
        f"{speedup:g}",
        # Under 20 dashboards a request can wait for seconds. A long timeout lets the
        # report show that wait as latency instead of counting it as an error.
        "--timeout",
        "60",
    ]
    env = {**os.environ, "NODES_TOKEN": token, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.Popen(
        command,
        cwd=REPOSITORY,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, timeout_seconds: float) -> WrkResult:
    """Wait for nodes-replay and return its heartbeat row as a WrkResult.

    The report gives no mean, so the mean is the median; the full report is logged.
    """
    stdout, stderr = process.communicate(timeout=timeout_seconds)
    row = None
    for line in stdout.splitlines():
        if line.startswith("heartbeat "):
            row = line.split()
    if row is None:
        raise RuntimeError(
            f"nodes-replay exited with {process.returncode} and no heartbeat row:\n"
            f"{stdout[-2000:]}\n{stderr[-2000:]}"
        )
    log.info("nodes-replay report:\n%s", stdout)
    sent, errors, rate, p50, p90, p99, maximum = row[1:8]
    requests = int(sent)
    return WrkResult(
        requests=requests,
        seconds=requests / float(rate) if float(rate) else 0.0,
        errors=int(errors),
        bytes=0,
        mean_ms=float(p50),
        p50_ms=float(p50),
        p90_ms=float(p90),
        p99_ms=float(p99),
        max_ms=float(maximum),
    )
