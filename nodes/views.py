"""HTTP views of the node resource: thin wrappers around NodeStore and filtering."""

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from webargs import core

from filtering.errors import SpecError
from filtering.execute import execute
from filtering.spec import parse_spec
from nodes.errors import CpuOnlyRuleError
from nodes.heartbeat_body import (
    HEARTBEAT_BODY_SCHEMA,
    HeartbeatBodyError,
    parse_heartbeat_body,
)
from nodes.schemas import (
    HardwareGenerationSchema,
    NodeCreateSchema,
    NodePatchSchema,
    NodeReplaceSchema,
    NodeSchema,
)
from nodes.serialize import json_response, node_to_json
from nodes.store import UNCHANGED

blp = Blueprint(
    "nodes",
    __name__,
    url_prefix="/v1",
    description="Worker nodes: one per GPU of a machine, one per CPU-only machine.",
)

PK_RULE = "<int(min=1, max=9007199254740991):pk>"


def registry():
    return current_app.extensions["node_registry"]


def node_response(node: dict, status: int = 200):
    reg = registry()
    return json_response(node_to_json(node, reg.liveness, reg.store.now_ms()), status)


def not_found(pk: int):
    abort(404, message=f"node {pk} not found; POST /v1/nodes/list lists existing nodes")


@blp.route("/nodes/list")
class NodeList(MethodView):
    @blp.doc(
        requestBody={
            "required": False,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/FilterSpec"}
                }
            },
        }
    )
    @blp.response(200, NodeSchema(many=True))
    def post(self):
        """List nodes that match a filter specification (docs/filtering.md)"""
        reg = registry()
        body = {} if g.json_body is core.missing else g.json_body
        try:
            spec = parse_spec(body, reg.filter_context())
        except SpecError as exc:
            abort(422, message=str(exc), errors={"json": exc.as_errors()})
        now_ms = reg.store.now_ms()
        result = execute(reg.store, spec, now_ms)
        payload = [node_to_json(node, reg.liveness, now_ms) for node in result.nodes]
        headers = {}
        if result.next_cursor is not None:
            headers["Next-Cursor"] = result.next_cursor
        return json_response(payload, headers=headers)


@blp.route("/nodes/create")
class NodeCreate(MethodView):
    @blp.arguments(NodeCreateSchema)
    @blp.response(201, NodeSchema)
    def post(self, fields):
        """Register a node; current_job_id starts as null"""
        return node_response(registry().store.create(fields), 201)


@blp.route(f"/nodes/{PK_RULE}")
class NodeItem(MethodView):
    @blp.response(200, NodeSchema)
    def get(self, pk):
        """Get one node"""
        node = registry().store.get(pk)
        if node is None:
            not_found(pk)
        return node_response(node)

    @blp.arguments(NodeReplaceSchema)
    @blp.response(200, NodeSchema)
    def put(self, fields, pk):
        """Replace the five client fields; current_job_id stays as it was"""
        node = registry().store.replace(pk, fields)
        if node is None:
            not_found(pk)
        return node_response(node)

    @blp.arguments(NodePatchSchema)
    @blp.response(200, NodeSchema)
    def patch(self, fields, pk):
        """Change some fields; an empty body {} is a heartbeat"""
        current_job_id = fields.pop("current_job_id", UNCHANGED)
        store = registry().store
        if not fields:
            # No client field: write only last_seen and the job, as a heartbeat does.
            node = store.heartbeat_returning_node(pk, current_job_id)
            if node is None:
                not_found(pk)
            return node_response(node)
        try:
            node = store.patch(pk, fields, current_job_id)
        except CpuOnlyRuleError as exc:
            abort(
                422,
                message=str(exc),
                errors={"json": {"hardware_generation": [str(exc)]}},
            )
        if node is None:
            not_found(pk)
        return node_response(node)

    @blp.response(204)
    def delete(self, pk):
        """Delete a node; its pk is never handed out again"""
        if not registry().store.delete(pk):
            not_found(pk)
        return "", 204


@blp.route(f"/nodes/{PK_RULE}/heartbeat")
class NodeHeartbeat(MethodView):
    @blp.doc(
        requestBody={
            "required": False,
            "content": {"application/json": {"schema": HEARTBEAT_BODY_SCHEMA}},
        }
    )
    @blp.response(204)
    def post(self, pk):
        """Refresh last_seen and optionally set current_job_id; the cheapest write"""
        try:
            current_job_id = parse_heartbeat_body(g.json_body)
        except HeartbeatBodyError as exc:
            abort(422, message=f"invalid request: {exc}", errors={"json": exc.errors})
        if not registry().store.heartbeat(pk, current_job_id):
            not_found(pk)
        return "", 204


hardware_blp = Blueprint(
    "hardware", __name__, url_prefix="/v1", description="The hardware ID catalog."
)


@hardware_blp.route("/hardware")
class HardwareList(MethodView):
    @hardware_blp.response(200, HardwareGenerationSchema(many=True))
    def get(self):
        """List the hardware IDs that hardware_generation accepts (docs/hardware.md)"""
        catalog = registry().catalog
        return json_response(
            [generation.to_dict() for generation in catalog.by_id.values()]
        )
