"""POST /v1/admin/reap: removing lost nodes over HTTP, for admins."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields

from nodes.reaper import DEFAULT_BATCH_SIZE, reap_lost
from nodes.request_body import STRICT_JSON_PARSER
from nodes.schemas import StrictInteger
from nodes.serialize import format_timestamp_ms, json_response

admin_blp = Blueprint(
    "admin",
    __name__,
    url_prefix="/v1/admin",
    description="Operator actions on the registry.",
)
admin_blp.ARGUMENTS_PARSER = STRICT_JSON_PARSER

# Maximum nodes one request removes, so a request finishes within the gunicorn
# timeout on a large backlog. The response reports whether more remain.
MAX_NODES_PER_REQUEST = 100_000
DEFAULT_NODES_PER_REQUEST = 10_000
# 100 years: a larger age cannot match any node and only risks float overflow.
MAX_LOST_FOR_SECONDS = 100 * 365 * 86_400


class NonNegativeSeconds(fields.Float):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(
                f"{attr} must be a number of seconds, got {value!r}"
                f" ({type(value).__name__})"
            )
        if not 0 <= value <= MAX_LOST_FOR_SECONDS:
            raise ValidationError(
                f"{attr} must be from 0 to {MAX_LOST_FOR_SECONDS} seconds, got {value}"
            )
        return float(value)


class ReapRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {
        "type": 'the body must be a JSON object such as {"lost_for_seconds": 3600}',
        "unknown": "unknown field; the fields are lost_for_seconds and max_nodes",
    }

    lost_for_seconds = NonNegativeSeconds(
        required=True,
        error_messages={"required": "missing: this field is required"},
        metadata={
            "description": "Remove nodes lost for longer than this; 0 removes every"
            " lost node.",
            "minimum": 0,
            "maximum": MAX_LOST_FOR_SECONDS,
        },
    )
    max_nodes = StrictInteger(
        minimum=1,
        maximum=MAX_NODES_PER_REQUEST,
        load_default=DEFAULT_NODES_PER_REQUEST,
        metadata={"description": "Stop after removing this many nodes."},
    )


class ReapResponseSchema(Schema):
    removed = fields.Integer(metadata={"description": "Nodes removed."})
    last_seen_before = fields.String(
        metadata={"description": "The cutoff: removed nodes were last seen before it."}
    )
    more = fields.Boolean(
        metadata={"description": "True when max_nodes stopped the run early."}
    )


@admin_blp.route("/reap")
class Reap(MethodView):
    @admin_blp.arguments(ReapRequestSchema)
    @admin_blp.response(200, ReapResponseSchema)
    def post(self, body):
        """Remove nodes lost for longer than lost_for_seconds, in bounded batches"""
        reg = current_app.extensions["node_registry"]
        result = reap_lost(
            reg.store,
            reg.settings.lost_after_seconds,
            body["lost_for_seconds"],
            DEFAULT_BATCH_SIZE,
            body["max_nodes"],
        )
        return json_response(
            {
                "removed": result.removed,
                "last_seen_before": format_timestamp_ms(result.cutoff_ms),
                "more": result.more,
            }
        )
