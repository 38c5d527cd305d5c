"""The replay itself: a scheduler thread that follows the trace, and heartbeats.

The scheduler finds idle nodes for each starting job with POST /v1/nodes/list and a
filter, assigns the job with PATCH, and clears it with PATCH when the job ends. Each
node meanwhile sends POST /v1/nodes/{pk}/heartbeat at a fixed interval, with its
phase spread over the interval so the fleet does not beat in lockstep.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

from nodes.commands.fleet_csv import CPU_ONLY_GENERATION, ModelSpec
from nodes.replay.free_nodes import free_nodes_filter
from nodes.replay.http import ReplayClient
from nodes.replay.trace import START, Event

log = logging.getLogger(__name__)


def list_fleet_pks(client: ReplayClient) -> list[int]:
    """Return every node's pk, listed through the API in one request."""
    response = client.call("list-fleet", "POST", "/v1/nodes/list", {}, 200)
    if response is None:
        raise RuntimeError(
            "listing the fleet failed: " + "; ".join(client.stats.error_samples)
        )
    return [node["pk"] for node in response.json()]


@dataclass(frozen=True)
class ReplaySettings:
    speedup: float
    duration_seconds: float
    heartbeat_interval_seconds: float
    heartbeat_threads: int = 4


@dataclass
class Outcome:
    """The replay's results other than request statistics."""

    wall_seconds: float = 0.0
    trace_seconds_covered: float = 0.0
    max_lag_seconds: float = 0.0
    heartbeats_skipped: int = 0
    running: dict[int, list[int]] = field(default_factory=dict)


class Replay:
    def __init__(
        self,
        client: ReplayClient,
        events: list[Event],
        models: dict[str, ModelSpec],
        settings: ReplaySettings,
        stop: threading.Event | None = None,
    ) -> None:
        self.client = client
        self.stats = client.stats
        self.events = events
        self.models = models
        self.settings = settings
        self.stop = stop or threading.Event()
        self.outcome = Outcome()

    # Heartbeats

    def _beat(self, pks: list[int], started: float, deadline: float) -> None:
        interval = self.settings.heartbeat_interval_seconds
        count = len(pks)
        due = [started + interval * n / count for n in range(count)]
        skipped = 0
        position = 0
        while not self.stop.is_set() and count:
            now = time.monotonic()
            if now >= deadline:
                break
            if due[position] > now:
                if self.stop.wait(min(due[position], deadline) - now):
                    break
                if time.monotonic() >= deadline:
                    break
                continue
            pk = pks[position]
            self.client.call(
                "heartbeat", "POST", f"/v1/nodes/{pk}/heartbeat", None, 204
            )
            due[position] += interval
            if due[position] < time.monotonic() - interval:
                # More than a whole interval behind: skip the missed beats.
                missed = int((time.monotonic() - due[position]) // interval)
                due[position] += missed * interval
                skipped += missed
            position = (position + 1) % count
        with self.stats.lock:
            self.outcome.heartbeats_skipped += skipped

    # Scheduling

    def _start_job(self, event: Event) -> None:
        job = event.job
        spec = {
            "filter": free_nodes_filter(job.gpu_spec, job.num_gpu, self.models),
            "limit": max(job.num_gpu, 1),
        }
        response = self.client.call("list-free", "POST", "/v1/nodes/list", spec, 200)
        if response is None:
            self.stats.count_event("jobs not placed: list failed")
            return
        nodes = [node for node in response.json() if self._fits(node, job.num_gpu)]
        if len(nodes) < max(job.num_gpu, 1):
            self.stats.count_event("jobs not placed: too few idle nodes")
            return
        pks = []
        for node in nodes[: max(job.num_gpu, 1)]:
            body = {"current_job_id": job.job_id}
            path = f"/v1/nodes/{node['pk']}"
            if self.client.call("assign-job", "PATCH", path, body, 200) is not None:
                pks.append(node["pk"])
        self.outcome.running[job.job_id] = pks
        self.stats.count_event("jobs placed")

    def _fits(self, node: dict, num_gpu: int) -> bool:
        # A scheduler trusts the filter; this check only counts filter mistakes.
        cpu_only = node["hardware_generation"] == CPU_ONLY_GENERATION
        if node["current_job_id"] is None and cpu_only == (num_gpu == 0):
            return True
        self.stats.count_event("nodes the filter should not have returned")
        return False

    def _end_job(self, event: Event) -> None:
        pks = self.outcome.running.pop(event.job.job_id, None)
        if pks is None:
            return
        for pk in pks:
            body = {"current_job_id": None}
            self.client.call("release-job", "PATCH", f"/v1/nodes/{pk}", body, 200)
        self.stats.count_event("jobs ended")

    def _schedule(self, started: float, deadline: float) -> None:
        self._follow_trace(started, deadline)
        # The heartbeats go on until the duration is over, also after the trace.
        remaining = deadline - time.monotonic()
        if remaining > 0:
            self.stop.wait(remaining)

    def _follow_trace(self, started: float, deadline: float) -> None:
        if not self.events:
            return
        first_seconds = self.events[0].seconds
        for event in self.events:
            due = started + (event.seconds - first_seconds) / self.settings.speedup
            now = time.monotonic()
            if due > now and self.stop.wait(min(due, deadline) - now):
                return
            now = time.monotonic()
            if now >= deadline:
                return
            self.outcome.max_lag_seconds = max(self.outcome.max_lag_seconds, now - due)
            if event.kind == START:
                self._start_job(event)
            else:
                self._end_job(event)
            self.outcome.trace_seconds_covered = event.seconds - first_seconds

    def run(self, pks: list[int]) -> Outcome:
        """Replay for the duration (or until stop is set); return the outcome."""
        started = time.monotonic()
        deadline = started + self.settings.duration_seconds
        threads = [
            threading.Thread(
                target=self._beat,
                args=(pks[n :: self.settings.heartbeat_threads], started, deadline),
                name=f"heartbeats-{n}",
            )
            for n in range(self.settings.heartbeat_threads)
        ]
        for thread in threads:
            thread.start()
        try:
            self._schedule(started, deadline)
        finally:
            self.stop.set()
            for thread in threads:
                thread.join()
        self.outcome.wall_seconds = time.monotonic() - started
        return self.outcome

    def release_running(self, client: ReplayClient) -> int:
        """Clear the job of every node that still runs one; return how many nodes.

        Runs after the timed part, with its own client, so the report leaves it out.
        """
        released = 0
        for job_id in list(self.outcome.running):
            for pk in self.outcome.running.pop(job_id):
                body = {"current_job_id": None}
                path = f"/v1/nodes/{pk}"
                if client.call("cleanup", "PATCH", path, body, 200) is not None:
                    released += 1
        return released
