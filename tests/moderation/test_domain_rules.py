"""Domain policy as pure decisions: one spelling per domain, entries covering subdomains, the
nearest entry winning, allows over blocks, allowlist mode, expiry, and entries known only by
their digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.errors import Invalid
from moderation.domains import (
    DomainRule,
    FederationMode,
    PolicyTable,
    Severity,
    digest,
    host_of,
    normalise_domain,
    obfuscated,
    parse_severity,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("Evil.Example", "evil.example"),
        ("evil.example.", "evil.example"),
        ("  EVIL.example.  ", "evil.example"),
        ("*.evil.example", "evil.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("\uff45\uff56\uff49\uff4c.example", "evil.example"),  # full-width letters fold
        ("127.0.0.2", "127.0.0.2"),
    ],
)
def test_every_spelling_of_a_domain_is_one_domain(written: str, normal: str) -> None:
    assert normalise_domain(written) == normal


@pytest.mark.parametrize(
    "bad", ["", ".", "localhost", "https://evil.example", "evil.example:443", "a..b", "-x-.example"]
)
def test_what_is_not_a_domain_is_refused_with_the_reason(bad: str) -> None:
    with pytest.raises(Invalid):
        normalise_domain(bad)


def test_a_hosts_port_is_not_part_of_its_domain() -> None:
    assert host_of("Evil.Example:8443") == "evil.example"
    assert host_of("127.0.0.2:9000") == "127.0.0.2"


def rule(domain: str, severity: Severity = Severity.SUSPEND, **flags: object) -> DomainRule:
    return DomainRule(domain=normalise_domain(domain), severity=severity, **flags)  # type: ignore[arg-type]


def test_an_entry_covers_its_subdomains_and_the_nearest_entry_wins() -> None:
    table = PolicyTable.build(
        [rule("evil.example"), rule("ok.evil.example", Severity.NOOP, reject_media=True)]
    )
    assert table.decide("evil.example", NOW).suspended
    assert table.decide("deep.down.evil.example", NOW).suspended
    nearest = table.decide("a.ok.evil.example", NOW)
    assert nearest.federates and nearest.reject_media
    assert table.decide("notevil.example", NOW).federates  # a suffix is not a subdomain
    assert table.decide("example", NOW).federates


def test_silence_and_flags_and_suspension_implying_everything() -> None:
    table = PolicyTable.build(
        [rule("loud.example", Severity.SILENCE), rule("gone.example", reject_reports=False)]
    )
    loud = table.decide("loud.example", NOW)
    assert loud.federates and loud.silenced and not loud.reject_media
    gone = table.decide("gone.example", NOW)
    assert gone.suspended and gone.reject_media and gone.reject_reports


def test_an_allow_overrides_a_block_in_blocklist_mode() -> None:
    table = PolicyTable.build([rule("big.example")], allows=["friends.big.example"])
    assert table.decide("spam.big.example", NOW).suspended
    assert table.decide("friends.big.example", NOW).federates


def test_allowlist_mode_lets_only_allowed_domains_federate() -> None:
    table = PolicyTable.build(
        [rule("friends.example", Severity.NOOP, reject_media=True)],
        allows=["friends.example"],
        mode=FederationMode.ALLOWLIST,
        own=["cove.example"],
    )
    friends = table.decide("www.friends.example", NOW)
    assert friends.federates and friends.reject_media  # allowed, its flags still apply
    assert table.decide("anyone.example", NOW).suspended
    assert table.decide("cove.example", NOW).federates  # the node itself, always
    assert table.decide(None, NOW).suspended


def test_an_expired_entry_no_longer_counts() -> None:
    table = PolicyTable.build([rule("brief.example", expires_at=NOW + timedelta(days=1))])
    assert table.decide("brief.example", NOW).suspended
    assert table.decide("brief.example", NOW + timedelta(days=2)).federates


def test_an_entry_known_only_by_digest_matches_the_domain_and_its_subdomains() -> None:
    hidden = DomainRule(domain=digest("secret.example"), severity=Severity.SUSPEND, by_digest=True)
    table = PolicyTable.build([hidden])
    assert table.decide("secret.example", NOW).suspended
    assert table.decide("www.secret.example", NOW).suspended
    assert table.decide("other.example", NOW).federates


def test_mastodons_obfuscation_and_severity_words() -> None:
    assert obfuscated("bumfaces.net") == "bumf****.net"
    assert parse_severity("Limit") == Severity.SILENCE
    with pytest.raises(Invalid, match="unknown severity"):
        parse_severity("nuke")


def test_twenty_thousand_entries_decide_each_host_by_its_own_labels() -> None:
    table = PolicyTable.build([rule(f"spam{n}.example") for n in range(20_000)])
    assert len(table) == 20_000
    assert table.decide("a.spam19999.example", NOW).suspended
    assert table.decide("spam20000.example", NOW).federates
