"""Run wrk with the Lua scripts of bench/lua and parse their one-line JSON report."""

import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

LUA_DIR = Path(__file__).resolve().parent / "lua"
RESULT_MARK = "BENCH_RESULT "


def require_wrk() -> str:
    """Return the path of wrk, or raise with how to install it."""
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError(
            "wrk is not installed; the benchmarks use it as the HTTP load generator."
            " Install it with: apt-get install wrk (Debian and Ubuntu)"
        )
    return path


@dataclass
class WrkResult:
    """One wrk run; latencies in milliseconds."""

    requests: int
    seconds: float
    errors: int
    bytes: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    # CPU seconds that the load generator itself used, where known.
    client_cpu_seconds: float = 0.0
    # CPU seconds that the server under load used (all its processes), where known.
    server_cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**self.__dict__, "rate": self.rate}


def merge(results: list[WrkResult]) -> WrkResult:
    """Combine runs of one measurement taken in turns with others.

    Counts and times add up. wrk reports percentiles per run only, so p50 and p90
    are the request-weighted means of the runs' values and p99 and max the largest
    run's: an estimate that errs towards slower. Runs of one request each give
    their exact median as p50.
    """
    requests = sum(result.requests for result in results)
    single = all(result.requests == 1 for result in results)

    def weighted(name: str) -> float:
        if not requests:
            return 0.0
        return sum(getattr(r, name) * r.requests for r in results) / requests

    return WrkResult(
        requests=requests,
        seconds=sum(result.seconds for result in results),
        errors=sum(result.errors for result in results),
        bytes=sum(result.bytes for result in results),
        mean_ms=weighted("mean_ms"),
        p50_ms=(
            statistics.median(result.p50_ms for result in results)
            if single
            else weighted("p50_ms")
        ),
        p90_ms=weighted("p90_ms"),
        p99_ms=max(result.p99_ms for result in results),
        max_ms=max(result.max_ms for result in results),
        client_cpu_seconds=sum(result.client_cpu_seconds for result in results),
        server_cpu_seconds=sum(result.server_cpu_seconds for result in results),
    )


def in_turns(measurements: dict, rounds: int) -> dict[str, WrkResult]:
    """Run each measurement ``rounds`` times, taking turns, and merge each one's runs.

    ``measurements`` maps a name to a function that runs wrk once and returns its
    WrkResult. Taking turns exposes every measurement to the same drift in the
    machine's other load, which matters on a shared machine.
    """
    runs: dict[str, list[WrkResult]] = {name: [] for name in measurements}
    for _ in range(rounds):
        for name, measure in measurements.items():
            runs[name].append(measure())
    return {name: merge(results) for name, results in runs.items()}


def _command(
    url: str,
    script: str,
    args: list[str],
    seconds: float,
    threads: int,
    connections: int,
    headers: dict[str, str],
) -> list[str]:
    command = [
        require_wrk(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=30s",
        f"--script={LUA_DIR / script}",
    ]
    for name, value in headers.items():
        command.append(f"--header={name}: {value}")
    return [*command, url, "--", *args]


def start(
    url: str,
    script: str,
    args: list[str],
    seconds: float,
    threads: int = 1,
    connections: int = 1,
    headers: dict[str, str] | None = None,
    delay_ms: int = 0,
) -> subprocess.Popen:
    """Start wrk in the background; pass the process to finish()."""
    env = {**os.environ, "BENCH_LUA_DIR": str(LUA_DIR), "BENCH_DELAY_MS": str(delay_ms)}
    command = _command(url, script, args, seconds, threads, connections, headers or {})
    log.debug("running %s", command)
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen, timeout_seconds: float = 120) -> WrkResult:
    """Wait for a wrk process and return its result, or raise with its output.

    wrk's CPU time is the growth of this process's reaped-children usage while
    waiting, so it also counts any other child that ends meanwhile.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    stdout, stderr = process.communicate(timeout=timeout_seconds)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARK):
            data = json.loads(line[len(RESULT_MARK) :])
            break
    else:
        raise RuntimeError(
            f"wrk exited with {process.returncode} and no result:\n{stdout}\n{stderr}"
        )
    errors = sum(value for name, value in data.items() if name.startswith("errors_"))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        bytes=data["bytes"],
        mean_ms=data["latency_mean_us"] / 1000,
        p50_ms=data["latency_p50_us"] / 1000,
        p90_ms=data["latency_p90_us"] / 1000,
        p99_ms=data["latency_p99_us"] / 1000,
        max_ms=data["latency_max_us"] / 1000,
        client_cpu_seconds=cpu_seconds,
    )


def run(url: str, script: str, args: list[str], seconds: float, **options) -> WrkResult:
    """Run wrk in the foreground for ``seconds`` and return its result."""
    return finish(start(url, script, args, seconds, **options), seconds + 60)
