"""The few error types every layer raises, and those an outbound request ends with; the HTTP
middleware and the CLI map them once."""

from __future__ import annotations


class CoveError(Exception):
    """Base of every expected failure: carries a short reason meant for the person who caused it.

    The reason is written with its details as named fields ("no group named {name}", name=...):
    `reason` is the English sentence (logs, the CLI, the API), `wording` and `details` let the
    web pages say it in the visitor's language (the wording is the catalogue's key)."""

    status = 400

    def __init__(self, reason: str, **details: object) -> None:
        said = reason.format(**details) if details else reason
        super().__init__(said)
        self.reason = said
        self.wording = reason
        self.details = details


class Invalid(CoveError):
    """The input is malformed or breaks a rule (bad name, bad config value, bad query)."""

    status = 400


class UnsupportedType(Invalid):
    """A document of a type Cove does not read (an inbox acknowledges and drops such
    activities, as Mastodon does, rather than refuse them)."""


class NotFound(CoveError):
    """The thing asked for does not exist here (or is not visible to the asker)."""

    status = 404


class Unauthorized(CoveError):
    """The request is not authenticated (missing or bad signature or token)."""

    status = 401


class Refused(CoveError):
    """Authenticated, but policy says no."""

    status = 403


class Conflict(CoveError):
    """The request clashes with what exists already (a name that is taken)."""

    status = 409


class NotAcceptable(CoveError):
    """No representation of the resource matches the request's Accept header."""

    status = 406


class FetchError(CoveError):
    """A remote request failed or returned something we will not use; reason says which."""

    status = 502

    def __init__(self, reason: str, http_status: int | None = None, **details: object) -> None:
        super().__init__(reason, **details)
        self.http_status = http_status


class Unanswered(FetchError):
    """The server gave no answer: no connection, a dropped one, or none in time. Unlike an
    answer we will not use, this may pass: asking again later can help."""


class AddressRefused(FetchError):
    """The target resolves to an address this node must not reach (private, loopback...)."""


class PolicyRefused(FetchError):
    """The node's domain policy keeps it from contacting that server (suspended, or not
    allowed): no request was made, and retrying will not help."""

    status = 403
