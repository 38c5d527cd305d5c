"""Drop candidates by their index scores before their hashes are fetched."""

from collections.abc import Callable

from filtering.evaluate import OTHER_GENERATION
from filtering.plan import Plan
from nodes.store import NodeStore

# Indexed fields that every node has, so a missing score means a deleted node.
NEVER_NULL = ("cpu_mem", "gpu_mem", "last_seen")


def drop_by_index(
    store: NodeStore,
    plan: Plan,
    decides: Callable[[dict], bool | None],
    entries: list,
    known_field: str | None,
) -> list:
    """Drop entries that their other index scores rule out: one round trip."""
    keys = store.keys
    # bytes skip redis-py's per-argument type checks and int formatting.
    members = [b"%d" % pk for pk, _score in entries]
    pipe = store.client.pipeline(transaction=False)
    for field in plan.lookups:
        pipe.zmscore(keys.field_index(field), members)
    for hardware_id in plan.generations:
        pipe.zmscore(keys.generation_index(hardware_id), members)
    replies = pipe.execute()
    field_columns = list(zip(plan.lookups, replies, strict=False))
    generation_columns = list(
        zip(plan.generations, replies[len(plan.lookups) :], strict=True)
    )
    kept = []
    for position, (pk, score) in enumerate(entries):
        known = _known_scores(position, field_columns, generation_columns)
        if known is None:
            continue  # deleted since its pk was read
        known["pk"] = pk
        if known_field is not None:
            known[known_field] = score
        if decides(known) is not False:
            kept.append((pk, score))
    return kept


def _known_scores(
    position: int, field_columns: list, generation_columns: list
) -> dict | None:
    """Map fields to one candidate's index scores; None if the node was deleted."""
    known = {}
    for field, reply in field_columns:
        value = reply[position]
        if value is not None:
            known[field] = int(value)
        elif field in NEVER_NULL:
            return None
        else:
            known[field] = None
    if generation_columns:
        generation = OTHER_GENERATION
        for hardware_id, reply in generation_columns:
            if reply[position] is not None:
                generation = hardware_id
                break
        known["hardware_generation"] = generation
    return known
