"""Remove nodes that have been lost for longer than a given age.

A node is lost once its last_seen is older than the lost grace period
(REGISTRY_LOST_AFTER_SECONDS). The reaper reads candidates from the last_seen index in
batches of a bounded size. It deletes each through the delete script with the cutoff
as a condition, so a node that sends a heartbeat between the read and the delete
stays.
"""

import logging
from dataclasses import dataclass

from nodes.store import NodeStore

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class ReapResult:
    """The outcome of one reaper run."""

    removed: int
    # The last_seen cutoff in milliseconds since the Unix epoch: nodes seen before
    # it were removed.
    cutoff_ms: int
    # True when max_nodes stopped the run while lost nodes older than the cutoff
    # remained.
    more: bool


def lost_cutoff_ms(
    store: NodeStore, lost_after_seconds: float, lost_for_seconds: float
) -> int:
    """Return the last_seen below which a node has been lost for lost_for_seconds."""
    if lost_for_seconds < 0:
        raise ValueError(f"lost_for_seconds must be >= 0, got {lost_for_seconds}")
    return store.now_ms() - round((lost_after_seconds + lost_for_seconds) * 1000)


def reap_lost(
    store: NodeStore,
    lost_after_seconds: float,
    lost_for_seconds: float,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_nodes: int | None = None,
) -> ReapResult:
    """Delete nodes lost for longer than lost_for_seconds, in batches.

    A node qualifies when now - last_seen > lost_after_seconds + lost_for_seconds,
    so lost_for_seconds=0 removes every lost node. Stops after max_nodes removals
    when given. Each batch costs one range read and one pipelined round trip.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    cutoff_ms = lost_cutoff_ms(store, lost_after_seconds, lost_for_seconds)
    removed = 0
    while max_nodes is None or removed < max_nodes:
        limit = (
            batch_size if max_nodes is None else min(batch_size, max_nodes - removed)
        )
        pks = store.pks_seen_before(cutoff_ms, limit)
        if not pks:
            break
        batch_removed = store.delete_unseen(pks, cutoff_ms)
        removed += batch_removed
        log.info(
            "reaper removed %d of %d lost nodes in a batch (pks %d..%d)",
            batch_removed,
            len(pks),
            min(pks),
            max(pks),
        )
        if batch_removed == 0:
            # Every candidate was refreshed or missing since the read; an index
            # entry without a hash would otherwise be read again forever.
            log.warning(
                "reaper stopped: no candidate of the last batch could be removed;"
                " the consistency check lists index entries without a node"
            )
            break
    more = bool(store.pks_seen_before(cutoff_ms, 1))
    log.info(
        "reaper removed %d nodes seen before %d ms%s",
        removed,
        cutoff_ms,
        "; more remain" if more else "",
    )
    return ReapResult(removed, cutoff_ms, more)
