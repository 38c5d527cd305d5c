"""nodes-reap: remove nodes lost for longer than a given age, straight from Redis.

Reads REDIS_URL, REGISTRY_KEY_PREFIX and REGISTRY_LOST_AFTER_SECONDS like the service,
so it acts on the registry that the service with the same environment serves.
"""

import argparse
import logging
import sys

from nodes.reaper import DEFAULT_BATCH_SIZE, lost_cutoff_ms, reap_lost
from nodes.serialize import format_timestamp_ms
from operations.redis_store import CommandConfigError, command_settings, open_store

log = logging.getLogger(__name__)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="nodes-reap",
        description="Remove nodes that have been lost (no write for longer than"
        " REGISTRY_LOST_AFTER_SECONDS) for more than --lost-for seconds.",
    )
    parser.add_argument(
        "--lost-for",
        type=float,
        required=True,
        metavar="SECONDS",
        help="remove nodes lost for longer than this many seconds; 0 removes every"
        " lost node",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"nodes read and deleted per round trip (default {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument(
        "--max-nodes",
        type=int,
        default=None,
        help="stop after removing this many nodes (default: no limit)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="only count the nodes that would be removed",
    )
    args = parser.parse_args(argv)
    if args.lost_for < 0:
        parser.error(f"--lost-for must be >= 0 seconds, got {args.lost_for}")
    if args.batch_size < 1:
        parser.error(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.max_nodes is not None and args.max_nodes < 1:
        parser.error(f"--max-nodes must be at least 1, got {args.max_nodes}")
    return args


def main(argv: list[str] | None = None, env: dict | None = None) -> int:
    """Run nodes-reap; ``env`` replaces the process environment (for tests)."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = command_settings("nodes-reap", env)
    except CommandConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    store = open_store(settings)
    lost_after = settings.lost_after_seconds
    if args.dry_run:
        cutoff_ms = lost_cutoff_ms(store, lost_after, args.lost_for)
        count = store.count_seen_before(cutoff_ms)
        print(
            f"would remove {count} nodes last seen before"
            f" {format_timestamp_ms(cutoff_ms)}"
        )
        return 0
    result = reap_lost(
        store, lost_after, args.lost_for, args.batch_size, args.max_nodes
    )
    print(
        f"removed {result.removed} nodes last seen before"
        f" {format_timestamp_ms(result.cutoff_ms)}"
        + ("; more remain, run again" if result.more else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
