"""Read every node in pk order, chunk by chunk, with Redis and Python overlapping.

Pks are unique integers no larger than the pk counter, so the pk-index score range
[a, a + FETCH_CHUNK - 1] contains at most FETCH_CHUNK nodes and the ranges up to the
counter cover every node. fetch_range.lua reads one range's index entries and
hashes in one call. The call for a range needs no reply of earlier ones, so it is
sent on one connection as soon as the previous reply arrives. Redis then reads
chunk k + 1 while Python formats chunk k.

Each call is atomic, so a node is returned whole or not at all, and the ranges are
disjoint, so no node comes twice. A node created during the list is returned if
its range has not been read yet; the last range is open upwards so that it also
takes the nodes created after the counter was read.

The list view builds the whole body before it answers instead of streaming it:
an error after the first byte of a streamed body could not become a 503.
"""

import hashlib
import logging
from collections.abc import Iterator

import redis

from nodes.errors import DamagedNodeError
from nodes.store import FETCH_CHUNK, SCRIPTS_DIR, NodeStore, decode_line

log = logging.getLogger(__name__)

# The list reads by pk range only while the counter is at most SPARSE_LIMIT times
# the node count (plus one chunk), so it makes at most about SPARSE_LIMIT times the
# calls of a dense fleet. After many deletes most ranges would be empty calls, so
# the list then walks the index by keyset instead, one call per FETCH_CHUNK nodes.
# There a call is sent only after the previous reply is read, so Redis and Python
# take turns instead of overlapping.
SPARSE_LIMIT = 2

SCRIPT = (SCRIPTS_DIR / "fetch_range.lua").read_text()
SHA = hashlib.sha1(SCRIPT.encode()).hexdigest()


def iter_replies(store: NodeStore) -> Iterator[str]:
    """Yield every node in pk order as lines of fetch_range.lua's reply.

    Each yielded string contains at most FETCH_CHUNK lines, maybe none.
    decode_reply turns it into node dicts, serialize.lines_to_json_text into JSON.
    """
    keys = store.keys
    pipe = store.client.pipeline(transaction=False)
    pipe.get(keys.pk_counter)
    pipe.zcard(keys.pk_index)
    counter, count = pipe.execute()
    top = int(counter or 0)
    if count == 0:
        return
    if top > SPARSE_LIMIT * count + FETCH_CHUNK:
        log.debug("pk counter %s, %s nodes: listing by keyset walk", top, count)
        yield from _keyset(store, "-inf")
        return
    lows = list(range(1, top + 1, FETCH_CHUNK)) or [1]
    ranges = [(low, low + FETCH_CHUNK - 1) for low in lows[:-1]]
    ranges.append((lows[-1], "+inf"))
    after = None
    for lines, more in _pipelined(store, ranges):
        yield lines
        after = more
    if after is not None:
        # The open last range was full, because nodes were created after the
        # counter was read: read on from its last pk.
        yield from _keyset(store, f"({after}")


def _keyset(store: NodeStore, low: str) -> Iterator[str]:
    """Yield the node lines from pk low upwards, one fetch_range.lua call a chunk."""
    while True:
        lines, after = _split_marker(_call(store, (low, "+inf")))
        if lines:
            yield lines
        if after is None:
            return
        low = f"({after}"


def _call(store: NodeStore, pk_range: tuple) -> str:
    keys = store.keys
    return store.client.eval(
        SCRIPT, 1, keys.pk_index, keys.node_stem, *pk_range, FETCH_CHUNK
    )


def _pipelined(store: NodeStore, ranges: list) -> Iterator[tuple]:
    """Read the ranges in order on one connection, the next call in flight.

    Each call is sent as soon as the previous reply arrives, before that reply is
    decoded. Calls sent together gain nothing: Redis ran all seven calls of a
    6,522-node list that arrived in one write before it wrote the first reply.
    SCRIPT LOAD goes out with the first call, so EVALSHA finds the script even
    after a restart or SCRIPT FLUSH, and after a NOSCRIPT reply (a flush during
    the list) that range is read again with EVAL. A reply left unread, after an
    error or when the caller stops early, would reach the connection's next user,
    so the connection is then closed before it goes back to the pool.
    """
    keys = store.keys
    head = ("EVALSHA", SHA, 1, keys.pk_index, keys.node_stem)
    pool = store.client.connection_pool
    connection = pool.get_connection()
    unread = 0  # replies sent for but not read yet
    try:
        first = (*head, *ranges[0], FETCH_CHUNK)
        connection.send_packed_command(
            connection.pack_commands([("SCRIPT", "LOAD", SCRIPT), first])
        )
        unread = 2
        connection.read_response()  # SCRIPT LOAD's reply: the same SHA
        unread -= 1
        for position, pk_range in enumerate(ranges):
            try:
                reply = connection.read_response()
            except redis.exceptions.NoScriptError:
                unread -= 1
                log.warning("fetch_range.lua was flushed during a list; using EVAL")
                reply = _call(store, pk_range)
            else:
                unread -= 1
            if position + 1 < len(ranges):
                command = (*head, *ranges[position + 1], FETCH_CHUNK)
                connection.send_packed_command(connection.pack_command(*command))
                unread += 1
            yield _split_marker(reply)
    finally:
        if unread:
            connection.disconnect()
        pool.release(connection)


def _split_marker(reply: str) -> tuple[str, int | None]:
    """Return a fetch_range.lua reply's node lines and the pk to read on after.

    A node line starts with its pk's digits, so only the marker starts with "+".
    """
    head, _newline, last = reply.rpartition("\n")
    if last.startswith("+"):
        return head, int(last[1:])
    return reply, None


def decode_checked(line: str) -> dict | None:
    """Return the node of one line that iter_replies yields, None if damaged.

    A damaged node is logged and left out of the list, as fetch_many does.
    """
    pk, _tab, fields = line.partition("\t")
    try:
        return decode_line(int(pk), fields)
    except DamagedNodeError as exc:
        log.error("%s; left out of the list", exc)
        return None


def decode_reply(lines: str) -> list[dict]:
    """Return the nodes of the node lines that iter_replies yields."""
    nodes = []
    for line in lines.split("\n") if lines else ():
        node = decode_checked(line)
        if node is not None:
            nodes.append(node)
    return nodes
