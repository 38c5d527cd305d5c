"""nodes-agent: register this machine's GPUs (or the CPU-only machine) and beat."""

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from nodes.agent.client import RegistryClient, RegistryRejected
from nodes.agent.detect import DetectionError, detect_nodes
from nodes.agent.run import Agent, JobSource, Timing
from nodes.commands.options import positive
from nodes.commands.registry_client import DEFAULT_URL, TOKEN_ENV, read_token
from nodes.hardware import HardwareCatalog
from nodes.schemas import MAX_DRIVER_VERSION_LENGTH

log = logging.getLogger(__name__)

DEFAULT_STATE = "nodes-agent-state.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="nodes-agent",
        description="Register this machine in the node registry (one node per NVIDIA"
        " GPU, or one CPU-only node) and send heartbeats until SIGTERM.",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("NODES_AGENT_URL", DEFAULT_URL),
        help="registry base URL (default: $NODES_AGENT_URL or %(default)s)",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=Path(os.environ.get("NODES_AGENT_STATE", DEFAULT_STATE)),
        help="JSON file that keeps the pk of each GPU across restarts"
        " (default: $NODES_AGENT_STATE or ./%(default)s)",
    )
    parser.add_argument(
        "--interval",
        type=positive,
        default=10.0,
        metavar="SECONDS",
        help="heartbeat interval (default %(default)s)",
    )
    parser.add_argument(
        "--jitter",
        type=float,
        default=0.1,
        metavar="FRACTION",
        help="random spread of each interval, 0 to 0.5 (default %(default)s)",
    )
    parser.add_argument(
        "--backoff-cap",
        type=positive,
        default=60.0,
        metavar="SECONDS",
        help="maximum wait between retries while the registry is"
        " unreachable (default %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=positive,
        default=5.0,
        metavar="SECONDS",
        help="HTTP request timeout (default %(default)s)",
    )
    jobs = parser.add_mutually_exclusive_group()
    jobs.add_argument("--job-id", type=int, help="report this current_job_id")
    jobs.add_argument(
        "--job-file",
        type=Path,
        help="file holding the current job id, read at every beat;"
        " empty or missing means no job",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        help=f"file holding the bearer token (default: ${TOKEN_ENV})",
    )
    parser.add_argument(
        "--hardware-generation",
        help="hardware ID for every GPU, for GPUs the catalog does"
        " not map from their compute capability",
    )
    parser.add_argument(
        "--driver-version",
        help="driver_version to report for every node instead of the detected one;"
        " a CPU-only machine reports its OS kernel release (such as 6.1.0-18-amd64)"
        " unless this is given",
    )
    parser.add_argument(
        "--once", action="store_true", help="register or refresh, beat once, and exit"
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    args = parser.parse_args(argv)
    if not 0 <= args.jitter <= 0.5:
        parser.error(f"--jitter must be from 0 to 0.5, got {args.jitter}")
    if args.job_id is not None and not 1 <= args.job_id <= 2**53 - 1:
        parser.error(f"--job-id must be from 1 to 2**53-1, got {args.job_id}")
    version = args.driver_version
    if version is not None and (
        not 1 <= len(version) <= MAX_DRIVER_VERSION_LENGTH
        or not version.isprintable()
        or version.strip() != version
    ):
        parser.error(
            f"--driver-version must be 1 to {MAX_DRIVER_VERSION_LENGTH} printable"
            f" characters with no leading or trailing space, got {version!r}"
        )
    return args


def machine_nodes(args: argparse.Namespace) -> list[dict]:
    """Detect this machine's nodes and apply --driver-version; raise DetectionError."""
    nodes = detect_nodes(HardwareCatalog(), args.hardware_generation)
    if args.driver_version is not None:
        for node in nodes:
            node["driver_version"] = args.driver_version
    return nodes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        token = read_token(args.token_file)
    except OSError as exc:
        log.error("cannot read the token file %s: %s", args.token_file, exc.strerror)
        return 2
    try:
        nodes = machine_nodes(args)
    except DetectionError as exc:
        log.error("%s", exc)
        return 2
    stop = threading.Event()

    def request_stop(signum, frame) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    agent = Agent(
        RegistryClient(args.url, token, args.timeout),
        nodes,
        args.state_file,
        JobSource(args.job_id, args.job_file),
        Timing(args.interval, args.jitter, backoff_cap_seconds=args.backoff_cap),
        stop,
    )
    log.info(
        "registry %s, state file %s, token %s",
        args.url,
        args.state_file,
        "set" if token else "not set",
    )
    try:
        ok = agent.run(once=args.once)
    except RegistryRejected as exc:
        log.error("the registry rejected a request: %s", exc)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
