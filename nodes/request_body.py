"""Strict JSON request bodies for every view.

Before a view runs, ``parse_request_body`` checks the Content-Type and parses the body
once: a body that is not JSON is a 415, malformed JSON (including NaN, Infinity,
invalid UTF-8 and a key named twice in one object) is a 400, and a body with a
Content-Encoding is a 415. A number too long to parse becomes an OverlongNumber, which
the field that receives it rejects. flask-smorest's argument parser then reads the
parsed body through ``StrictJsonParser``.
"""

import json

from flask import Request, abort, current_app, g, request
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import RequestEntityTooLarge

from nodes.json_numbers import MAX_FLOAT_CHARACTERS, MAX_NUMBER_DIGITS, OverlongNumber

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _parse_int(text: str) -> int | OverlongNumber:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        return OverlongNumber(len(text))
    return int(text)


def _parse_float(text: str) -> float | OverlongNumber:
    if len(text) > MAX_FLOAT_CHARACTERS:
        return OverlongNumber(len(text))
    return float(text)


def _reject_duplicate_keys(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(
                    f"the JSON body names the key {key!r} twice in one object; send"
                    " each key once"
                )
            seen.add(key)
    return obj


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON; send a finite number")


# Built once: json.loads with hooks would build a new decoder per body.
_DECODER = json.JSONDecoder(
    parse_int=_parse_int,
    parse_float=_parse_float,
    parse_constant=_reject_constant,
    object_pairs_hook=_reject_duplicate_keys,
)


def loads(data: bytes):
    """Parse a JSON body strictly; raise ValueError with a message for the client."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"the body is not valid UTF-8: {exc.reason} at byte {exc.start}"
        ) from None
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError("the body nests JSON arrays or objects too deeply") from None


def _has_body(req: Request) -> bool:
    return (
        bool(req.content_length)
        or "chunked" in req.headers.get("Transfer-Encoding", "").lower()
    )


def _reject_truncated_stream(req: Request, size: int) -> None:
    """Raise 413 when a body without Content-Length went past the size limit.

    NOTE: werkzeug 3.1 stops reading such a (chunked) body at MAX_CONTENT_LENGTH and
    returns the first bytes without an error, so one more byte is read here.
    """
    limit = req.max_content_length
    if req.content_length is not None or limit is None or size < limit:
        return
    if req.environ["wsgi.input"].read(1):
        abort(413)


def parse_request_body() -> None:
    """Parse the request body into ``g.json_body`` (missing when there is none)."""
    # One lookup of the request behind the context-local proxy, which every
    # attribute access through ``request`` would repeat.
    req = request._get_current_object()
    g.json_body = core.missing
    if req.method not in BODY_METHODS or not _has_body(req):
        return
    encoding = req.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        abort(
            415,
            description=f"Content-Encoding {encoding[:40]!r} is not supported; send the"
            " body uncompressed, without a Content-Encoding header",
        )
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    too_large = (
        f"the body is larger than {limit} bytes, the limit of this service; send"
        " a smaller body (the operator sets the limit with REGISTRY_MAX_BODY_BYTES)"
    )
    content_length = req.content_length
    if content_length is not None and content_length > limit:
        abort(413, description=too_large)
    try:
        data = req.get_data(cache=True)
    except RequestEntityTooLarge:
        abort(413, description=too_large)
    if not data:
        return
    _reject_truncated_stream(req, len(data))
    mimetype = req.mimetype
    if not core.is_json(mimetype):
        abort(
            415,
            description=(
                f"the body's Content-Type is {mimetype!r}, not JSON;"
                " send the body with Content-Type: application/json"
                if mimetype
                else "the request has a body but no Content-Type; send it with"
                " Content-Type: application/json"
            ),
        )
    try:
        g.json_body = loads(data)
    except ValueError as exc:
        abort(400, description=str(exc))


class StrictJsonParser(FlaskParser):
    """Reads the body that parse_request_body already parsed."""

    def _raw_load_json(self, req):
        return g.get("json_body", core.missing)


# flask-smorest's Blueprint.arguments reads ARGUMENTS_PARSER when it decorates a view,
# so each blueprint module sets it to this parser before its first view.
STRICT_JSON_PARSER = StrictJsonParser()
