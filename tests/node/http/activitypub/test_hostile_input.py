"""Hostile input at the inbox: whatever arrives (malformed JSON, wrong types, huge or deep
documents, broken signature headers), the answer is a 4xx, never a 500, and nothing is kept."""

from __future__ import annotations

import json
import string
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from federation.errors import FetchError
from node.groups import groups
from node.groups.groups import NewGroup
from node.store.tables import Activity
from tests.conftest import ServedNode, client_for
from tests.support.lemmy_peer import LemmyPeer, start_lemmy_peer

# Every keyId points at a closed port on loopback: the node may try to fetch it, and nothing
# beyond this machine is ever contacted, whatever the generator invents.
KEY_IDS = st.sampled_from(["http://127.0.0.1:9/u/x#main-key", "http://127.0.0.1:9/k", "", "x"])
URLS = st.sampled_from(["http://127.0.0.1:9/a/1", "http://127.0.0.1:9/u/x", "https://127.0.0.1:9/"])
TEXT = st.text(string.printable, max_size=60)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT | URLS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
activity_like = st.fixed_dictionaries(
    {},
    optional={
        "@context": json_values,
        "id": URLS | json_values,
        "type": st.sampled_from(["Create", "Follow", "Undo", "Flag", ""]) | json_values,
        "actor": URLS | json_values,
        "object": URLS | json_values | st.dictionaries(TEXT, json_values, max_size=3),
        "to": json_values,
    },
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    activity_like.map(lambda v: json.dumps(v).encode()),
)


@st.composite
def cavage_headers(draw: st.DrawFn) -> str:
    parts = {
        "keyId": draw(KEY_IDS),
        "algorithm": draw(st.sampled_from(["rsa-sha256", "hs2019", "ed25519", ""]) | TEXT),
        "headers": draw(st.sampled_from(["(request-target) host date digest", "date", ""]) | TEXT),
        "signature": draw(st.sampled_from(["AAAA", "!!", ""]) | TEXT),
    }
    chosen = draw(st.lists(st.sampled_from(list(parts)), unique=True))
    return ",".join(f'{k}="{parts[k]}"' for k in chosen) + draw(
        st.sampled_from(["", ",", '"', "=="])
    )


signature_headers = st.one_of(
    st.fixed_dictionaries({}),
    st.fixed_dictionaries({"Signature": cavage_headers()}),
    st.fixed_dictionaries({"Signature": TEXT}),
    st.fixed_dictionaries(
        {
            "Signature-Input": st.sampled_from(
                ['sig1=("@method");keyid="http://127.0.0.1:9/k";created=1']
            )
            | TEXT,
            "Signature": st.sampled_from(["sig1=:AAAA:", ":", ""]) | TEXT,
        }
    ),
    st.fixed_dictionaries({"Authorization": TEXT.map(lambda t: "Signature " + t)}),
).flatmap(
    lambda h: st.fixed_dictionaries(
        {k: st.just(v) for k, v in h.items()},
        optional={
            "Date": st.sampled_from(["Tue, 20 Apr 2021 02:07:55 GMT", "yesterday"]) | TEXT,
            "Digest": st.sampled_from(["SHA-256=AAAA", "SHA-256", "MD5=x"]) | TEXT,
        },
    )
)


async def stored_count(served: ServedNode) -> int:
    async with served.node.store.session() as session:
        return int((await session.exec(select(func.count()).select_from(Activity))).one())


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=bodies,
    headers=signature_headers,
    path=st.sampled_from(["/inbox", "/g/grief/inbox", "/u/nobody/inbox"]),
)
async def test_any_input_at_the_inbox_gets_a_4xx_and_nothing_is_kept(
    served: ServedNode, body: bytes, headers: dict[str, str], path: str
) -> None:
    if not await _has_group(served):
        await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    safe = {k: v for k, v in headers.items() if v.isprintable() and "\n" not in v}
    async with served.client.post(
        served.base + path, data=body, headers={"Content-Type": "application/activity+json", **safe}
    ) as r:
        assert 400 <= r.status < 500, (r.status, await r.text())
        assert "error" in await r.json(content_type=None)
    assert await stored_count(served) == 0


async def _has_group(served: ServedNode) -> bool:
    async with served.node.store.session() as session:
        return bool(await groups.list_groups(session))


async def test_huge_and_deep_documents_get_a_4xx(served: ServedNode) -> None:
    cases: list[Any] = [
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps({"id": "x" * 900_000}).encode(),
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b"\xff\xfe\x00",
        b"",
    ]
    for body in cases:
        async with served.client.post(
            f"{served.base}/inbox",
            data=body,
            headers={
                "Content-Type": "application/activity+json",
                "Signature": 'keyId="http://127.0.0.1:9/k",signature="AA=="',
            },
        ) as r:
            assert 400 <= r.status < 500, (len(body), r.status)
    assert await stored_count(served) == 0


@pytest.fixture
async def lemmy() -> AsyncIterator[LemmyPeer]:
    async with start_lemmy_peer() as started:
        yield started


@pytest.mark.parametrize(
    ("text", "reason"),
    [("a\u0000b", "NUL characters"), ("a\ud800b", "valid Unicode")],
    ids=["nul", "lone-surrogate"],
)
async def test_signed_text_that_cannot_be_stored_is_refused_whole(
    served: ServedNode, lemmy: LemmyPeer, text: str, reason: str
) -> None:
    """Valid JSON and a good signature, but text no database keeps: 400 with the reason, not a
    500 halfway through storing it; and a fetched document holding it is refused too."""
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    note = {
        "id": f"{lemmy.base}/post/1",
        "type": "Page",
        "attributedTo": lemmy.person,
        "name": text,
        "content": f"<p>{text}</p>",
        "audience": served.urls.group("grief"),
        "to": [served.urls.group("grief"), "https://www.w3.org/ns/activitystreams#Public"],
    }
    create = {
        "id": f"{lemmy.base}/activities/create/1",
        "type": "Create",
        "actor": lemmy.person,
        "object": note,
        "to": note["to"],
    }
    body = json.dumps(create).encode()  # ensure_ascii: the text travels as \u escapes
    async with served.client.post(
        served.urls.shared_inbox(), data=body, headers={"Content-Type": "application/activity+json"}
    ) as r:
        assert r.status == 400 and reason in (await r.json())["error"]
    async with client_for(served.node) as client:
        assert await client.post(served.urls.shared_inbox(), body, lemmy.signer) == 400
        assert await stored_count(served) == 0
        lemmy.documents["/post/1"] = note
        with pytest.raises(FetchError, match=f"unusable text: .*{reason}"):
            await client.get_json(note["id"], None)
