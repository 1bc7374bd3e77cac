"""Blocklist files: Mastodon's CSV exactly (its defaults for missing columns, and a labels
column Mastodon ignores), GoToSocial's JSON, plain text; the dry run's diff with skipped lines
and reasons; import(export(x)) == x in each format; a 20,000-row list with a progress bar on
the terminal; and a bad file that changes nothing."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from federation.errors import Invalid
from moderation.blocklists import BlockEntry, FileFormat, parse, write
from moderation.domains import Severity
from node.domain_policy import blocks, files
from node.moderators.roles import Acting
from node.runtime import Node
from tests.conftest import add_follower, cove_in_process
from tests.node.cli.test_cli import as_json, ok

MASTODON_CSV = """#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
bumfaces.net,suspend,false,false,big jerks,false
example.org,silence,true,false,,false
"""


def test_mastodons_csv_is_read_exactly() -> None:
    parsed = parse(MASTODON_CSV)
    assert parsed.skipped == []
    assert parsed.entries == [
        BlockEntry("bumfaces.net", Severity.SUSPEND, public_comment="big jerks"),
        BlockEntry("example.org", Severity.SILENCE, reject_media=True),
    ]


def test_missing_columns_take_mastodons_defaults_and_labels_are_read() -> None:
    parsed = parse("#domain,#labels\nOnly.Domain.example,iftas:hate spam\n")
    assert parsed.entries == [
        BlockEntry("only.domain.example", Severity.SUSPEND, labels=("iftas:hate", "spam"))
    ]


def test_unusable_rows_are_skipped_with_their_line_and_reason() -> None:
    parsed = parse(
        "#domain,#severity\nok.example,noop\nnot a domain,suspend\nx.example,nuke\n"
        "ok.example,suspend\n,\n"
    )
    assert [e.domain for e in parsed.entries] == ["ok.example"]
    assert [(s.line, s.reason.split(":")[0]) for s in parsed.skipped] == [
        (3, "'not a domain' is not a domain (no scheme, path, port or user)"),
        (4, "unknown severity 'nuke'"),
        (5, "ok.example is listed already (line 2)"),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<!doctype html><html><body>Sign in</body></html>", "HTML"),
        ('{"domain": "x.example"}', "JSON array"),
        ("[1, 2", "not a JSON file"),
        ("domain\x00garbage", "not a text file"),
        ("#severity,#obfuscate\nsuspend,false\n", "#domain"),
    ],
)
def test_a_file_in_no_format_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        parse(text)


ENTRIES = [
    BlockEntry("bumfaces.net", Severity.SUSPEND, public_comment="big jerks, really"),
    BlockEntry("example.org", Severity.SILENCE, reject_media=True, labels=("iftas:spam",)),
    BlockEntry("quiet.example", Severity.NOOP, reject_reports=True, obfuscate=True),
    BlockEntry("xn--bcher-kva.example", Severity.SUSPEND, labels=("https://labels.example/h",)),
]


@pytest.mark.parametrize("file_format", [FileFormat.MASTODON, FileFormat.GOTOSOCIAL])
def test_writing_then_reading_gives_the_same_entries(file_format: FileFormat) -> None:
    assert parse(write(ENTRIES, file_format), file_format).entries == ENTRIES


def test_plain_text_carries_suspensions_by_name_only() -> None:
    suspended = [e for e in ENTRIES if e.severity == Severity.SUSPEND]
    text = write(ENTRIES, FileFormat.PLAIN)
    assert text == "bumfaces.net\nxn--bcher-kva.example\n"
    assert parse(text).entries == [BlockEntry(e.domain) for e in suspended]


@pytest.mark.storage
@pytest.mark.parametrize("file_format", list(FileFormat))
async def test_import_of_an_export_is_the_same_policy(node: Node, file_format: FileFormat) -> None:
    admin = Acting.operator(node)
    kept = ENTRIES if file_format != FileFormat.PLAIN else [BlockEntry("a.example")]
    text = write(kept, file_format)
    await files.import_list(node, admin, text, None, dry_run=False)
    exported = await files.export_list(node, file_format)
    assert exported == text
    for block in await blocks.list_blocks(node):
        await blocks.remove_block(node, admin, block.domain)
    await files.import_list(node, admin, exported, None, dry_run=False)
    assert [b.entry() for b in await blocks.list_blocks(node)] == kept


@pytest.mark.storage
async def test_the_dry_run_says_what_would_change_and_who_is_followed_here(
    node: Node,
) -> None:
    from node.groups.groups import NewGroup, create_group

    admin = Acting.operator(node)
    group = await create_group(node, NewGroup(name="grief", title="Grief"))
    async with node.store.transaction() as session:
        uri = "https://www.bumfaces.net/u/kim"
        await add_follower(session, group.id, uri, f"{uri}/inbox", None, node.clock())
    await files.import_list(
        node, admin, "#domain,#severity\nexample.org,noop\n", None, dry_run=False
    )
    report = await files.import_list(node, admin, MASTODON_CSV, None, dry_run=True)
    assert [e.domain for e in report.diff.add] == ["bumfaces.net"]
    assert [(b.severity, a.severity) for b, a in report.diff.change] == [
        (Severity.NOOP, Severity.SILENCE)
    ]
    assert report.watched == {"bumfaces.net": 1}
    assert report.impact.describe() == "1 follower of 1 group, 0 posts"
    assert not report.applied
    assert [b.severity for b in await blocks.list_blocks(node)] == [Severity.NOOP]
    applied = await files.import_list(node, admin, MASTODON_CSV, None, dry_run=False)
    assert applied.applied and applied.impact.describe() == "1 follower of 1 group, 0 posts"
    assert {b.domain: b.severity for b in await blocks.list_blocks(node)} == {
        "bumfaces.net": Severity.SUSPEND,
        "example.org": Severity.SILENCE,
    }


def test_twenty_thousand_rows_import_from_the_command_line_with_a_progress_bar(
    tmp_path: Path,
) -> None:
    ok(cove_in_process(tmp_path, "init", "--no-demo"))
    rows = [f"spam{n}.example,suspend,false,false,,false" for n in range(20_000)]
    (tmp_path / "big.csv").write_text(MASTODON_CSV.splitlines()[0] + "\n" + "\n".join(rows))
    # A real process, its stderr on a terminal (a pseudo-terminal here), as an admin running it
    # would have it.
    main, replica = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVE_")}
    done = subprocess.run(
        [sys.executable, "-m", "node.cli.main", "blocks", "import", "big.csv"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=replica,
        text=True,
        timeout=300,
        check=False,
    )
    os.close(replica)
    shown = os.read(main, 1_000_000).decode("utf-8", "replace")
    os.close(main)
    assert done.returncode == 0, shown
    assert "20,000 to add" in done.stdout
    assert "importing [" in shown and "20,000/20,000" in shown
    listed = as_json(cove_in_process(tmp_path, "blocks", "list", "--json"))
    assert len(listed) == 20_000


def test_a_bad_file_changes_nothing_and_says_why(tmp_path: Path) -> None:
    ok(cove_in_process(tmp_path, "init", "--no-demo"))
    (tmp_path / "good.csv").write_text(MASTODON_CSV)
    ok(cove_in_process(tmp_path, "blocks", "import", "good.csv"))
    before = as_json(cove_in_process(tmp_path, "blocks", "list", "--json"))
    (tmp_path / "page.csv").write_text("<html><body>Log in to download</body></html>")
    result = cove_in_process(tmp_path, "blocks", "import", "page.csv")
    assert result.returncode == 2 and "HTML, not a blocklist" in result.stderr
    assert "Traceback" not in result.stderr
    (tmp_path / "huge.txt").write_bytes(b"x" * 9_000_000)
    result = cove_in_process(tmp_path, "blocks", "import", "huge.txt")
    assert result.returncode == 2 and "not a blocklist" in result.stderr
    assert as_json(cove_in_process(tmp_path, "blocks", "list", "--json")) == before
    exported = ok(cove_in_process(tmp_path, "blocks", "export", "--format", "mastodon"))
    assert exported.splitlines()[0] == (
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate,#labels"
    )
