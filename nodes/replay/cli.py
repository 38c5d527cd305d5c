"""nodes-replay: replay the Alibaba GPU trace's jobs against a running registry."""

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from nodes.commands.fleet_csv import (
    KNOWN_MODELS,
    PlannedNode,
    parse_model_option,
    read_fleet,
)
from nodes.commands.import_fleet import DEFAULT_WORKERS, ImportResult, import_nodes
from nodes.commands.options import positive
from nodes.commands.registry_client import (
    DEFAULT_URL,
    TOKEN_ENV,
    RegistryClient,
    RequestFailed,
    read_token,
)
from nodes.replay.http import ReplayClient
from nodes.replay.runner import Outcome, Replay, ReplaySettings, list_fleet_pks
from nodes.replay.stats import Stats, format_report
from nodes.replay.trace import TraceError, build_events, read_jobs

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nodes-replay",
        description="Replay the jobs of an Alibaba GPU trace pod list"
        " (openb_pod_list_default.csv) against a registry that holds the trace's"
        " nodes, with every node sending heartbeats, and report the load.",
    )
    parser.add_argument("pod_list", type=Path, help="the trace's pod list CSV")
    parser.add_argument(
        "--url",
        default=os.environ.get("NODES_URL", DEFAULT_URL),
        help="registry base URL (default: $NODES_URL or %(default)s)",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="MODEL=HARDWARE_ID:GIB",
        help="hardware ID and GPU memory of a model the trace does"
        " not describe, such as G2=ampere:32; repeat per model",
    )
    parser.add_argument(
        "--speedup",
        type=positive,
        default=1000.0,
        help="trace seconds replayed per wall-clock second (default %(default)s)",
    )
    add_pace_options(parser)
    add_fleet_options(parser)
    return parser


def add_pace_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--start-at",
        type=int,
        default=0,
        metavar="TRACE_SECONDS",
        help="begin at this trace time; jobs running then start at once (default 0)",
    )
    parser.add_argument(
        "--duration",
        type=positive,
        default=60.0,
        metavar="SECONDS",
        help="stop after this many wall-clock seconds (default %(default)s)",
    )
    parser.add_argument(
        "--heartbeat-interval",
        type=positive,
        default=10.0,
        metavar="SECONDS",
        help="wall-clock seconds between two heartbeats of a node"
        " (default %(default)s)",
    )
    parser.add_argument(
        "--heartbeat-threads",
        type=int,
        default=4,
        help="threads sending heartbeats (default %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=positive,
        default=10.0,
        metavar="SECONDS",
        help="HTTP request timeout (default %(default)s)",
    )


def add_fleet_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--load-nodes",
        type=Path,
        metavar="NODE_LIST",
        help="first create the nodes of this machine list"
        " (openb_node_list_all_node.csv) through the API, as nodes-import does",
    )
    parser.add_argument(
        "--driver-version",
        help="driver_version of the loaded nodes; the trace has"
        " none, so --load-nodes requires it",
    )
    parser.add_argument(
        "--keep-jobs",
        action="store_true",
        help="leave the jobs still running at the end assigned",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        help=f"file holding the bearer token (default: ${TOKEN_ENV})",
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.load_nodes and not args.driver_version:
        parser.error("--load-nodes requires --driver-version, such as 535.104.05")
    if not 1 <= args.heartbeat_threads <= 64:
        parser.error(
            f"--heartbeat-threads must be from 1 to 64, got {args.heartbeat_threads}"
        )
    if args.start_at < 0:
        parser.error(f"--start-at must be >= 0, got {args.start_at}")
    return args


def check_models(jobs, models) -> None:
    named = {model for job in jobs for model in job.gpu_spec}
    missing = sorted(named - models.keys())
    if missing:
        raise TraceError(
            f"the pod list names GPU models that no --model option describes:"
            f" {', '.join(missing)}; add --model MODEL=HARDWARE_ID:GIB for each"
        )


@dataclass
class Inputs:
    models: dict
    jobs: list
    token: str | None
    planned: list[PlannedNode]


def read_inputs(args: argparse.Namespace) -> Inputs:
    """Read and check every input file; raises OSError or ValueError with a message."""
    models = dict(KNOWN_MODELS)
    models.update(parse_model_option(text) for text in args.model)
    jobs = read_jobs(args.pod_list)
    check_models(jobs, models)
    token = read_token(args.token_file)
    planned = (
        read_fleet(args.load_nodes, models, args.driver_version)
        if args.load_nodes
        else []
    )
    return Inputs(models, jobs, token, planned)


def report_header(args, pks, inputs: Inputs, events, outcome: Outcome) -> list[str]:
    span = events[-1].seconds - events[0].seconds if events else 0
    return [
        f"replay of {args.pod_list.name} against {args.url}",
        f"nodes: {len(pks)}, scheduled jobs: {len(inputs.jobs)}, events: {len(events)}",
        f"speedup {args.speedup:g}x from trace second {args.start_at},"
        f" duration limit {args.duration:g} s, heartbeat every"
        f" {args.heartbeat_interval:g} s per node",
        f"trace seconds covered: {outcome.trace_seconds_covered:.0f} of {span}",
        f"scheduler max lag behind the trace: {outcome.max_lag_seconds:.2f} s",
        "heartbeats skipped for being a whole interval late:"
        f" {outcome.heartbeats_skipped}",
        f"jobs running at the end: {len(outcome.running)}",
    ]


def load_fleet(args: argparse.Namespace, inputs: Inputs) -> None:
    """Create the planned nodes as nodes-import does; raises RuntimeError."""
    client = RegistryClient(args.url, inputs.token, args.timeout)
    result = ImportResult()
    try:
        import_nodes(client, inputs.planned, DEFAULT_WORKERS, result)
    except RequestFailed as exc:
        raise RuntimeError(
            f"loading the nodes failed after {result.total} of {len(inputs.planned)}"
            f" were created: {exc}"
        ) from None
    finally:
        client.close()
    log.info("created %d nodes", result.total)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        inputs = read_inputs(args)
    except (OSError, ValueError) as exc:
        print(f"nodes-replay: {exc}", file=sys.stderr)
        return 2
    events = build_events(inputs.jobs, args.start_at)
    # Loading and listing the fleet run before the replay, so the report leaves
    # their requests out.
    setup = ReplayClient(args.url, Stats(), inputs.token, args.timeout)
    try:
        if inputs.planned:
            load_fleet(args, inputs)
        pks = list_fleet_pks(setup)
    except RuntimeError as exc:
        print(f"nodes-replay: {exc}", file=sys.stderr)
        return 1
    stats = Stats()
    settings = ReplaySettings(
        args.speedup, args.duration, args.heartbeat_interval, args.heartbeat_threads
    )
    client = ReplayClient(args.url, stats, inputs.token, args.timeout)
    replay = Replay(client, events, inputs.models, settings)
    log.info("replaying %d events over %d nodes", len(events), len(pks))
    outcome = replay.run(pks)
    header = report_header(args, pks, inputs, events, outcome)
    print(format_report(stats, outcome.wall_seconds, header))
    if not args.keep_jobs:
        cleanup = ReplayClient(args.url, Stats(), inputs.token, args.timeout)
        released = replay.release_running(cleanup)
        log.info("released the jobs of %d nodes", released)
    return 0 if stats.error_count == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
