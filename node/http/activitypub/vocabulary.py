"""Cove's vocabulary at its namespace URL: Turtle or JSON-LD by content negotiation."""

from __future__ import annotations

from aiohttp import web

from federation.errors import NotAcceptable
from federation.media import LD_JSON, TURTLE, negotiate
from federation.vocabulary import vocabulary_serialized
from node.http.responses import text_response
from node.http.state import NODE

routes = web.RouteTableDef()

OFFERED = [TURTLE, LD_JSON, "application/json"]


@routes.get("/ns")
async def vocabulary(request: web.Request) -> web.Response:
    node = request.app[NODE]
    chosen = negotiate(request.headers.get("Accept"), OFFERED)
    if chosen is None:
        raise NotAcceptable(f"the vocabulary is served as {', '.join(OFFERED)}")
    rdf_format = "turtle" if chosen == TURTLE else "json-ld"
    response = text_response(vocabulary_serialized(node.urls.vocabulary(), rdf_format), chosen)
    response.headers["Vary"] = "Accept"
    return response
