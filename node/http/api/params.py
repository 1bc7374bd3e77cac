"""Reading the API's parameters: a JSON object, a form (Mastodon clients send forms, with
`name[]` for lists) or the query string, and the path's names and ids, each read once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from federation import jsontext
from federation.errors import Invalid, NotFound
from moderation import bans as ban_policy
from node.store.tables import MAX_ID

TRUE = frozenset({"true", "1", "on", "yes"})
FALSE = frozenset({"false", "0", "off", "no"})


class Fields:
    """A request's parameters from a JSON object, a form (Mastodon clients send forms, with
    `name[]` for lists) or the query string, each read once into the type it must have."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    @classmethod
    def of_pairs(cls, pairs: Iterable[tuple[str, Any]]) -> Fields:
        values: dict[str, Any] = {}
        for key, value in pairs:
            if not isinstance(value, str):
                raise Invalid(f"{key} must be text, not a file")
            check_text([key, value])
            listed, name = key.endswith("[]"), key.removesuffix("[]")
            if name in values and isinstance(values[name], list) != listed:
                # `x=1&x[]=2`: which the client meant cannot be told (schemathesis sent it).
                raise Invalid(f"the field {name!r} is given both as one value and as a list")
            if listed:
                values.setdefault(name, []).append(value)
            else:
                values[name] = value
        return cls(values)

    def text(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise Invalid(f"{name} must be a string")
        return value

    def optional(self, name: str) -> str | None:
        value = self.text(name)
        return value or None

    def required(self, name: str) -> str:
        value = self.text(name).strip()
        if not value:
            raise Invalid(f"give {name}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
            return value.strip().lower() in TRUE
        raise Invalid(f"{name} must be true or false")

    def texts(self, name: str) -> list[str]:
        value = self.values.get(name)
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise Invalid(f"{name} must be a list of strings")
        return items

    def numbers(self, name: str) -> tuple[int, ...]:
        value = self.values.get(name)
        items = [value] if isinstance(value, str | int) else (value or [])
        if not isinstance(items, list):
            raise Invalid(f"{name} must be a list of numbers")
        return tuple(number(name, i) for i in items)

    def limit(self, name: str, default: int, most: int) -> int:
        value = self.values.get(name)
        if value is None:
            return default
        found = number(name, value)
        if not 1 <= found <= most:
            raise Invalid(f"{name} must be between 1 and {most}")
        return found


def number(name: str, value: object) -> int:
    """A whole number that fits an id column, from JSON or from text."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    raise Invalid(f"{name} must hold whole numbers up to {MAX_ID}")


def check_text(document: object) -> None:
    try:
        jsontext.check_text(document)
    except jsontext.UnstorableText as error:
        raise Invalid(str(error)) from None


async def body(request: web.Request) -> Fields:
    if not request.body_exists:
        return Fields({})
    if request.content_type == "application/json":
        try:
            data = json.loads(await request.read())
        except (ValueError, RecursionError):
            raise Invalid("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise Invalid("the body must be a JSON object")
        check_text(data)
        return Fields(data)
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.post()
        except ValueError:  # a multipart body without its boundary, say, or not UTF-8
            raise Invalid("the form cannot be read") from None
        return Fields.of_pairs(form.items())
    raise Invalid("send the body as JSON or as a form")


def query(request: web.Request) -> Fields:
    return Fields.of_pairs(request.query.items())


def group_name(request: web.Request) -> str:
    name = request.match_info["name"]
    try:
        check_text(name)
    except Invalid:
        raise NotFound("no such group") from None
    return name


def path_id(request: web.Request, what: str) -> int:
    text = request.match_info["id"]
    try:
        return number("id", text)
    except Invalid:
        raise NotFound(f"no {what} {text}") from None


def url(field: str, value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise Invalid(f"{field} must be an http or https URL")
    return value


def expiry(fields: Fields, now: datetime) -> datetime | None:
    """A ban's end, given as a moment (RFC 3339) or as a length from now (7d)."""
    moment, length = fields.optional("expires_at"), fields.optional("duration")
    if moment and length:
        raise Invalid("give expires_at or duration, not both")
    if length:
        return now + ban_policy.parse_duration(length)
    if not moment:
        return None
    try:
        return datetime.fromisoformat(moment.strip())
    except ValueError:
        raise Invalid("expires_at must be an RFC 3339 date-time") from None


def gives_expiry(fields: Fields) -> bool:
    return bool(fields.optional("expires_at") or fields.optional("duration"))
