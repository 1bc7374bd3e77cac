"""WebFinger (RFC 7033) resources and JRD documents, the host-meta XRD that points to them, and
asking another server which actor an acct: names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from federation.client import FederationClient
from federation.errors import Invalid
from federation.media import ACTIVITY_JSON, HTML

PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page"
SELF_REL = "self"
AS_TYPE_PROPERTY = "https://www.w3.org/ns/activitystreams#type"
# FEP-d556: the server-level actor is discovered by asking for the origin URL itself.
SERVICE_REL = "https://www.w3.org/ns/activitystreams#Service"


@dataclass(frozen=True, slots=True)
class Acct:
    """An acct: URI (RFC 7565): user@host, host kept with its port as it was given."""

    user: str
    host: str


@dataclass(frozen=True, slots=True)
class ResourceUrl:
    """An http(s) URL asked about directly (an actor id or the origin)."""

    url: str


def parse_resource(resource: str | None) -> Acct | ResourceUrl:
    """Read the `resource` query parameter; a missing or malformed one is Invalid (400)."""
    if not resource:
        raise Invalid("the resource query parameter is required")
    resource = resource.strip()
    if resource.lower().startswith("acct:"):
        return _parse_acct(resource[5:])
    parts = urlsplit(resource)
    if parts.scheme in ("http", "https") and parts.netloc:
        return ResourceUrl(resource)
    if "@" in resource and ":" not in resource.split("@", 1)[0]:
        # Some clients leave out the scheme ("user@host"); read it as acct: as Mastodon does.
        return _parse_acct(resource)
    raise Invalid("resource must be an acct: URI or an http(s) URL")


def _parse_acct(rest: str) -> Acct:
    rest = rest.lstrip("@")
    user, at, host = rest.rpartition("@")
    if not at or not user or not host:
        raise Invalid("an acct: resource needs the form acct:user@host")
    return Acct(user=user, host=host.lower())


def actor_links(actor_id: str, profile_url: str, actor_type: str) -> list[dict[str, Any]]:
    """The links of a JRD for an actor: its profile page and its ActivityPub document.

    The type hint in properties is Lemmy's, so a client can tell a group from a person.
    """
    return [
        {"rel": PROFILE_PAGE_REL, "type": HTML, "href": profile_url},
        {
            "rel": SELF_REL,
            "type": ACTIVITY_JSON,
            "href": actor_id,
            "properties": {AS_TYPE_PROPERTY: actor_type},
        },
    ]


def service_links(actor_id: str) -> list[dict[str, Any]]:
    """FEP-d556 links for the server-level actor."""
    return [
        {"rel": SERVICE_REL, "type": ACTIVITY_JSON, "href": actor_id},
        {"rel": SELF_REL, "type": ACTIVITY_JSON, "href": actor_id},
    ]


def jrd(
    subject: str, links: list[dict[str, Any]], aliases: list[str] | None = None
) -> dict[str, Any]:
    """A JSON Resource Descriptor (RFC 7033 section 4.4)."""
    doc: dict[str, Any] = {"subject": subject}
    if aliases:
        doc["aliases"] = aliases
    doc["links"] = links
    return doc


def host_meta_xrd(webfinger_url: str) -> str:
    """host-meta (RFC 6415) with the lrdd template Mastodon falls back to."""
    template = quoteattr(f"{webfinger_url}?resource={{uri}}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/jrd+json" template={template}/>\n'
        "</XRD>\n"
    )


async def finger(client: FederationClient, acct: Acct, scheme: str) -> str | None:
    """The ActivityPub actor that acct's server names for it, or None when its JRD links none;
    FetchError when the server cannot be asked (PolicyRefused when the node may not ask)."""
    url = f"{scheme}://{acct.host}/.well-known/webfinger?resource=acct:{acct.user}@{acct.host}"
    return actor_link((await client.get_json(url, None, check_id=False)).document)


def actor_link(jrd: Mapping[str, Any]) -> str | None:
    """The first `self` link of a JRD to a JSON document: the actor's ActivityPub id."""
    links = jrd.get("links") if isinstance(jrd.get("links"), list) else []
    for link in links or []:
        if (
            isinstance(link, dict)
            and link.get("rel") == SELF_REL
            and isinstance(link.get("href"), str)
            and "json" in str(link.get("type", ""))
        ):
            href: str = link["href"]
            return href
    return None
