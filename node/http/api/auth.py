"""Who calls the API: the bearer token read once into the account, its scopes and the
`Acting` value the domain checks (401 without a good token, 403 without the scope)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from federation.errors import Unauthorized
from node.http.state import NODE
from node.members import tokens
from node.members.accounts import AccountInfo
from node.moderators.roles import Acting


@dataclass(frozen=True, slots=True)
class Caller:
    """Whoever a good token speaks for, with what it lets them do."""

    account: AccountInfo
    acting: Acting
    scopes: frozenset[str]

    def grants(self, scope: str) -> bool:
        return tokens.grants(self.scopes, scope)


async def caller(request: web.Request, scope: str, *or_scopes: str) -> Caller:
    """The token's owner, if the token is good and carries `scope` (or one of `or_scopes`):
    401 and 403 otherwise."""
    node = request.app[NODE]
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("this needs a token: send the header Authorization: Bearer <token>")
    account, scopes = await tokens.authenticate(node, secret.strip())
    if not any(tokens.grants(scopes, s) for s in or_scopes):
        tokens.require_scope(scopes, scope)
    return Caller(account, Acting.member(node, account), scopes)


def has_token(request: web.Request) -> bool:
    return bool(request.headers.get("Authorization", "").strip())
