"""Request counts, errors and latencies of a replay, and its report text."""

import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

MAX_ERROR_SAMPLES = 5


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of values sorted ascending."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class Stats:
    """Thread-safe counters, fed by every request of a replay."""

    latencies_ms: dict[str, list[float]] = field(
        default_factory=lambda: defaultdict(list)
    )
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    events: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, latency_ms: float, error: str | None) -> None:
        with self.lock:
            self.latencies_ms[kind].append(latency_ms)
            if error is not None:
                self.errors[kind] += 1
                if len(self.error_samples) < MAX_ERROR_SAMPLES:
                    self.error_samples.append(f"{kind}: {error}")

    def count_event(self, name: str, amount: int = 1) -> None:
        with self.lock:
            self.events[name] += amount

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies_ms.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def _row(kind: str, values: list[float], errors: int, seconds: float) -> str:
    ordered = sorted(values)
    return (
        f"{kind:<16}{len(values):>9}{errors:>8}{len(values) / seconds:>9.1f}"
        f"{percentile(ordered, 0.50):>9.1f}{percentile(ordered, 0.90):>9.1f}"
        f"{percentile(ordered, 0.99):>9.1f}{(ordered[-1] if ordered else 0):>9.1f}"
    )


def format_report(stats: Stats, wall_seconds: float, header: list[str]) -> str:
    """Return the report: settings, events, then one row per request kind."""
    seconds = max(wall_seconds, 1e-9)
    lines = [*header, ""]
    for name, amount in sorted(stats.events.items()):
        lines.append(f"{name}: {amount}")
    lines += [
        "",
        f"{'request':<16}{'sent':>9}{'errors':>8}{'per s':>9}"
        f"{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}",
    ]
    everything = []
    for kind in sorted(stats.latencies_ms):
        values = stats.latencies_ms[kind]
        everything += values
        lines.append(_row(kind, values, stats.errors[kind], seconds))
    lines.append(_row("all", everything, stats.error_count, seconds))
    lines += [
        "",
        f"requests sent: {stats.requests}, errors: {stats.error_count},"
        f" achieved rate: {stats.requests / seconds:.1f} requests/s"
        f" over {wall_seconds:.1f} s",
    ]
    if stats.error_samples:
        lines.append("first errors: " + " | ".join(stats.error_samples))
    return "\n".join(lines)
