"""The real FediBlockHole (PyPI `fediblockhole`, the tool admins run against Mastodon) against
two Cove nodes on loopback: it reads one node's public list and a URL source, merges them,
and pushes the result into the other node's Mastodon admin API, holding back a suspension of
a server people on that node follow (its measures call), as it does with Mastodon."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import pytest
from aiohttp import web

from moderation.blocklists import BlockEntry
from moderation.domains import Severity
from node.domain_policy import blocks
from node.groups.groups import NewGroup, create_group
from node.members import accounts, tokens
from node.moderators.roles import Acting
from node.store.states import AccountRole
from tests.conftest import PeerFactory, ServedNode, add_follower, free_port, serving_app

SYNC = Path(sys.executable).with_name("fediblock-sync")
CSV_SOURCE = """#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
csv.example,suspend,false,false,from the shared list,false
"""

pytestmark = pytest.mark.skipif(
    not SYNC.exists() and shutil.which("fediblock-sync") is None,
    reason="fediblockhole is not installed (it is a dev dependency: make setup)",
)


async def test_fediblockhole_merges_a_cove_list_into_another_cove_node(
    served: ServedNode, peer_node: PeerFactory, tmp_path: Path
) -> None:
    source = served.node
    admin = Acting.operator(source)
    for entry in (
        BlockEntry("evil.example", Severity.SUSPEND, public_comment="raids"),
        BlockEntry("loud.example", Severity.SILENCE),
        BlockEntry("secret.example", Severity.SUSPEND, obfuscate=True),
    ):
        await blocks.set_block(source, admin, entry)

    target = await peer_node()
    node = target.node
    await accounts.create_account(node, "ada", AccountRole.ADMIN)
    secret, _ = await tokens.create_token(
        node, "ada", "admin:read admin:read:domain_blocks admin:write:domain_blocks", name="fbh"
    )
    await blocks.set_block(node, Acting.operator(node), BlockEntry("loud.example", Severity.NOOP))
    # People here follow a group member on evil.example: FediBlockHole holds it at silence.
    group = await create_group(node, NewGroup(name="grief", title="Grief"))
    async with node.store.transaction() as session:
        uri = "https://www.evil.example/u/friend"
        await add_follower(session, group.id, uri, f"{uri}/inbox", None, node.clock())

    app = web.Application()

    async def csv_list(_request: web.Request) -> web.Response:
        return web.Response(text=CSV_SOURCE, content_type="text/csv")

    app.router.add_get("/blocklist.csv", csv_list)
    port = free_port()
    (tmp_path / "fbh.toml").write_text(
        f"""
blocklist_url_sources = [
  {{ url = "http://127.0.0.1:{port}/blocklist.csv", format = "mastodon_csv" }},
]
blocklist_instance_sources = [
  {{ domain = "{source.urls.domain}", scheme = "http" }},
]
blocklist_instance_destinations = [
  {{ domain = "{node.urls.domain}", scheme = "http", token = "{secret}" }},
]
import_fields = ["public_comment"]
savedir = "{tmp_path}"
"""
    )
    command = str(SYNC) if SYNC.exists() else str(shutil.which("fediblock-sync"))
    async with serving_app(app, port):
        process = await asyncio.create_subprocess_exec(
            command,
            "-c",
            str(tmp_path / "fbh.toml"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    said = output.decode("utf-8", "replace")
    assert process.returncode == 0, said[-4000:]
    pushed = {b.domain: b for b in await blocks.list_blocks(node)}
    assert {d: b.severity for d, b in pushed.items()} == {
        "evil.example": Severity.SILENCE,  # followed from here: held back from suspend
        "loud.example": Severity.SILENCE,  # was noop here: raised to the source's
        "csv.example": Severity.SUSPEND,
    }
    assert pushed["evil.example"].public_comment == "raids"
    assert pushed["csv.example"].public_comment == "from the shared list"
    # The obfuscated entry travels starred: no spelling of it is a domain, so it is refused
    # (422, as Mastodon answers) and FediBlockHole goes on.
    assert "secret.example" not in pushed
