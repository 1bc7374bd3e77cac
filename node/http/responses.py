"""Response helpers: ActivityPub documents with the exact media types peers accept, JRD, errors."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from federation.media import ACTIVITY_JSON, LD_JSON, LD_JSON_AS2, negotiate


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def activity_response(
    request: web.Request, document: dict[str, Any], *, vary: str = "Accept"
) -> web.Response:
    """An ActivityStreams document. A client that asked for ld+json gets ld+json with the AS2
    profile; everyone else gets `application/activity+json; charset=utf-8`, both of which
    Mastodon and Lemmy accept (federation-wire.md pitfall 1)."""
    return activity_body_response(request, encode(document), vary=vary)


def activity_body_response(
    request: web.Request, body: bytes, *, vary: str = "Accept"
) -> web.Response:
    """`activity_response` of a document encoded already (a cached one)."""
    preferred = negotiate(request.headers.get("Accept"), [ACTIVITY_JSON, LD_JSON])
    content_type = LD_JSON_AS2 if preferred == LD_JSON else f"{ACTIVITY_JSON}; charset=utf-8"
    return web.Response(body=body, headers={"Content-Type": content_type, "Vary": vary})


def json_response(
    document: Any, content_type: str = "application/json", *, status: int = 200
) -> web.Response:
    headers = {"Content-Type": content_type}
    return web.Response(body=encode(document), status=status, headers=headers)


def text_response(text: str, content_type: str) -> web.Response:
    headers = {"Content-Type": f"{content_type}; charset=utf-8"}
    return web.Response(body=text.encode("utf-8"), headers=headers)
