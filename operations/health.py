"""Health endpoints for a PaaS or an orchestrator, reachable without a token.

Liveness returns 200 while the process serves requests and touches nothing else.
Readiness returns 200 when Redis replies to PING within the client's socket timeout,
else 503. Neither returns more: no version, no Redis address, no error text.
"""

import logging

import redis
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from nodes.error_body import error_response
from nodes.serialize import json_response

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2

blp = Blueprint(
    "health",
    __name__,
    url_prefix="/health",
    description="Liveness and readiness probes; no token needed.",
)


@blp.route("/live")
class Liveness(MethodView):
    @blp.response(200)
    def get(self):
        """Return 200 while the process serves requests"""
        return json_response({"status": "ok"})


@blp.route("/ready")
class Readiness(MethodView):
    @blp.response(200)
    @blp.alt_response(503, description="Redis did not reply to PING in time.")
    def get(self):
        """Return 200 when Redis replies to PING, else 503"""
        client = current_app.extensions["node_registry"].store.client
        try:
            client.ping()
        except redis.RedisError as exc:
            log.warning("readiness check failed: %s", type(exc).__name__)
            return error_response(
                503,
                "not ready: the node store did not answer; retry after"
                f" {RETRY_AFTER_SECONDS} seconds",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return json_response({"status": "ok"})
