"""The ceilings: the framework floor, the one-call floor and the Redis ceiling."""

import re
import shutil
import subprocess
import time

import redis

from bench import wrk
from bench.options import Options
from nodes.keys import KeySpace
from nodes.store import SCRIPTS_DIR


def framework_floor(url: str, options: Options, seconds: float) -> wrk.WrkResult:
    """Measure GET /floor of the floor app: Flask and gunicorn doing no work."""
    return wrk.run(
        url,
        "fixed.lua",
        ["GET", "/floor"],
        seconds,
        threads=options.wrk_threads,
        connections=options.connections,
    )


def one_call_floor(
    url: str, nodes: int, options: Options, seconds: float
) -> wrk.WrkResult:
    """Measure POST /one-call/{pk} of the floor app on random pks of the fleet."""
    return wrk.run(
        url,
        "heartbeat.lua",
        ["POST", "/one-call/{pk}", "1", str(nodes)],
        seconds,
        threads=options.wrk_threads,
        connections=options.connections,
    )


def redis_ceiling(port: int, keys: KeySpace, nodes: int, options: Options) -> dict:
    """Run redis-benchmark with EVALSHA of heartbeat.lua and return requests/s.

    redis-benchmark substitutes __rand_int__ with a 12-digit zero-padded number, which
    is no node's key, so the keys name one existing node (the last) and only the
    timestamp argument varies. Updating one node or random ones costs Redis the same
    commands on the same small hash and sorted sets.
    """
    executable = shutil.which("redis-benchmark")
    if executable is None:
        raise RuntimeError(
            "redis-benchmark is not installed; it comes with redis-server (Debian:"
            " apt-get install redis-tools)"
        )
    client = redis.Redis(port=port)
    sha = client.script_load((SCRIPTS_DIR / "heartbeat.lua").read_text())
    client.close()
    requests = max(20000, int(options.seconds * 40000))
    command = [
        executable,
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-c",
        str(options.connections),
        "-n",
        str(requests),
        "-r",
        "1000000000",
        "-q",
        "EVALSHA",
        sha,
        "3",
        keys.node(nodes),
        keys.last_seen_index,
        keys.job_index,
        str(nodes),
        "1700000__rand_int__",
        "",
        "",
    ]
    started = time.monotonic()
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    elapsed = time.monotonic() - started
    match = re.search(r"([\d.]+) requests per second", output.replace("\r", "\n"))
    if match is None:
        raise RuntimeError(f"redis-benchmark printed no rate:\n{output}")
    return {
        "rate": float(match.group(1)),
        "requests": requests,
        "seconds": elapsed,
        "command": " ".join(command[1:]),
    }
