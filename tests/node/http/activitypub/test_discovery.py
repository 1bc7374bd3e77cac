"""WebFinger (RFC 7033, FEP-d556), host-meta and NodeInfo 2.1 (FEP-2677), over real HTTP."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

import schemas
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts
from node.store.states import AccountRole
from tests.conftest import ServedNode

SELF = "self"
AS2_TYPE = "https://www.w3.org/ns/activitystreams#type"


async def finger(served: ServedNode, resource: str | None) -> tuple[int, dict[str, str], Any]:
    params = {} if resource is None else {"resource": resource}
    async with served.client.get(f"{served.base}/.well-known/webfinger", params=params) as r:
        return r.status, dict(r.headers), json.loads(await r.read())


def self_link(jrd: dict[str, Any]) -> dict[str, Any]:
    return next(link for link in jrd["links"] if link["rel"] == SELF)


async def test_webfinger_resolves_a_group_by_acct(served: ServedNode) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    status, headers, jrd = await finger(served, f"acct:grief@{served.urls.domain}")
    assert status == 200
    assert headers["Content-Type"].startswith("application/jrd+json")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert jrd["subject"] == f"acct:grief@{served.urls.domain}"
    link = self_link(jrd)
    assert link["type"] == "application/activity+json"
    assert link["href"] == served.urls.group("grief")
    assert link["properties"][AS2_TYPE] == "Group"
    assert served.urls.group("grief") in jrd["aliases"]


async def test_webfinger_resolves_a_person_by_acct_and_by_actor_url(served: ServedNode) -> None:
    await accounts.create_account(served.node, "sam", AccountRole.MEMBER)
    for resource in (
        f"acct:sam@{served.urls.domain}",
        served.urls.person("sam"),
        f"acct:SAM@{served.urls.domain.upper()}",
    ):
        status, _, jrd = await finger(served, resource)
        assert status == 200, resource
        assert jrd["subject"] == f"acct:sam@{served.urls.domain}"
        assert self_link(jrd)["href"] == served.urls.person("sam")
        assert self_link(jrd)["properties"][AS2_TYPE] == "Person"


async def test_webfinger_finds_the_instance_actor_as_domain_at_domain(served: ServedNode) -> None:
    domain = served.urls.domain
    status, _, jrd = await finger(served, f"acct:{domain}@{domain}")
    assert status == 200
    assert jrd["subject"] == f"acct:{domain}@{domain}"
    assert self_link(jrd)["href"] == served.urls.instance_actor()


async def test_webfinger_on_the_origin_gives_the_server_actor_fep_d556(served: ServedNode) -> None:
    status, _, jrd = await finger(served, f"{served.base}/")
    assert status == 200
    assert jrd["subject"] == f"{served.base}/"
    service = [
        link
        for link in jrd["links"]
        if link["rel"] == "https://www.w3.org/ns/activitystreams#Service"
    ]
    assert service == [
        {
            "rel": "https://www.w3.org/ns/activitystreams#Service",
            "type": "application/activity+json",
            "href": served.urls.instance_actor(),
        }
    ]


async def test_webfinger_without_resource_is_400(served: ServedNode) -> None:
    status, _headers, body = await finger(served, None)
    assert status == 400
    assert "resource" in body["error"]


@pytest.mark.parametrize(
    "resource",
    [
        "acct:nobody@{domain}",
        "acct:grief@elsewhere.example",
        "{base}/g/nobody",
        "https://elsewhere.example/g/grief",
        "{base}/g/sam",
        "{base}/u/grief",
    ],
)
async def test_webfinger_for_unknown_resources_is_404(served: ServedNode, resource: str) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    await accounts.create_account(served.node, "sam")
    resource = resource.format(domain=served.urls.domain, base=served.base)
    status, headers, body = await finger(served, resource)
    assert status == 404, resource
    assert body["error"]
    assert headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("resource", ["acct:", "acct:@x", "mailto:a@b", "ftp://x/y", "acct:nohost"])
async def test_webfinger_with_a_malformed_resource_is_400(
    served: ServedNode, resource: str
) -> None:
    status, _, body = await finger(served, resource)
    assert status == 400, resource
    assert body["error"]


async def test_host_meta_points_at_webfinger(served: ServedNode) -> None:
    async with served.client.get(f"{served.base}/.well-known/host-meta") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("application/xrd+xml")
        root = ElementTree.fromstring(await r.read())
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None and link.get("rel") == "lrdd"
    assert link.get("template") == f"{served.base}/.well-known/webfinger?resource={{uri}}"


async def test_nodeinfo_is_discoverable_and_valid_against_the_published_schema(
    served: ServedNode,
) -> None:
    await accounts.create_account(served.node, "root_admin", AccountRole.ADMIN)
    await accounts.create_account(served.node, "member")
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    async with served.client.get(f"{served.base}/.well-known/nodeinfo") as r:
        assert r.status == 200
        links = (await r.json())["links"]
    by_rel = {link["rel"]: link["href"] for link in links}
    # FEP-2677: the Application actor is linked from the NodeInfo discovery document.
    assert (
        by_rel["https://www.w3.org/ns/activitystreams#Application"] == served.urls.instance_actor()
    )
    async with served.client.get(by_rel["http://nodeinfo.diaspora.software/ns/schema/2.1"]) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == (
            'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
        )
        document = json.loads(await r.read())
    schema = json.loads(schemas.path("nodeinfo", "2.1.schema.json").read_text("utf-8"))
    jsonschema.validate(document, schema)
    assert document["software"]["name"] == "cove"
    assert document["usage"]["users"]["total"] == 2
    assert document["metadata"]["staffAccounts"] == [served.urls.person("root_admin")]
    assert document["metadata"]["groups"] == 1


def test_the_schema_check_would_catch_a_bad_nodeinfo() -> None:
    schema = json.loads(schemas.path("nodeinfo", "2.1.schema.json").read_text("utf-8"))
    bad = {
        "version": "2.1",
        "software": {"name": "Cove!", "version": "1"},
        "protocols": [],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {"users": {}},
        "metadata": {},
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
