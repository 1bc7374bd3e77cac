"""The crisis resources table: crisis lines and services by country and language, seeded from
the entries Cove ships (resources.toml), edited by node admins, and chosen for a person."""

from __future__ import annotations

import functools
import logging
import tomllib
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources as package_files
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Invalid, NotFound
from federation.properties import is_http_url
from moderation.crisis.places import ANYWHERE, parse_country, parse_language
from node.moderators.roles import Acting, require_node_admin
from node.runtime import Node
from node.store.tables import CrisisResource

log = logging.getLogger(__name__)

MAX_NAME = 200
MAX_CONTACT = 200
MAX_DESCRIPTION = 1000
MAX_URL = 2000


@dataclass(frozen=True, slots=True)
class Resource:
    """A crisis line or service; `verify`: shipped with Cove and not yet checked by an admin."""

    country: str
    language: str
    name: str
    contact: str
    url: str | None = None
    description: str = ""
    verify: bool = False
    id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "country": self.country,
            "language": self.language,
            "name": self.name,
            "contact": self.contact,
            "url": self.url,
            "description": self.description,
            "verify": self.verify,
        }

    def line(self) -> str:
        """The resource as one line of a care message."""
        parts = [f"{self.name}: {self.contact}"]
        if self.url:
            parts.append(self.url)
        return " · ".join(parts)


def _from_row(row: CrisisResource) -> Resource:
    return Resource(
        country=row.country,
        language=row.language,
        name=row.name,
        contact=row.contact,
        url=row.url,
        description=row.description,
        verify=row.verify,
        id=row.id,
    )


def _text(value: str, what: str, longest: int, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise Invalid("a crisis resource needs a {what}", what=what)
    if len(text) > longest:
        raise Invalid("the {what} is longer than {longest} characters", what=what, longest=longest)
    return text


def checked_url(text: str | None) -> str | None:
    """An http(s) URL people can open, or None for none."""
    if text is None or not text.strip():
        return None
    url = text.strip()
    if not is_http_url(url) or len(url) > MAX_URL:
        raise Invalid("{url!r} is not an http(s) URL", url=url)
    return url


def checked(resource: Resource) -> Resource:
    """A resource as given by an admin or the shipped file, each field read once."""
    return replace(
        resource,
        country=parse_country(resource.country),
        language=parse_language(resource.language),
        name=_text(resource.name, "name", MAX_NAME),
        contact=_text(resource.contact, "contact (a number or how to reach it)", MAX_CONTACT),
        url=checked_url(resource.url),
        description=_text(resource.description, "description", MAX_DESCRIPTION, required=False),
    )


@functools.cache
def shipped() -> tuple[Resource, ...]:
    """The entries Cove ships, each marked to be verified for the node's region."""
    text = package_files.files("node.crisis").joinpath("resources.toml").read_text("utf-8")
    return tuple(
        checked(
            Resource(
                country=entry["country"],
                language=entry["language"],
                name=entry["name"],
                contact=entry["contact"],
                url=entry.get("url"),
                description=entry.get("description", ""),
                verify=True,
            )
        )
        for entry in tomllib.loads(text)["resource"]
    )


def _new_row(resource: Resource, now: datetime) -> CrisisResource:
    return CrisisResource(
        country=resource.country,
        language=resource.language,
        name=resource.name,
        contact=resource.contact,
        url=resource.url,
        description=resource.description,
        verify=resource.verify,
        created_at=now,
        updated_at=now,
    )


async def seed_if_empty(session: AsyncSession, now: datetime) -> int:
    """The shipped entries, written only into an empty table: an admin's edits and removals
    are never undone (`seed_missing` re-adds on request). How many were added."""
    count = (await session.exec(select(func.count()).select_from(CrisisResource))).one()
    if count:
        return 0
    for resource in shipped():
        session.add(_new_row(resource, now))
    log.info("event=crisis_resources_seeded count=%s", len(shipped()))
    return len(shipped())


async def seed_missing(node: Node, acting: Acting) -> list[Resource]:
    """Re-add the shipped entries the table lacks (same country, language and name)."""
    require_node_admin(acting, "crisis resources")
    added: list[Resource] = []
    async with node.store.transaction() as session:
        rows = (await session.exec(select(CrisisResource))).all()
        present = {(r.country, r.language, r.name) for r in rows}
        for resource in shipped():
            if (resource.country, resource.language, resource.name) in present:
                continue
            row = _new_row(resource, node.clock())
            session.add(row)
            await session.flush()
            added.append(_from_row(row))
    return added


async def resources_for(
    session: AsyncSession, country: str | None, language: str | None
) -> list[Resource]:
    """What to give a person in `country` who reads `language` (either None: unknown): the
    country's lines in their language (or for any language), else the country's lines in any
    language, then those for anywhere (in their language first). Never empty: a table
    emptied by hand still gives the shipped lines for anywhere."""
    rows = [_from_row(r) for r in (await session.exec(select(CrisisResource))).all()]
    rows.sort(key=lambda r: r.id or 0)
    lang = language or ANYWHERE

    def speaks(r: Resource) -> bool:
        return r.language in (lang, ANYWHERE)

    national = [r for r in rows if country and r.country == country]
    chosen = [r for r in national if speaks(r)] or national
    everywhere = [r for r in rows if r.country == ANYWHERE]
    everywhere.sort(key=lambda r: not speaks(r))  # stable: their language first
    return chosen + everywhere or [r for r in shipped() if r.country == ANYWHERE]


async def list_resources(
    node: Node, country: str | None = None, language: str | None = None
) -> list[Resource]:
    """The table, seeded first if empty, narrowed to a country and a language when given."""
    query = select(CrisisResource).order_by(col(CrisisResource.country), col(CrisisResource.id))
    if country is not None:
        query = query.where(CrisisResource.country == parse_country(country))
    if language is not None:
        query = query.where(CrisisResource.language == parse_language(language))
    async with node.store.transaction() as session:
        await seed_if_empty(session, node.clock())
    async with node.store.session() as session:
        return [_from_row(r) for r in (await session.exec(query)).all()]


async def add_resource(node: Node, acting: Acting, resource: Resource) -> Resource:
    require_node_admin(acting, "crisis resources")
    new = checked(replace(resource, verify=False, id=None))
    async with node.store.transaction() as session:
        await seed_if_empty(session, node.clock())  # adding first must not stop the seeding
        row = _new_row(new, node.clock())
        session.add(row)
        await session.flush()
        return _from_row(row)


async def _row(session: AsyncSession, resource_id: int) -> CrisisResource:
    row = await session.get(CrisisResource, resource_id)
    if row is None:
        raise NotFound("no crisis resource {resource_id}", resource_id=resource_id)
    return row


async def get_resource(node: Node, resource_id: int) -> Resource:
    async with node.store.session() as session:
        return _from_row(await _row(session, resource_id))


async def edit_resource(
    node: Node, acting: Acting, resource_id: int, changes: dict[str, str | None]
) -> Resource:
    """Change the fields given (an empty url or description clears it). An admin who edits
    an entry has looked at it: the verify mark stays until they say it is verified."""
    require_node_admin(acting, "crisis resources")
    if not changes:
        raise Invalid("say what to change: --country, --lang, --name, --contact, --url or more")
    async with node.store.transaction() as session:
        row = await _row(session, resource_id)
        merged = replace(_from_row(row), **changes)  # type: ignore[arg-type]
        new = checked(merged)
        for field in ("country", "language", "name", "contact", "url", "description"):
            setattr(row, field, getattr(new, field))
        row.updated_at = node.clock()
        await session.flush()
        return _from_row(row)


async def remove_resource(node: Node, acting: Acting, resource_id: int) -> Resource:
    require_node_admin(acting, "crisis resources")
    async with node.store.transaction() as session:
        row = await _row(session, resource_id)
        gone = _from_row(row)
        await session.delete(row)
        return gone


async def mark_verified(node: Node, acting: Acting, resource_id: int) -> Resource:
    """An admin checked the entry for their region: the verify mark goes."""
    require_node_admin(acting, "crisis resources")
    async with node.store.transaction() as session:
        row = await _row(session, resource_id)
        row.verify = False
        row.updated_at = node.clock()
        await session.flush()
        return _from_row(row)


async def help_lines(
    node: Node, country: str | None, language: str | None
) -> tuple[list[Resource], list[str]]:
    """What the "Need help now?" page shows: the lines for a country and language (as
    `resources_for` chooses them), and the countries the table knows, to pick another."""
    async with node.store.transaction() as session:
        await seed_if_empty(session, node.clock())
    async with node.store.session() as session:
        found = await resources_for(session, country, language)
        known = await session.exec(select(CrisisResource.country).distinct())
        countries = sorted(c for c in known.all() if c != ANYWHERE)
    return found, countries
