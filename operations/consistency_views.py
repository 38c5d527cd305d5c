"""POST /v1/admin/consistency-check: the consistency check over HTTP, for admins.

The check reads the whole registry in batches, so on a large one it runs for a while;
nodes-check runs the same check from a shell without an HTTP timeout.
"""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields

from nodes.consistency import BATCH_SIZE, check
from nodes.request_body import STRICT_JSON_PARSER
from nodes.serialize import json_response

MAX_BATCH_SIZE = 10_000

blp = Blueprint(
    "consistency",
    __name__,
    url_prefix="/v1/admin",
    description="Operator endpoints; they need an admin token.",
)
blp.ARGUMENTS_PARSER = STRICT_JSON_PARSER


class StrictBoolean(fields.Boolean):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError(f"{attr} must be true or false, got {value!r}")
        return value


class StrictBatchSize(fields.Integer):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(
                f"{attr} must be an integer from 1 to {MAX_BATCH_SIZE}, got {value!r}"
            )
        if not 1 <= value <= MAX_BATCH_SIZE:
            raise ValidationError(
                f"{attr} must be an integer from 1 to {MAX_BATCH_SIZE}, got {value}"
            )
        return value


class ConsistencyCheckSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {
        "type": 'the body must be a JSON object such as {"repair": true}',
        "unknown": "unknown field; the fields are repair and batch_size",
    }

    repair = StrictBoolean(
        load_default=False,
        metadata={"description": "Rebuild the indexes from the node hashes."},
    )
    batch_size = StrictBatchSize(
        load_default=BATCH_SIZE,
        metadata={
            "description": "Keys read per round trip.",
            "maximum": MAX_BATCH_SIZE,
        },
    )


@blp.route("/consistency-check")
class ConsistencyCheck(MethodView):
    @blp.arguments(ConsistencyCheckSchema)
    @blp.response(200)
    def post(self, options):
        """Check that node hashes and index entries agree; optionally repair"""
        store = current_app.extensions["node_registry"].store
        report = check(store, options["batch_size"], repair=options["repair"])
        return json_response(report.to_dict())
