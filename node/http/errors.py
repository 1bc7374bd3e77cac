"""The one place where errors become HTTP answers: a reason for 4xx, a 503 with Retry-After
while the database is away, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from federation.errors import CoveError
from federation.media import Representation, wants
from node.faults import Fault, fault_of
from node.http.pages.render import render_error
from node.http.responses import json_response
from node.http.state import OUTAGE
from node.outage import RETRY_AFTER_SECONDS

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _answer(request: web.Request, status: int, reason: str) -> web.Response:
    if wants(request.headers.get("Accept")) is Representation.HTML:
        answer = render_error(request, status, reason)
    else:
        answer = json_response({"error": reason}, status=status)
    # An error can depend on the Accept header and on who signed (authorized fetch).
    answer.headers["Vary"] = "Accept, Signature"
    return answer


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except CoveError as e:
        answer = _answer(request, e.status, e.reason)
        wait = getattr(e, "retry_after", None)  # a sender over its rate (429)
        if isinstance(wait, int):
            answer.headers["Retry-After"] = str(wait)
        return answer
    except web.HTTPException as e:
        if e.status < 400:
            raise
        reason = e.reason if e.status != 404 else "nothing here"
        if e.status == 405:
            reason = f"method {request.method} is not allowed here"
        answer = _answer(request, e.status, reason)
        for header in ("Allow", "Retry-After"):
            if header in e.headers:
                answer.headers[header] = e.headers[header]
        return answer
    except Exception as e:
        if fault_of(e) is Fault.STORE:
            return _unavailable(request, e)
        log.exception("event=unhandled_error method=%s path=%s", request.method, request.path)
        return _answer(request, 500, "internal error; the node's log has the details")


def _unavailable(request: web.Request, error: Exception) -> web.Response:
    # Not the request's fault and not for good: peers retry a 503 (Mastodon, Lemmy), so an
    # activity answered this is sent again. The tracker logs the outage once, not per request.
    request.app[OUTAGE].refused(error)
    answer = _answer(request, 503, "the node's database is not answering; try again shortly")
    answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return answer
