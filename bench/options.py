"""Command-line options of python -m bench.run."""

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from bench.fleet import GIB, FleetParameters

REPOSITORY = Path(__file__).resolve().parent.parent
# The trace's folder: ALIBABA_TRACE_DIR, else ../shared/data/alibaba-gpu-v2023 beside
# the repository.
DEFAULT_DATA_DIR = Path(
    os.environ.get("ALIBABA_TRACE_DIR")
    or REPOSITORY.parent / "shared" / "data" / "alibaba-gpu-v2023"
)


# Fleet sizes as multiples of the trace's nodes: 6,522, 26,088 and 104,352 nodes for
# the Alibaba trace.
COPIES = (1, 4, 16)


@dataclass(frozen=True)
class Options:
    data_dir: Path
    fleet: FleetParameters
    copies: tuple[int, ...]
    rounds: int
    seconds: float
    list_seconds: float
    wrk_threads: int
    connections: int
    heartbeat_interval_seconds: float
    replay_start_at: int
    replay_speedup: float
    dashboards: int
    page_size: int
    profile_seconds: float
    output_dir: Path


def _gib(text: str) -> int:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of GiB, got {text}"
        )
    return int(value * GIB)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Benchmark the node registry against its ceilings and Datasette"
        " in one run, and print the table of docs/benchmarks.md.",
    )
    _add_fleet_options(parser)
    _add_measurement_options(parser)
    _add_scenario_options(parser)
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=REPOSITORY / "bench" / "results",
        help="where results.json, table.md, profiles and server logs go",
    )
    return parser


def _add_fleet_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="folder with openb_node_list_all_node.csv (default: %(default)s)",
    )
    trace = parser.add_argument_group(
        "fleet parameters", "what the trace does not disclose; required"
    )
    trace.add_argument("--g2-generation", required=True, help="hardware ID for G2")
    trace.add_argument(
        "--g2-gpu-mem-gib", type=_gib, required=True, help="GPU memory of G2, GiB"
    )
    trace.add_argument("--g3-generation", required=True, help="hardware ID for G3")
    trace.add_argument(
        "--g3-gpu-mem-gib", type=_gib, required=True, help="GPU memory of G3, GiB"
    )
    trace.add_argument(
        "--driver-version", required=True, help="driver_version of every node"
    )
    parser.add_argument(
        "--copy-generation",
        default="hopper",
        help="hardware ID of the copies that make the larger fleets; must differ from"
        " every generation of the trace (default: %(default)s)",
    )


def _add_measurement_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seconds",
        type=float,
        default=8,
        help="length of each throughput measurement (default: %(default)s)",
    )
    parser.add_argument(
        "--list-seconds",
        type=float,
        default=5,
        help="length of each list-latency measurement (default: %(default)s)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="turns that compared measurements take, each a share of the time"
        " (default: %(default)s)",
    )
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument(
        "--connections",
        type=int,
        default=16,
        help="open connections of each throughput measurement (default: %(default)s)",
    )
    parser.add_argument(
        "--profile-seconds",
        type=float,
        default=6,
        help="py-spy sampling time per profile; 0 skips profiling (default:"
        " %(default)s)",
    )


def _add_scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--heartbeat-interval",
        type=float,
        default=10,
        help="seconds between two heartbeats of one node in the dashboard scenario"
        " (default: %(default)s)",
    )
    parser.add_argument(
        "--replay-start-at",
        type=int,
        default=10_000_000,
        help="trace second where nodes-replay starts; most of the trace's jobs are"
        " scheduled between 10,000,000 and 12,900,000 (default: %(default)s)",
    )
    parser.add_argument(
        "--replay-speedup",
        type=float,
        default=10_000,
        help="trace seconds that nodes-replay plays per second, about 25 job"
        " placements a second from the default start (default: %(default)s)",
    )
    parser.add_argument("--dashboards", type=int, default=20)
    parser.add_argument("--page-size", type=int, default=500)


def parse(argv: list[str] | None = None) -> Options:
    args = parser().parse_args(argv)
    fleet = FleetParameters(
        g2_generation=args.g2_generation,
        g2_gpu_mem_bytes=args.g2_gpu_mem_gib,
        g3_generation=args.g3_generation,
        g3_gpu_mem_bytes=args.g3_gpu_mem_gib,
        driver_version=args.driver_version,
        copy_generation=args.copy_generation,
    )
    return Options(
        data_dir=args.data_dir,
        fleet=fleet,
        copies=COPIES,
        rounds=max(1, args.rounds),
        seconds=args.seconds,
        list_seconds=args.list_seconds,
        wrk_threads=args.wrk_threads,
        connections=args.connections,
        heartbeat_interval_seconds=args.heartbeat_interval,
        replay_start_at=args.replay_start_at,
        replay_speedup=args.replay_speedup,
        dashboards=args.dashboards,
        page_size=args.page_size,
        profile_seconds=args.profile_seconds,
        output_dir=args.output_dir,
    )
