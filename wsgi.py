"""The WSGI entry point that gunicorn and the Procfile serve."""

import logging

from app import create_app

logging.basicConfig(
    level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
)
app = create_app()
