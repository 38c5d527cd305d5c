"""Read a pod list of the Alibaba GPU cluster trace into timed job events.

Columns used: name (openb-pod-NNNN, whose number is the job id), num_gpu, gpu_spec
(allowed models separated by "|", empty for any), scheduled_time and deletion_time
(seconds from the start of the trace, empty where unknown). A pod that was never
scheduled has no events; a pod without a deletion time runs to the end of the trace.
The job id is the pod number, so pod 0000 has no valid job id (the registry's job ids
start at 1) and is left out.
"""

from dataclasses import dataclass
from pathlib import Path

from nodes.commands.csv_rows import parse_int, read_rows

REQUIRED_COLUMNS = ("name", "num_gpu", "gpu_spec", "scheduled_time", "deletion_time")
MAX_GPUS_PER_JOB = 256


class TraceError(ValueError):
    """The pod list cannot be read; the message names the file or line."""


@dataclass(frozen=True)
class Job:
    job_id: int
    num_gpu: int
    gpu_spec: tuple[str, ...]
    start_seconds: int
    end_seconds: int | None


@dataclass(frozen=True, order=True)
class Event:
    """A job starting or ending at a trace time; ends sort before starts."""

    seconds: int
    kind: int  # END or START
    sequence: int
    job: Job


END = 0
START = 1


def _int(line: int, column: str, text: str, maximum: int) -> int:
    return parse_int(line, column, text, 0, maximum, TraceError)


def _job_id(line: int, name: str) -> int:
    prefix, _, number = name.rpartition("-")
    if not prefix or not number.isdigit():
        raise TraceError(f"line {line}: name {name!r} does not end in a job number")
    return int(number)


def read_jobs(path: Path) -> list[Job]:
    """Return the scheduled jobs of a pod list, in file order."""
    rows = read_rows(path, REQUIRED_COLUMNS, "pod list", TraceError)
    jobs = []
    for line, row in rows:
        job_id = _job_id(line, row["name"])
        if job_id == 0 or not row["scheduled_time"].strip():
            continue
        start = _int(line, "scheduled_time", row["scheduled_time"], 2**40)
        end_text = row["deletion_time"].strip()
        end = _int(line, "deletion_time", end_text, 2**40) if end_text else None
        spec = tuple(m.strip() for m in row["gpu_spec"].split("|") if m.strip())
        jobs.append(
            Job(
                job_id,
                _int(line, "num_gpu", row["num_gpu"], MAX_GPUS_PER_JOB),
                spec,
                start,
                end,
            )
        )
    return jobs


def build_events(jobs: list[Job], start_at_seconds: int = 0) -> list[Event]:
    """Return start and end events in trace order from start_at_seconds on.

    A job still running at start_at_seconds starts at that instant, so the replay
    begins with the cluster as full as the trace had it then.
    """
    events = []
    for sequence, job in enumerate(jobs):
        if job.end_seconds is not None and job.end_seconds <= start_at_seconds:
            continue
        start = max(job.start_seconds, start_at_seconds)
        events.append(Event(start, START, sequence, job))
        if job.end_seconds is not None:
            events.append(Event(max(job.end_seconds, start), END, sequence, job))
    events.sort()
    return events
