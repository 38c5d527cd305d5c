"""HTTP views of the node resource: thin wrappers around NodeStore and filtering."""

from http import HTTPStatus

from flask import Response, current_app, g
from flask.views import MethodView
from flask_smorest import Api, Blueprint, abort
from flask_smorest.error_handler import ErrorSchema
from webargs import core

from filtering.errors import SpecError
from filtering.execute import NEXT_CURSOR_HEADER, execute
from filtering.openapi import FILTER_SPEC_SCHEMA, NEXT_CURSOR_HEADER_SCHEMA
from filtering.spec import parse_spec
from nodes.errors import CpuOnlyRuleError
from nodes.heartbeat_body import (
    HEARTBEAT_BODY_SCHEMA,
    HeartbeatBodyError,
    parse_heartbeat_body,
)
from nodes.request_body import STRICT_JSON_PARSER
from nodes.schemas import (
    HardwareGenerationSchema,
    NodeCreateSchema,
    NodePatchSchema,
    NodeReplaceSchema,
    NodeSchema,
)
from nodes.serialize import (
    json_response,
    json_text_response,
    node_to_json,
)
from nodes.store import UNCHANGED

blp = Blueprint(
    "nodes",
    __name__,
    url_prefix="/v1",
    description="Worker nodes: one per GPU of a machine, one per CPU-only machine.",
)
blp.ARGUMENTS_PARSER = STRICT_JSON_PARSER

# The "pk" converter is nodes.pk_converter.PkConverter, which create_app registers.
PK_RULE = "<pk:pk>"


def register_components(api: Api) -> None:
    """Add the OpenAPI components that the views refer to by name."""
    api.spec.components.schema("FilterSpec", FILTER_SPEC_SCHEMA)


def documents_errors(*codes: int):
    """Document the error responses of a view, besides its 422 for invalid input."""

    def decorator(view):
        for code in codes:
            if code == 503:
                view = blp.alt_response(
                    503,
                    schema=ErrorSchema,
                    description="Redis is unreachable; retry after Retry-After",
                    headers={
                        "Retry-After": {
                            "description": "Seconds to wait before a retry",
                            "schema": {"type": "integer"},
                        }
                    },
                )(view)
            else:
                view = blp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view

    return decorator


def registry():
    return current_app.extensions["node_registry"]


def node_response(node: dict, status: int = 200):
    reg = registry()
    return json_response(node_to_json(node, reg.liveness, reg.store.now_ms()), status)


def no_content() -> Response:
    """Return an empty 204, built here so flask-smorest need not serialize ""."""
    return Response(status=204, mimetype="application/json")


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
    @blp.response(
        200,
        NodeSchema(many=True),
        headers={NEXT_CURSOR_HEADER: NEXT_CURSOR_HEADER_SCHEMA},
    )
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @documents_errors(400, 413, 415, 503)
    def post(self):
        """List nodes that match a filter specification (docs/filtering.md)

        The body is a filter specification (filter, sort, limit, cursor); none
        lists every node in pk order. With limit, the Next-Cursor header names the
        next page. An invalid specification is a 422 naming the offending path.
        """
        reg = registry()
        body = {} if g.json_body is core.missing else g.json_body
        now_ms = reg.store.now_ms()
        try:
            spec = parse_spec(body, reg.filter_context(), now_ms)
        except SpecError as exc:
            abort(422, message=str(exc), errors={"json": exc.as_errors()})
        result = execute(reg.store, spec)
        text = result.json_text(reg.liveness, now_ms)
        headers = {}
        if result.next_cursor is not None:
            headers[NEXT_CURSOR_HEADER] = result.next_cursor
        return json_text_response(text, headers=headers)


@blp.route("/nodes/create")
class NodeCreate(MethodView):
    @blp.arguments(NodeCreateSchema)
    @blp.response(201, NodeSchema)
    @documents_errors(400, 413, 415, 503)
    def post(self, fields):
        """Register a node; current_job_id starts as null"""
        return node_response(registry().store.create(fields), 201)


@blp.route(f"/nodes/{PK_RULE}")
class NodeItem(MethodView):
    @blp.response(200, NodeSchema)
    @documents_errors(404, 503)
    def get(self, pk):
        """Get one node"""
        node = registry().store.get(pk)
        if node is None:
            not_found(pk)
        return node_response(node)

    @blp.arguments(NodeReplaceSchema)
    @blp.response(200, NodeSchema)
    @documents_errors(400, 404, 413, 415, 503)
    def put(self, fields, pk):
        """Replace the five client fields; current_job_id stays as it was"""
        node = registry().store.replace(pk, fields)
        if node is None:
            not_found(pk)
        return node_response(node)

    @blp.arguments(NodePatchSchema, required=False)
    @blp.response(200, NodeSchema)
    @documents_errors(400, 404, 413, 415, 503)
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
    @documents_errors(404, 503)
    def delete(self, pk):
        """Delete a node; its pk is never handed out again"""
        if not registry().store.delete(pk):
            not_found(pk)
        return no_content()


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
        return no_content()


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
