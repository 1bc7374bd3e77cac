"""Passwords: Argon2id hashes made and checked off the event loop, redone when the node's
parameters change; setting, checking and changing an account's password."""

from __future__ import annotations

import asyncio
import logging
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlmodel import col

from federation.errors import Invalid, NotFound, Unauthorized
from node.config_sections import PasswordSettings
from node.members.web_sessions import end_sessions
from node.runtime import Node
from node.store.tables import Account

log = logging.getLogger(__name__)

MIN_LENGTH = 10
# Argon2 reads all of it: a megabyte "password" would be a cheap way to spend our CPU.
MAX_LENGTH = 1000
# A hash of a password no one has, made with the node's parameters, so that a sign-in for an
# unknown name costs what a real one does (the answer's timing tells nothing).
_DECOY = "a password that no account has, only for timing"


def check_length(password: str) -> str:
    """The password, if its length is acceptable."""
    if len(password) < MIN_LENGTH:
        raise Invalid("a password must be at least {limit} characters long", limit=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise Invalid("a password must be at most {limit} characters long", limit=MAX_LENGTH)
    return password


@cache
def _hasher(settings: PasswordSettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.time_cost,
        memory_cost=settings.memory_kib,
        parallelism=settings.parallelism,
    )


async def hash_password(node: Node, password: str) -> str:
    """An Argon2id hash of a checked password, made in an executor (it takes tens of ms)."""
    hasher = _hasher(node.config.passwords)
    password = check_length(password)
    return await asyncio.get_running_loop().run_in_executor(None, hasher.hash, password)


def _verify(settings: PasswordSettings, stored: str | None, password: str) -> bool:
    hasher = _hasher(settings)
    try:
        return hasher.verify(stored or _decoy(settings), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy(settings: PasswordSettings) -> str:
    return _hasher(settings).hash(_DECOY)


async def verify_hash(node: Node, stored: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash; with no hash (no account, or one without a
    password) the work is done all the same and the answer is no."""
    if len(password) > MAX_LENGTH:
        return False
    settings = node.config.passwords
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _verify, settings, stored, password)


def needs_rehash(node: Node, stored: str) -> bool:
    return _hasher(node.config.passwords).check_needs_rehash(stored)


async def set_password(
    node: Node, account_id: int, password: str, keep_session_id: int | None = None
) -> None:
    """Give an account a new password; every web session of theirs ends but `keep_session_id`
    (the one the change was made in), so whoever knew the old one is signed out."""
    hashed = await hash_password(node, password)
    now = node.clock()
    async with node.store.transaction() as session:
        account = await session.get(Account, account_id)
        if account is None:
            raise NotFound("no account {account_id}", account_id=account_id)
        account.password_hash = hashed
        await end_sessions(session, account_id, now, keep=keep_session_id)
    log.info("event=password_set account=%s", account_id)


async def check_password(node: Node, account_id: int, password: str) -> bool:
    """Whether this is the account's password; a hash made with other parameters than the
    node's is made again while the password is at hand."""
    async with node.store.session() as session:
        account = await session.get(Account, account_id)
        stored = account.password_hash if account is not None else None
    if not await verify_hash(node, stored, password):
        return False
    assert stored is not None
    await rehash_if_needed(node, account_id, stored, password)
    return True


async def rehash_if_needed(node: Node, account_id: int, stored: str, password: str) -> None:
    """Hash a password just checked again if its hash was made with other parameters."""
    if not needs_rehash(node, stored):
        return
    hashed = await hash_password(node, password)
    async with node.store.transaction() as session:
        # Only if no one changed the password meanwhile.
        await session.exec(
            update(Account)
            .where(col(Account.id) == account_id, col(Account.password_hash) == stored)
            .values(password_hash=hashed)
        )
    log.info("event=password_rehashed account=%s", account_id)


async def change_password(
    node: Node, account_id: int, current: str, new: str, keep_session_id: int | None
) -> None:
    """A member changing their own password: the current one first."""
    check_length(new)
    if not await check_password(node, account_id, current):
        raise Unauthorized("the current password is not right")
    await set_password(node, account_id, new, keep_session_id)
