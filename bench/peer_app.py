"""The peer: one Datasette process serving the fleet database read-only.

This starts Datasette as ``datasette serve --immutable`` does, but through uvicorn
with its access log off, as the registry's gunicorn runs without one, so neither
side pays for a log line per request.

Usage: python -m bench.peer_app DATABASE PORT
"""

import sys

import uvicorn
from datasette.app import Datasette
from datasette.cli import run_sync

# max_returned_rows is raised above the largest fleet so a table URL can return every
# row, and the SQL time limit so the full list of that fleet is not cut off.
SETTINGS = {
    "max_returned_rows": 200_000,
    "sql_time_limit_ms": 60_000,
    "default_page_size": 100,
}


def main(database: str, port: int) -> None:
    datasette = Datasette(immutables=[database], settings=SETTINGS)
    run_sync(datasette.invoke_startup)
    uvicorn.run(
        datasette.app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        workers=1,
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
