"""The description of the machine and build that a run measured: cores, memory, CPU
model, load average, commit."""

import os
import platform
import subprocess
import time
from pathlib import Path

from bench.processes import REPOSITORY


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return None
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / (1 << 20), 1)
    return None


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=REPOSITORY, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        return ""


def _version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except OSError:
        return "not installed"
    return (result.stdout or result.stderr).strip().splitlines()[0]


def describe() -> dict:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "redis": _version(["redis-server", "--version"]),
        "wrk": _version(["wrk", "--version"]),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(
            _git("status", "--porcelain", "--untracked-files=no")
        ),
        "load_average_before": load_average(),
    }
