"""nodes-check: the consistency check of a registry, run by an operator.

Reads the same environment as the service (REDIS_URL, REGISTRY_KEY_PREFIX and the
Redis timeouts). Exit status: 0 when nothing disagrees (or everything found was
repaired), 1 when problems remain, 2 when the check could not run.
"""

import argparse
import json
import logging
import sys

import redis

from nodes.consistency import BATCH_SIZE, check
from operations.redis_store import CommandConfigError, command_settings, open_store

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nodes-check",
        description=(
            "Check that every node hash of the registry at REDIS_URL agrees with"
            " every index entry, reading in bounded batches."
        ),
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="rebuild index entries from the node hashes and remove entries whose"
        " node hash is gone; node hashes themselves are never changed",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=BATCH_SIZE,
        help=f"keys read per SCAN or ZSCAN round trip (default {BATCH_SIZE})",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the report as one JSON object"
    )
    return parser


def print_report(report, as_json: bool, repair: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    print(
        f"checked {report.nodes} nodes and {report.index_entries} index entries;"
        f" pk counter {report.pk_counter}, largest pk {report.max_pk}"
    )
    for line in report.problems:
        print(f"  {line}")
    if report.problem_count > len(report.problems):
        print(f"  ... and {report.problem_count - len(report.problems)} more")
    print(f"{report.problem_count} problems found")
    if repair:
        print(f"{report.repaired_count} problems repaired")
    if report.unrepairable_nodes:
        print(
            f"{report.unrepairable_nodes} nodes have damaged hashes (a field missing,"
            " a value that is not an integer, or a hardware ID outside the catalog)."
            " The service leaves a node with a missing field or a non-integer out of"
            " lists and answers GET of it with a 500. Read each with HGETALL, then"
            " restore its fields from a backup, add its hardware ID to"
            " REGISTRY_HARDWARE_EXTRA, or remove the key with DEL"
        )


def main(argv: list[str] | None = None, env: dict | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if args.batch_size < 1:
        print("nodes-check: --batch-size must be at least 1", file=sys.stderr)
        return 2
    try:
        settings = command_settings("nodes-check", env)
    except CommandConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        report = check(open_store(settings), args.batch_size, repair=args.repair)
    except redis.RedisError as exc:
        print(f"nodes-check: Redis failed: {exc}", file=sys.stderr)
        return 2
    print_report(report, args.json, args.repair)
    return 0 if report.remaining_count == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
