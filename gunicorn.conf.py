"""gunicorn settings for the node registry, read from the environment.

PORT and WEB_CONCURRENCY follow the PaaS convention. Without REDIS_URL the service
uses an in-process store, so it runs one worker: several would each have their own.
"""

import logging
import os


def _positive_int(name: str, default: int) -> int:
    """Read a positive integer from the environment; exit with a message if invalid."""
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        # SystemExit stops gunicorn with this line, instead of a traceback.
        raise SystemExit(f"{name} must be a positive integer, got {raw!r}")
    return value


# A PaaS routes traffic to PORT on every interface; `make run` sets HOST=127.0.0.1.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = _positive_int("WEB_CONCURRENCY", 2)
threads = _positive_int("WEB_THREADS", 4)
# A request waits on Redis for at most REDIS_SOCKET_TIMEOUT (2 s by default), so 30 s
# is only reached by a stuck worker.
timeout = 30
graceful_timeout = 20
keepalive = 5
# The app, and so its Redis client, is built in each worker after the fork.
preload_app = False
# gunicorn 25.1+ opens a control socket at one fixed path per user. Several servers
# on one host (tests, benchmarks) would fight over it, and the service needs none.
control_socket_disable = True
# gunicorn rejects a request beyond these limits itself, with an HTML 414, 431 or 400
# that never reaches the app (README, "Errors"). The API's longest request line is
# under 100 bytes and it reads no query string, so 2048 bytes leave ample room.
# 100 header fields of up to 8190 bytes each are gunicorn's defaults, kept explicit.
limit_request_line = 2048
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

if not os.environ.get("REDIS_URL") and workers != 1:
    logging.getLogger("gunicorn.error").warning(
        "REDIS_URL is not set, so the embedded store is used and WEB_CONCURRENCY=%s is"
        " reduced to 1 worker: each worker would have a store of its own",
        workers,
    )
    workers = 1
