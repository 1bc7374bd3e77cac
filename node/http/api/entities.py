"""Domain values rendered as the API's JSON entities: Mastodon's (Report, Admin::Report,
Admin::DomainBlock, Admin::DomainAllow) with Cove's fields beside them, and Cove's own."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from federation.vocabulary import iso8601
from moderation.reports import ReportState
from node.domain_policy.blocks import AllowInfo, BlockInfo
from node.moderators.reports.info import ReportInfo
from node.queue.delivery import QueueFigures
from node.store.states import ReportDirection
from node.store.tables import ModLogEntry


def when(moment: datetime | None) -> str | None:
    return iso8601(moment) if moment else None


def account(uri: str | None) -> dict[str, Any] | None:
    # Cove has no numeric ids for accounts on other servers: the actor's URL is the id.
    if uri is None:
        return None
    return {"id": uri, "url": uri, "domain": urlsplit(uri).netloc}


def report(info: ReportInfo) -> dict[str, Any]:
    """Mastodon's Report entity, with Cove's state, urgency and outcome beside it."""
    decided = info.state != ReportState.OPEN
    return {
        "id": str(info.id),
        "action_taken": decided,
        "action_taken_at": when(info.updated_at) if decided else None,
        "category": info.category.value,
        "comment": info.comment,
        # A report filed here about something elsewhere goes to that server (Mastodon's sense).
        "forwarded": info.direction == ReportDirection.SENT,
        "created_at": iso8601(info.created_at),
        "status_ids": [info.target_uri] if info.target_is_post else [],
        "rule_ids": [str(n) for n in info.rule_numbers],
        "target_account": account(info.target_account_uri),
        "state": info.state.value,
        "urgent": info.urgent,
        "outcome": info.outcome,
    }


def _reported_content(info: ReportInfo) -> dict[str, Any]:
    """The reported status's text, as Mastodon shows it to moderators, once a report is read
    on its own (a removed post's text stays readable here, for them)."""
    if info.text_hidden:
        return {"content_hidden": True}  # a crisis report: asked for with ?text=true
    if info.post is None:
        return {}
    return {
        "content": info.post.content_html,
        "spoiler_text": info.post.title or "",
        "removed": info.post.removed,
        "deleted": info.post.deleted,
    }


def admin_report(info: ReportInfo) -> dict[str, Any]:
    """Mastodon's Admin::Report entity, with Cove's fields beside it."""
    cove = info.as_json()
    document = report(info)
    del document["status_ids"]
    return document | {
        "updated_at": iso8601(info.updated_at),
        "account": account(info.reporter_uri),
        "statuses": (
            [
                {"id": info.target_uri, "uri": info.target_uri, "url": info.target_uri}
                | _reported_content(info)
            ]
            if info.target_is_post
            else []
        ),
        "target": info.target_uri,
        "group": info.group_uri,
        "reporter_server": info.reporter_host,
        "history": cove["history"],
    }


def log_entry(entry: ModLogEntry, *, hide_name: bool = False) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "action": entry.action,
        "moderator": None if hide_name else entry.moderator_uri,
        "target": entry.target_uri,
        "reason": entry.reason,
        "expires_at": when(entry.expires_at),
        "created_at": iso8601(entry.created_at),
    }


def queue_figures(figures: QueueFigures) -> dict[str, Any]:
    """The figures `cove queue status` shows."""
    document = asdict(figures)
    document["oldest_pending"] = when(figures.oldest_pending)
    document["oldest_received"] = when(figures.oldest_received)
    document["dead_hosts"] = [
        {"host": host, "failures": failures, "dead_until": when(until)}
        for host, failures, until in figures.dead_hosts
    ]
    return document


def domain_block(block: BlockInfo) -> dict[str, Any]:
    """Mastodon's Admin::DomainBlock, field for field."""
    return {
        "id": str(block.id),
        "domain": block.domain,
        "digest": block.digest,
        "created_at": iso8601(block.created_at),
        "severity": block.severity.value,
        "reject_media": block.reject_media,
        "reject_reports": block.reject_reports,
        "private_comment": block.private_comment or None,
        "public_comment": block.public_comment or None,
        "obfuscate": block.obfuscate,
    }


def domain_allow(allow: AllowInfo) -> dict[str, Any]:
    return {"id": str(allow.id), "domain": allow.domain, "created_at": iso8601(allow.created_at)}


def done() -> web.Response:
    """A write that has nothing to show: 204."""
    return web.Response(status=204)
