"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from federation.client import FederationClient
from node.actors.keys import ResolvedKey
from node.cache import TtlCache
from node.groups.groups import GroupInfo
from node.http.activitypub.inbox_limits import Backlog, InboxLimits
from node.http.pages.page_cache import PageCache
from node.http.pages.readers import Readers
from node.http.pages.templating import Templates
from node.outage import OutageTracker
from node.queue.inbox import InboxWriter
from node.runtime import Node

NODE = web.AppKey("node", Node)
TEMPLATES = web.AppKey("templates", Templates)
CLIENT = web.AppKey("client", FederationClient)
INBOX_WRITER = web.AppKey("inbox_writer", InboxWriter)
# What each sender may still put into the inboxes this minute (this process's count).
INBOX_LIMITS = web.AppKey("inbox_limits", InboxLimits)
# What each server has waiting to be applied here (counted from the store each second).
BACKLOG = web.AppKey("backlog", Backlog)
# The process's one account of its database being away (shared with its workers).
OUTAGE = web.AppKey("outage", OutageTracker)
# The group an inbox URL names, and signers' keys: looked up on every inbox request.
GROUPS = web.AppKey("groups", TtlCache[str, GroupInfo])
KEYS = web.AppKey("keys", TtlCache[str, ResolvedKey])
# WebFinger answers, asked for by every peer that meets a handle.
DOCUMENTS = web.AppKey("documents", TtlCache[str, Any])
# Who is suspended from the node: actor -> when it ends.
SUSPENSIONS = web.AppKey("suspensions", TtlCache[str, dict[str, datetime | None]])
# Actor documents (groups, people, the instance actor) as served, encoded, by path.
ACTOR_DOCUMENTS = web.AppKey("actor_documents", TtlCache[str, bytes])
# The pages of visitors not signed in, rendered (node.http.pages.page_cache).
PAGE_CACHE = web.AppKey("page_cache", PageCache)
# What a signed-in reader's every page asks about them (node.http.pages.readers).
READERS = web.AppKey("readers", Readers)
