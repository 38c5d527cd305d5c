"""The body of POST /v1/nodes/{pk}/heartbeat, checked without marshmallow.

Workers send this request every few seconds, so its body is checked by hand: the
checks and messages match the current_job_id field of NodePatchSchema.
"""

from webargs import core

from nodes.error_body import cap_errors
from nodes.json_numbers import OverlongNumber
from nodes.schemas import MAX_JOB_ID
from nodes.store import UNCHANGED

# The OpenAPI description of the body.
HEARTBEAT_BODY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "current_job_id": {
            "type": "integer",
            "nullable": True,
            "minimum": 1,
            "maximum": MAX_JOB_ID,
            "description": "The job the node runs, or null when idle; leave it out"
            " to keep the stored value.",
        }
    },
}


class HeartbeatBodyError(ValueError):
    """An invalid heartbeat body; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        errors = cap_errors({"json": errors})["json"]
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def parse_heartbeat_body(body: object) -> object:
    """Return the current_job_id of a heartbeat body, UNCHANGED when it has none.

    ``body`` is the parsed JSON, or webargs' ``missing`` when the request has no
    body. Raises HeartbeatBodyError naming each invalid field.
    """
    if body is core.missing:
        return UNCHANGED
    if not isinstance(body, dict):
        raise HeartbeatBodyError(
            {
                "_schema": [
                    "the body must be a JSON object such as"
                    f' {{"current_job_id": 42}}, got {type(body).__name__}'
                ]
            }
        )
    unknown = sorted(name for name in body if name != "current_job_id")
    if unknown:
        raise HeartbeatBodyError(
            {
                name: ["unknown field; a heartbeat body takes only current_job_id"]
                for name in unknown
            }
        )
    if "current_job_id" not in body:
        return UNCHANGED
    value = body["current_job_id"]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        got = (
            str(value)
            if isinstance(value, OverlongNumber)
            else f"{value!r} ({type(value).__name__})"
        )
        raise HeartbeatBodyError(
            {
                "current_job_id": [
                    f"current_job_id must be an integer from 1 to {MAX_JOB_ID} or"
                    f" null, got {got}"
                ]
            }
        )
    if not 1 <= value <= MAX_JOB_ID:
        raise HeartbeatBodyError(
            {
                "current_job_id": [
                    f"current_job_id must be an integer from 1 to {MAX_JOB_ID} or"
                    f" null, got {value}"
                ]
            }
        )
    return value
