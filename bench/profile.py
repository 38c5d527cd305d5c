"""Sample gunicorn's workers with py-spy under load and summarize where time goes."""

import logging
import re
import subprocess
from collections import Counter
from pathlib import Path

from bench.processes import REPOSITORY, _bin

log = logging.getLogger(__name__)

# Files of the registry itself, as py-spy names them (relative to sys.path). py-spy
# names other files by their path below site-packages or the standard library.
PRODUCT_DIRS = ("nodes/", "filtering/", "bench/")
PRODUCT_MODULES = ("app.py", "config.py", "wsgi.py")
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def record(pid: int, seconds: float, output: Path) -> Path:
    """Sample process pid and its children (the workers) into a collapsed-stack file.

    --nonblocking reads the workers' memory without pausing them, so the load they
    serve is not slowed by the sampling itself.
    """
    command = [
        _bin("py-spy"),
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--nonblocking",
        "--rate",
        "250",
        "--duration",
        str(max(1, round(seconds))),
        "--format",
        "raw",
        "--output",
        str(output),
    ]
    subprocess.run(
        command, check=True, capture_output=True, timeout=seconds + 60, text=True
    )
    return output


def _frame_name(frame: str) -> str | None:
    """Return "function (short/file.py)" for a stack frame, None for process/thread."""
    match = FRAME.match(frame)
    if match is None or frame.startswith(("process ", "thread ")):
        return None
    path = match.group("file")
    for marker in ("site-packages/", str(REPOSITORY) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('function')} ({path})"


def _package(name: str) -> str:
    """Return the package of "function (file)": redis, flask, ..., or the product."""
    path = name.rsplit("(", 1)[-1].rstrip(")")
    if path.startswith(PRODUCT_DIRS) or path in PRODUCT_MODULES:
        return "registry"
    if "/" not in path:
        return "stdlib"
    return path.split("/")[0]


def summarize(raw: Path, top: int = 12) -> dict:
    """Return shares of samples: by function's own time, by package, and the
    registry's functions including what they call."""
    own: Counter = Counter()
    inclusive: Counter = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        names = [name for name in map(_frame_name, stack.split(";")) if name]
        if not names:
            continue
        total += count
        own[names[-1]] += count
        for name in set(names):
            if _package(name) == "registry":
                inclusive[name] += count
    packages: Counter = Counter()
    for name, count in own.items():
        packages[_package(name)] += count

    def share(counter: Counter) -> list[tuple[str, float]]:
        return [(name, count / total) for name, count in counter.most_common(top)]

    return {
        "samples": total,
        "own": share(own),
        "packages": share(packages),
        "registry_inclusive": share(inclusive),
    }


def format_summary(title: str, summary: dict) -> str:
    lines = [f"{title}: {summary['samples']} samples of busy worker threads"]
    sections = (
        ("own", "own time by function"),
        ("packages", "own time by package"),
        ("registry_inclusive", "registry functions, including what they call"),
    )
    for key, heading in sections:
        lines.append(f"  {heading}:")
        lines += [f"    {fraction:6.1%}  {name}" for name, fraction in summary[key]]
    return "\n".join(lines)
