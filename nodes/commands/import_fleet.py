"""nodes-import: load a machine list into a running registry through its HTTP API.

Every node is created with POST /v1/nodes/create, so the command works against the
embedded store of `make run` and against any deployment alike. It reads and checks the
whole file before the first request, checks the hardware IDs against GET /v1/hardware,
then creates the nodes from a small thread pool and reports the counts it created.
"""

import argparse
import sys
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from nodes.commands.fleet_csv import (
    CPU_ONLY_GENERATION,
    KNOWN_MODELS,
    FleetFileError,
    PlannedNode,
    parse_model_option,
    read_fleet,
)
from nodes.commands.registry_client import (
    DEFAULT_URL,
    TOKEN_ENV,
    RegistryClient,
    RequestFailed,
    read_token,
)

DEFAULT_WORKERS = 8
# GPU models of the Alibaba trace whose hardware and memory are not public.
UNDISCLOSED_MODELS = ("G2", "G3")


@dataclass
class ImportResult:
    """Counts of the nodes that an import created, also when it stopped early."""

    by_generation: Counter = field(default_factory=Counter)
    by_model: Counter = field(default_factory=Counter)
    pks: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.pks)


class Progress:
    """Progress lines 'created N/T nodes': in place on a terminal, else by tenths."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.done = 0
        self.interactive = stream.isatty()
        self._next_line = max(1, total // 10)

    def advance(self) -> None:
        self.done += 1
        if self.interactive:
            end = "\n" if self.done == self.total else ""
            self.stream.write(f"\rcreated {self.done}/{self.total} nodes{end}")
            self.stream.flush()
        elif self.done >= self._next_line or self.done == self.total:
            self.stream.write(f"created {self.done}/{self.total} nodes\n")
            self._next_line += max(1, self.total // 10)


def check_catalog(planned: list[PlannedNode], catalog: dict[str, dict]) -> None:
    """Raise RequestFailed unless the service's catalog has each planned hardware ID."""
    for node in planned:
        generation = node.body["hardware_generation"]
        entry = catalog.get(generation)
        if entry is None:
            raise RequestFailed(
                f"model {node.model} maps to hardware ID {generation!r}, which the"
                " service does not know; GET /v1/hardware lists the known IDs, and"
                " the service adds IDs from REGISTRY_HARDWARE_EXTRA"
            )
        if node.model and entry.get("cpu_only"):
            raise RequestFailed(
                f"model {node.model} maps to hardware ID {generation!r}, which is"
                " CPU-only; map GPU models to a GPU hardware ID"
            )


def create_nodes(
    client: RegistryClient,
    planned: list[PlannedNode],
    workers: int,
    progress: Progress,
    result: ImportResult,
) -> None:
    """Create the planned nodes from a thread pool, counting them in ``result``.

    Stops at the first failed request and raises its RequestFailed. On any exception,
    KeyboardInterrupt included, requests not yet sent are cancelled, and the ones in
    flight finish and are counted before the exception propagates.
    """
    lock = threading.Lock()

    def create_one(node: PlannedNode) -> None:
        created = client.create_node(node.body)
        with lock:
            result.pks.append(created["pk"])
            result.by_generation[created["hardware_generation"]] += 1
            result.by_model[node.model or CPU_ONLY_GENERATION] += 1
            progress.advance()

    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(create_one, node) for node in planned]
        wait(futures, return_when=FIRST_EXCEPTION)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for future in futures:
        if not future.cancelled() and future.exception() is not None:
            raise future.exception()


def import_nodes(
    client: RegistryClient,
    planned: list[PlannedNode],
    workers: int,
    result: ImportResult,
) -> None:
    """Check the catalog, then create the nodes with progress lines on stderr.

    Raises RequestFailed (and passes KeyboardInterrupt on) as ``create_nodes`` does;
    ``result`` then counts the nodes created so far.
    """
    check_catalog(planned, client.hardware_catalog())
    progress = Progress(len(planned), sys.stderr)
    create_nodes(client, planned, workers, progress, result)


def format_report(result: ImportResult, elapsed_seconds: float) -> str:
    lines = [f"created {result.total} nodes in {elapsed_seconds:.1f} s"]
    if result.pks:
        lines[0] += f" (pks {min(result.pks)} to {max(result.pks)})"
    for title, counts in (
        ("hardware_generation", result.by_generation),
        ("model", result.by_model),
    ):
        lines.append(f"  {title:<20} {'nodes':>6}")
        for name, count in sorted(counts.items()):
            lines.append(f"  {name:<20} {count:>6}")
    return "\n".join(lines)


def format_plan(planned: list[PlannedNode]) -> str:
    plan = ImportResult(
        Counter(node.body["hardware_generation"] for node in planned),
        Counter(node.model or CPU_ONLY_GENERATION for node in planned),
    )
    counts = format_report(plan, 0.0).split("\n", 1)[1]
    return f"would create {len(planned)} nodes\n{counts}"


def build_parser() -> argparse.ArgumentParser:
    known = ", ".join(
        f"{name}={spec.hardware_generation}:{spec.gpu_mem_bytes // 2**30}"
        for name, spec in KNOWN_MODELS.items()
    )
    parser = argparse.ArgumentParser(
        prog="nodes-import",
        description="Create one node per GPU and one per CPU-only machine of a"
        " machine list (columns sn, memory_mib, gpu, model) through the registry's"
        " HTTP API.",
        epilog=f"Built-in models: {known}. Send a bearer token by setting {TOKEN_ENV}.",
    )
    parser.add_argument("csv", type=Path, help="the machine list, a CSV file")
    parser.add_argument(
        "--url", default=DEFAULT_URL, help=f"base URL of the service ({DEFAULT_URL})"
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="MODEL=HARDWARE_ID:GPU_MEM_GIB",
        help="hardware ID and GPU memory in GiB of a GPU model of the file; required"
        " for every model without a built-in entry (the trace's G2 and G3), and"
        " overrides a built-in one",
    )
    for model in UNDISCLOSED_MODELS:
        name = model.lower()
        parser.add_argument(
            f"--{name}-generation",
            metavar="HARDWARE_ID",
            help=f"hardware ID of the trace's undisclosed model {model}; with"
            f" --{name}-gpu-mem-gib, the same as --model {model}=HARDWARE_ID:GIB",
        )
        parser.add_argument(
            f"--{name}-gpu-mem-gib",
            type=int,
            metavar="GIB",
            help=f"memory of one {model} GPU in GiB",
        )
    parser.add_argument(
        "--driver-version",
        required=True,
        help="driver_version of every node created",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"concurrent requests ({DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for each response (30)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="read and check the file, print the counts, and send nothing",
    )
    return parser


def model_options(args: argparse.Namespace) -> list[str]:
    """Return the --model texts, with --g2-* and --g3-* turned into the same form."""
    texts = list(args.model)
    for model in UNDISCLOSED_MODELS:
        name = model.lower()
        generation = getattr(args, f"{name}_generation")
        gib = getattr(args, f"{name}_gpu_mem_gib")
        if (generation is None) != (gib is None):
            raise ValueError(
                f"--{name}-generation and --{name}-gpu-mem-gib go together; give both"
            )
        if generation is not None:
            texts.append(f"{model}={generation}:{gib}")
    return texts


def main(argv: list[str] | None = None) -> int:
    """Run nodes-import; return the exit status (1 after a failed request)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.workers <= 64:
        parser.error(f"--workers must be from 1 to 64, got {args.workers}")
    if not args.timeout > 0:
        parser.error(f"--timeout must be a positive number, got {args.timeout}")

    models = dict(KNOWN_MODELS)
    try:
        models.update(parse_model_option(text) for text in model_options(args))
        planned = read_fleet(args.csv, models, args.driver_version)
    except (ValueError, FleetFileError) as exc:
        parser.error(str(exc))
    if args.dry_run:
        print(format_plan(planned))
        return 0

    client = RegistryClient(args.url, read_token(), args.timeout)
    try:
        return run_import(client, planned, args.workers)
    finally:
        client.close()


def run_import(client: RegistryClient, planned: list[PlannedNode], workers: int) -> int:
    """Check the catalog, create the nodes and print the report; return exit status."""
    started = time.monotonic()
    result = ImportResult()
    try:
        import_nodes(client, planned, workers, result)
    except (RequestFailed, KeyboardInterrupt) as exc:
        reason = str(exc) if isinstance(exc, RequestFailed) else "interrupted"
        print(f"nodes-import: error: {reason}", file=sys.stderr)
        if result.total:
            print(
                format_report(result, time.monotonic() - started)
                + f"\nthe import stopped early: these {result.total} of"
                f" {len(planned)} nodes were created and stay in the registry",
                file=sys.stderr,
            )
        return 1 if isinstance(exc, RequestFailed) else 130
    print(format_report(result, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
