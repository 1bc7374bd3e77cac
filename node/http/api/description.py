"""The API's own description: the OpenAPI document schemas/openapi/cove-api.json, served with
this node's URL as its server."""

from __future__ import annotations

from aiohttp import web

import schemas
from node.http.api.paths import COVE, routes_on
from node.http.responses import json_response
from node.http.state import NODE

routes = web.RouteTableDef()
_route = routes_on(routes)
# Read once: the document is part of the code it describes.
DESCRIPTION = schemas.openapi_document()


@_route("GET", f"{COVE}/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return json_response(DESCRIPTION | {"servers": [{"url": request.app[NODE].urls.base}]})
