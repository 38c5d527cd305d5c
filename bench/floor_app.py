"""The ceilings' Flask app, served by the same gunicorn configuration as the registry.

- GET /floor returns a small JSON object: the framework floor, what Flask and
  gunicorn cost per request with no work at all.
- POST /one-call/<pk> sends one heartbeat through NodeStore.heartbeat, which is one
  call of heartbeat.lua through redis-py, and returns 204: the one-call floor, about
  the most a heartbeat can do on this stack.

Both use the registry's own Redis client settings (REDIS_URL and the REDIS_*
variables), built per worker after gunicorn forks.
"""

from flask import Flask, Response, jsonify

from app import build_redis_client
from config import Settings
from nodes.hardware import HardwareCatalog
from nodes.keys import KeySpace
from nodes.store import NodeStore


def create_floor_app() -> Flask:
    settings = Settings.from_env()
    client = build_redis_client(settings)
    store = NodeStore(client, KeySpace(settings.key_prefix), HardwareCatalog([]))
    app = Flask(__name__)

    @app.get("/floor")
    def floor():
        return jsonify(status="ok")

    @app.post("/one-call/<int:pk>")
    def one_call(pk: int):
        store.heartbeat(pk)
        return Response(status=204)

    return app


app = create_floor_app()
