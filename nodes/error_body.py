"""The JSON body of every error response: {code, status, message, errors}.

Every error the service returns goes through ``error_response``, so no body lacks a
key. ``errors`` maps a location ("json") to a dict of field names and their messages.
It lists at most MAX_LISTED_FIELDS fields, so a body with thousands of invalid fields
gets a short response.
"""

from flask import Response
from werkzeug.http import HTTP_STATUS_CODES

from nodes.serialize import json_response

# Invalid fields listed per location; the rest are counted under MORE_KEY.
MAX_LISTED_FIELDS = 20
MORE_KEY = "_more"


def cap_errors(errors: dict) -> dict:
    """Keep the first MAX_LISTED_FIELDS fields of each location by name, count the rest.

    The fields left out are counted in one entry under MORE_KEY, such as
    {"_more": ["and 3980 more invalid fields"]}.
    """
    capped = {}
    for location, location_errors in errors.items():
        if not isinstance(location_errors, dict):
            capped[location] = location_errors
            continue
        if len(location_errors) <= MAX_LISTED_FIELDS or MORE_KEY in location_errors:
            # Short enough, or capped already.
            capped[location] = location_errors
            continue
        # Sorted, because marshmallow reports unknown fields in no fixed order.
        listed = dict(sorted(location_errors.items())[:MAX_LISTED_FIELDS])
        hidden = len(location_errors) - MAX_LISTED_FIELDS
        listed[MORE_KEY] = [f"and {hidden} more invalid fields"]
        capped[location] = listed
    return capped


def summarize_errors(errors: dict) -> str:
    """Join validation errors into one line: 'invalid request: index: ...'.

    Pass errors through cap_errors first, so the line stays short.
    """
    parts = []
    for location_errors in errors.values():
        if not isinstance(location_errors, dict):
            continue
        for field, messages in location_errors.items():
            text = (
                "; ".join(str(m) for m in messages)
                if isinstance(messages, list)
                else str(messages)
            )
            parts.append(text if field in ("_schema", MORE_KEY) else f"{field}: {text}")
    return "invalid request: " + " | ".join(parts) if parts else "invalid request"


def error_response(
    code: int,
    message: str,
    errors: dict | None = None,
    headers: dict | None = None,
) -> Response:
    """Build a JSON error response with the keys code, status, message and errors."""
    payload = {
        "code": code,
        "status": HTTP_STATUS_CODES.get(code, "Unknown Error"),
        "message": message,
        "errors": cap_errors(errors or {}),
    }
    return json_response(payload, code, headers)
