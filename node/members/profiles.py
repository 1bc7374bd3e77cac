"""What a member says about themselves and how the node speaks to them: display name, bio,
whether directories may list them, and the language of the pages and of care messages."""

from __future__ import annotations

from dataclasses import dataclass

from federation.errors import Invalid
from node.members.accounts import AccountInfo, checked_display_name, get_account_by_id
from node.runtime import Node
from node.store.tables import Account

MAX_SUMMARY = 2000
LANGUAGES = ("en", "es")  # the languages the pages speak; "" is the browser's


@dataclass(frozen=True, slots=True)
class Profile:
    display_name: str
    summary: str
    discoverable: bool
    language: str | None  # None: as the browser asks


async def update_profile(node: Node, account_id: int, profile: Profile) -> AccountInfo:
    """Change a member's own profile (the actor document follows at once: its cache is
    cleared by the write)."""
    if len(profile.summary) > MAX_SUMMARY:
        raise Invalid("the bio is longer than {limit} characters", limit=MAX_SUMMARY)
    if profile.language is not None and profile.language not in LANGUAGES:
        raise Invalid(
            "unknown language {language!r}: use one of {languages}",
            language=profile.language,
            languages=", ".join(LANGUAGES),
        )
    async with node.store.transaction() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        username = (await get_account_by_id(session, account_id)).username
        account.display_name = checked_display_name(profile.display_name, username)
        account.summary = profile.summary.strip()
        account.discoverable = profile.discoverable
        account.language = profile.language
    async with node.store.session() as session:
        return await get_account_by_id(session, account_id)
