"""The agent loop: register or refresh every node, then beat with jitter and backoff."""

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nodes.agent.client import RegistryClient, RegistryUnreachable
from nodes.agent.detect import CPU_ONLY_ID
from nodes.agent.state import load_pks, save_pks

log = logging.getLogger(__name__)

MAX_JOB_ID = 2**53 - 1


@dataclass(frozen=True)
class Timing:
    """Heartbeat interval and backoff, in seconds."""

    interval_seconds: float = 10.0
    # Each wait is interval * (1 +- jitter), so restarted agents drift apart.
    jitter: float = 0.1
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 60.0

    def next_beat(self, rng: random.Random) -> float:
        return self.interval_seconds * rng.uniform(1 - self.jitter, 1 + self.jitter)

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Return the wait after the given number of consecutive failures.

        The ceiling doubles per failure up to the cap; the wait is drawn from the
        upper half below it ("equal jitter"), so it never drops near zero.
        """
        ceiling = min(
            self.backoff_cap_seconds,
            self.backoff_base_seconds * 2 ** min(failures - 1, 30),
        )
        return rng.uniform(ceiling / 2, ceiling)


class JobSource:
    """The current job id: a fixed option, a file read at every beat, or none."""

    def __init__(self, job_id: int | None = None, path: Path | None = None) -> None:
        self.job_id = job_id
        self.path = path
        self._warned = False

    def body(self) -> dict | None:
        """Return the heartbeat body: {"current_job_id": ...}, or None to leave it."""
        if self.job_id is not None:
            return {"current_job_id": self.job_id}
        if self.path is None:
            return None
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            return {"current_job_id": None}
        except OSError as exc:
            return self._invalid(f"cannot be read ({exc})")
        if not text:
            return {"current_job_id": None}
        if not text.isdigit() or not 1 <= int(text) <= MAX_JOB_ID:
            return self._invalid(f"holds {text[:40]!r}, not a job id from 1 to 2**53-1")
        self._warned = False
        return {"current_job_id": int(text)}

    def _invalid(self, reason: str) -> None:
        if not self._warned:
            log.warning(
                "job file %s %s; current_job_id is left as it is", self.path, reason
            )
            self._warned = True
        return None


class Agent:
    """Keeps this machine's nodes registered and alive until stop is set."""

    def __init__(
        self,
        client: RegistryClient,
        nodes: list[dict],
        state_path: Path,
        jobs: JobSource,
        timing: Timing = Timing(),
        stop: threading.Event | None = None,
        rng: random.Random | None = None,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.client = client
        self.nodes = {node["index"]: node for node in nodes}
        self.state_path = state_path
        self.jobs = jobs
        self.timing = timing
        self.stop = stop or threading.Event()
        self.rng = rng or random.Random()
        # wait(seconds) returns True when the agent should stop.
        self.wait = wait or self.stop.wait
        stored = load_pks(state_path)
        self.pks: dict[int, int] = {
            i: pk for i, pk in stored.items() if i in self.nodes
        }
        # Nodes whose stored record was refreshed with PUT since this start.
        self.refreshed: set[int] = set()

    def _label(self, index: int) -> str:
        """Name a node of this machine in log lines: GPU index 2, or CPU-only."""
        if self.nodes[index]["hardware_generation"] == CPU_ONLY_ID:
            return "the CPU-only machine"
        return f"GPU index {index}"

    def _register(self, index: int) -> None:
        pk = self.client.create(self.nodes[index])
        log.info("registered %s as node %d", self._label(index), pk)
        self.pks[index] = pk
        self.refreshed.add(index)
        save_pks(self.state_path, self.pks)

    def _refresh(self, index: int) -> None:
        pk = self.pks[index]
        if self.client.replace(pk, self.nodes[index]):
            log.info("refreshed node %d (%s) with PUT", pk, self._label(index))
            self.refreshed.add(index)
        else:
            log.warning(
                "node %d (%s) is gone; registering again", pk, self._label(index)
            )
            self._register(index)

    def step(self) -> None:
        """Register, refresh or beat each node once; raises RegistryUnreachable."""
        body = self.jobs.body()
        for index in sorted(self.nodes):
            if index not in self.pks:
                self._register(index)
            elif index not in self.refreshed:
                self._refresh(index)
            elif not self.client.heartbeat(self.pks[index], body):
                log.warning(
                    "heartbeat of node %d (%s) got 404; registering again",
                    self.pks[index],
                    self._label(index),
                )
                self._register(index)
            else:
                continue
            # A new or refreshed node reports its job with a heartbeat right away.
            if body is not None:
                self.client.heartbeat(self.pks[index], body)

    def run(self, once: bool = False) -> bool:
        """Loop until stop is set (or one successful step with once); False on error."""
        log.info(
            "agent started: %d nodes, beat every %.1fs +- %d%%",
            len(self.nodes),
            self.timing.interval_seconds,
            round(self.timing.jitter * 100),
        )
        failures = 0
        while not self.stop.is_set():
            try:
                self.step()
            except RegistryUnreachable as exc:
                failures += 1
                if once:
                    log.warning(
                        "registry unreachable (%s); giving up because of --once", exc
                    )
                    break
                delay = self.timing.backoff(failures, self.rng)
                log.warning(
                    "registry unreachable (%s); attempt %d failed, retrying in %.1fs",
                    exc,
                    failures,
                    delay,
                )
                if self.wait(delay):
                    break
                continue
            if failures:
                log.info("registry reachable again after %d failed attempts", failures)
            failures = 0
            if once or self.wait(self.timing.next_beat(self.rng)):
                break
        log.info("agent stopped")
        return failures == 0
