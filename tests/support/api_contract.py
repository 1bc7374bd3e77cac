"""The API's contract, checked on every answer the tests see: each response from /api/ must
be an operation of schemas/openapi/cove-api.json, with a documented status and a body that
validates against that status's schema (OpenAPI 3.1 schemas are JSON Schema 2020-12)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import ClientSession
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import schemas

DOCUMENT_URI = "urn:cove:openapi"


def _pointer(*parts: str) -> str:
    return "/".join(quote(p.replace("~", "~0").replace("/", "~1"), safe="~") for p in parts)


def _path_regex(template: str) -> re.Pattern[str]:
    """/groups/{name}/rules -> a regex matching its paths, with or without a trailing slash."""
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}/?$")


@dataclass
class Contract:
    document: dict[str, Any] = field(default_factory=schemas.openapi_document)

    def __post_init__(self) -> None:
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self.templates = [(_path_regex(p), p) for p in self.document["paths"]]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        # A literal path wins over a template (reports/mine before reports/{id}).
        matches = [t for regex, t in self.templates if regex.match(path)]
        matches.sort(key=lambda t: t.count("{"))
        for template in matches:
            operation = self.document["paths"][template].get(method.lower())
            if operation is not None:
                return template, operation
        raise AssertionError(f"{method} {path} is not in the API document")

    def check(self, method: str, url: str, status: int, content_type: str, body: bytes) -> Any:
        """Assert one answer keeps the contract; returns its JSON body (None when empty)."""
        path = urlsplit(url).path
        template, operation = self.operation(method, path)
        responses = operation["responses"]
        assert str(status) in responses, (
            f"{method} {template} answered {status}, documented: {sorted(responses)}; {body!r}"
        )
        documented = responses[str(status)].get("content")
        if documented is None:
            assert not body, f"{method} {template} {status} should have no body: {body!r}"
            return None
        assert content_type == "application/json", (method, template, status, content_type)
        document = json.loads(body)
        pointer = _pointer("paths", template, method.lower(), "responses", str(status), "content")
        schema = {"$ref": f"{DOCUMENT_URI}#/{pointer}/application~1json/schema"}
        validator = Draft202012Validator(schema, registry=self.registry)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        assert not errors, f"{method} {template} {status}: " + "; ".join(
            f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]
        )
        return document


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ApiClient:
    """Calls the API of a served node and checks every answer against the contract."""

    def __init__(self, http: ClientSession, base: str, contract: Contract) -> None:
        self.http, self.base, self.contract = http, base, contract

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json_body: Any = None,
        form: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        url = path if path.startswith("http") else self.base + path
        async with self.http.request(
            method, url, json=json_body, data=form, params=params, headers=sent
        ) as response:
            raw = await response.read()
            body = self.contract.check(
                method, str(response.url), response.status, response.content_type, raw
            )
            return Answer(response.status, body, dict(response.headers))

    async def get(self, path: str, token: str | None = None, **kw: Any) -> Answer:
        return await self.call("GET", path, token, **kw)

    async def post(self, path: str, token: str | None = None, **kw: Any) -> Answer:
        return await self.call("POST", path, token, **kw)

    async def put(self, path: str, token: str | None = None, **kw: Any) -> Answer:
        return await self.call("PUT", path, token, **kw)

    async def delete(self, path: str, token: str | None = None, **kw: Any) -> Answer:
        return await self.call("DELETE", path, token, **kw)
