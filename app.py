"""create_app: the Flask app, its OpenAPI document, error handlers and Redis client."""

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis
from flask import Flask, Response, current_app, request, send_from_directory
from flask_smorest import Api
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)

from access import guard
from access.openapi import AccessPlugin
from access.tokens import TokenTable
from config import Settings
from nodes.error_body import cap_errors, error_response, summarize_errors
from nodes.errors import StoreCorruptError
from nodes.hardware import HardwareCatalog
from nodes.keys import KeySpace
from nodes.pk_converter import MAX_PK, PkConverter, pk_parameter_schema
from nodes.request_body import parse_request_body
from nodes.serialize import Liveness
from nodes.store import NodeStore
from nodes.views import blp as nodes_blueprint
from nodes.views import hardware_blp, register_components
from operations.consistency_views import blp as consistency_blueprint
from operations.health import blp as health_blueprint
from operations.reap_views import admin_blp

log = logging.getLogger(__name__)

API_DESCRIPTION = """\
The registry of a compute cluster's worker nodes: one node per GPU of a machine and
one per CPU-only machine. Workers register and send heartbeats; schedulers and
dashboards list nodes with filter specifications, documented in docs/filtering.md
(fields, operators, sort, and keyset pages whose cursor is the Next-Cursor header).
Hardware IDs are documented in docs/hardware.md and listed by GET /v1/hardware.
"""

# Seconds a client should wait before retrying while Redis is unreachable.
RETRY_AFTER_SECONDS = 2


@dataclass
class Registry:
    """The settings, catalog, store and liveness rule that the views use.

    Stored in app.extensions["node_registry"].
    """

    settings: Settings
    catalog: HardwareCatalog
    store: NodeStore
    liveness: Liveness

    def filter_context(self) -> "Registry":
        return self


def build_redis_client(settings: Settings) -> redis.Redis:
    """Return a client for REDIS_URL, or an embedded fakeredis store when it is unset.

    redis-py connects lazily and its pool reconnects after a fork, so a client built
    in each gunicorn worker never shares a socket with another process.
    """
    if settings.redis_url is None:
        import fakeredis

        log.warning(
            "REDIS_URL is not set: using an embedded in-process store (fakeredis)."
            " Its data lives only as long as this process and is not shared with"
            " other processes; set REDIS_URL for anything but a trial run."
        )
        return fakeredis.FakeRedis(decode_responses=True)
    # Every connection setting is passed explicitly, because redis-py's defaults
    # changed between releases (8.x: 5 s timeouts, 10 retries, RESP3).
    # NOTE: a retry re-sends a command whose reply was lost, so with REDIS_RETRIES
    # above 0 a create whose connection broke after Redis ran it makes a second node.
    retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), settings.redis_retries)
    tcp_options = {}
    if not settings.redis_url.startswith("unix://"):
        # TCP keepalive notices a peer that vanished; a Unix socket has no such option.
        tcp_options["socket_keepalive"] = True
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        # Seconds a request waits for a free connection of the pool.
        timeout=settings.redis_socket_timeout_seconds,
        socket_timeout=settings.redis_socket_timeout_seconds,
        socket_connect_timeout=settings.redis_connect_timeout_seconds,
        health_check_interval=settings.redis_health_check_interval_seconds,
        retry=retry,
        # RESP2, as in redis-py before 8.0 and in fakeredis, whatever the version.
        protocol=2,
        client_name="node-registry",
        decode_responses=True,
        **tcp_options,
    )
    log.info(
        "using Redis at %s (pool of %d, socket timeout %.2fs, %d retries)",
        pool.connection_kwargs.get("host") or pool.connection_kwargs.get("path"),
        settings.redis_max_connections,
        settings.redis_socket_timeout_seconds,
        settings.redis_retries,
    )
    return redis.Redis(connection_pool=pool)


def register_error_handlers(app: Flask) -> None:
    """Return every error in flask-smorest's shape {code, status, message, errors}."""

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = cap_errors(data.get("errors") or data.get("messages") or {})
        message = data.get("message")
        if not message and errors:
            message = summarize_errors(errors)
        headers = {
            name: value
            for name, value in error.get_headers()
            if name.lower() != "content-type"
        }
        headers.update(data.get("headers") or {})
        return error_response(
            error.code, message or describe_http_error(error), errors, headers
        )

    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def handle_redis_unreachable(error: redis.RedisError):
        log.warning("Redis unreachable: %s", error)
        return _unavailable(f"the node store is unreachable ({type(error).__name__})")

    @app.errorhandler(redis.ResponseError)
    def handle_redis_response_error(error: redis.ResponseError):
        text = str(error)
        code = _transient_error_code(error)
        if code is not None:
            log.warning("Redis cannot take the command now: %s %s", code, text)
            return _unavailable(f"the node store cannot take writes now ({code})")
        log.error("Redis rejected a command: %s", text)
        return _server_error("the node store rejected a command")

    @app.errorhandler(StoreCorruptError)
    def handle_corrupt_store(error: StoreCorruptError):
        log.error("%s %s failed: %s", request.method, request.path, error)
        return _server_error(str(error))


def describe_http_error(error: HTTPException) -> str:
    """Return a message for an HTTP error raised without one of ours: route errors."""
    if isinstance(error, NotFound):
        message = f"no route matches {request.method} {request.path}"
        if request.path.startswith("/v1/nodes/"):
            message += (
                f"; a node pk is an integer from 1 to {MAX_PK}, written in ASCII"
                " digits without a leading zero"
            )
        return message + "; /openapi.json lists the routes"
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or ()))
        return (
            f"method {request.method} is not allowed on {request.path}; use one of"
            f" {allowed}"
        )
    if isinstance(error, RequestEntityTooLarge):
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return (
            f"the body is larger than {limit} bytes, the limit set by"
            " REGISTRY_MAX_BODY_BYTES; send a smaller body"
        )
    return error.description or error.name


# Redis error codes that pass once the server has recovered or failed over.
TRANSIENT_ERROR_CODES = frozenset(
    {"READONLY", "LOADING", "OOM", "MASTERDOWN", "BUSY", "TRYAGAIN", "CLUSTERDOWN"}
)
TRANSIENT_ERROR_CLASSES = {
    redis.exceptions.ReadOnlyError: "READONLY",
    redis.exceptions.OutOfMemoryError: "OOM",
    redis.exceptions.TryAgainError: "TRYAGAIN",
}


def _transient_error_code(error: redis.ResponseError) -> str | None:
    """Return the code of an error that passes once Redis recovers, else None.

    redis-py removes the code from the message of the errors it maps to a class
    (READONLY becomes ReadOnlyError, OOM becomes OutOfMemoryError), so the class is
    checked first and the message's first word after it.
    """
    for error_class, code in TRANSIENT_ERROR_CLASSES.items():
        if isinstance(error, error_class):
            return code
    words = str(error).split(maxsplit=1)
    if words and words[0] in TRANSIENT_ERROR_CODES:
        return words[0]
    return None


def _unavailable(message: str):
    return error_response(
        503,
        f"{message}; retry after {RETRY_AFTER_SECONDS} seconds",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _server_error(message: str):
    return error_response(500, message)


def drop_content_type_of_no_content(response: Response) -> Response:
    """Remove Content-Type from a 204, which has no body to describe."""
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
    return response


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app from the environment, or from ``config`` when given.

    ``config`` takes the environment variable names of the README, plus
    ``REDIS_CLIENT`` (a redis.Redis to use instead of REDIS_URL) and ``CLOCK`` (a
    function returning seconds since the Unix epoch), which tests use.
    """
    config = dict(config) if config is not None else None
    extras = {
        name: config.pop(name)
        for name in ("REDIS_CLIENT", "CLOCK")
        if config and name in config
    }
    settings = Settings.from_env(config)
    catalog = HardwareCatalog.from_extra_json(settings.hardware_extra)
    client = extras.get("REDIS_CLIENT") or build_redis_client(settings)
    clock: Callable[[], float] = extras.get("CLOCK") or time.time
    store = NodeStore(client, KeySpace(settings.key_prefix), catalog, clock)

    app = Flask(__name__)
    # Before any route is added: rules read these when they are bound to the map.
    app.url_map.converters["pk"] = PkConverter
    # No redirects: werkzeug would respond to "//" or a missing trailing slash with
    # an HTML 308 that bypasses the error handlers. Such paths get the JSON 404.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = True
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="Node registry",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        # The page loads its assets from this service and uses no online validator.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
    )
    app.extensions["node_registry"] = Registry(
        settings,
        catalog,
        store,
        Liveness(settings.stale_after_seconds, settings.lost_after_seconds),
    )
    # The token check runs first, so a request without a valid token gets a 401
    # before its body is read.
    guard.init_app(
        app, TokenTable.from_config(settings.tokens_text, settings.tokens_file_text)
    )
    app.before_request(parse_request_body)
    app.after_request(drop_content_type_of_no_content)

    api = Api(
        app,
        spec_kwargs={
            "info": {"description": API_DESCRIPTION},
            "extra_plugins": [AccessPlugin()],
        },
    )
    api.register_converter(PkConverter, pk_parameter_schema)
    for blueprint in (
        nodes_blueprint,
        hardware_blp,
        health_blueprint,
        consistency_blueprint,
        admin_blp,
    ):
        api.register_blueprint(blueprint)
    register_components(api)
    register_error_handlers(app)

    @app.route("/docs/assets/<path:filename>")
    def swagger_ui_assets(filename: str):
        return send_from_directory(swagger_ui_path, filename)

    log.info("node registry ready (key prefix %r)", settings.key_prefix)
    return app
