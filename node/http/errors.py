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


def _answer(request: web.Request, error: CoveError) -> web.Response:
    if wants(request.headers.get("Accept")) is Representation.HTML:
        answer = render_error(request, error)
    else:
        answer = json_response({"error": error.reason}, status=error.status)
    # An error can depend on the Accept header and on who signed (authorized fetch).
    answer.headers["Vary"] = "Accept, Signature"
    return answer


def _with_status(error: CoveError, status: int) -> CoveError:
    error.status = status
    return error


def _said(request: web.Request, e: web.HTTPException) -> CoveError:
    """What aiohttp's own refusals say (no route, no such method...), as an error of ours."""
    if e.status == 404:
        said = CoveError("nothing here")
    elif e.status == 405:
        said = CoveError("method {method} is not allowed here", method=request.method)
    else:
        said = CoveError(e.reason)
    return _with_status(said, e.status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except CoveError as e:
        answer = _answer(request, e)
        wait = getattr(e, "retry_after", None)  # a sender over its rate (429)
        if isinstance(wait, int):
            answer.headers["Retry-After"] = str(wait)
        return answer
    except web.HTTPException as e:
        if e.status < 400:
            raise
        answer = _answer(request, _said(request, e))
        for header in ("Allow", "Retry-After"):
            if header in e.headers:
                answer.headers[header] = e.headers[header]
        return answer
    except Exception as e:
        if fault_of(e) is Fault.STORE:
            return _unavailable(request, e)
        log.exception("event=unhandled_error method=%s path=%s", request.method, request.path)
        return _answer(
            request, _with_status(CoveError("internal error; the node's log has the details"), 500)
        )


def _unavailable(request: web.Request, error: Exception) -> web.Response:
    # Not the request's fault and not for good: peers retry a 503 (Mastodon, Lemmy), so an
    # activity answered this is sent again. The tracker logs the outage once, not per request.
    request.app[OUTAGE].refused(error)
    answer = _answer(
        request,
        _with_status(CoveError("the node's database is not answering; try again shortly"), 503),
    )
    answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return answer
