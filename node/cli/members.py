"""The `cove member` commands: a local member joins groups here or elsewhere, posts, replies,
edits, deletes and likes, accepts a group's rules, and reads their feed and notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from node.cli.console import Invocation, Parser, emit, with_client, with_node
from node.cli.group_argument import (
    GROUP_ANYWHERE_HELP,
    GROUP_HERE_HELP,
    group_url,
    local_group,
)

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.runtime import Node


def add_commands(member: Any, common: Parser) -> None:
    """The members' commands, added to `cove member`."""
    join = member.add_parser("join", parents=[common], help="join (follow) a group")
    join.add_argument("account", help="the local member")
    join.add_argument("group", help=GROUP_ANYWHERE_HELP)
    join.add_argument(
        "--accept-rules",
        action="store_true",
        help="accept the group's rules (read them first: cove group rules show)",
    )
    join.add_argument(
        "--rules-version",
        type=int,
        metavar="N",
        help="the version of the rules you read: refused if newer rules came out since",
    )
    join.set_defaults(run=cmd_member_join)
    post = member.add_parser("post", parents=[common], help="post or reply into a group")
    post.add_argument("account")
    post.add_argument("group", help=GROUP_ANYWHERE_HELP)
    post.add_argument("--text", required=True)
    post.add_argument("--title", help="a title starts a thread")
    post.add_argument("--cw", help="a content warning: the post stays closed until opened")
    post.add_argument("--reply-to", help="URL of the post this replies to")
    post.add_argument(
        "--anonymous", action="store_true", help="show the group as author (groups here)"
    )
    post.set_defaults(run=cmd_member_post)
    edit = member.add_parser("edit", parents=[common], help="edit one of your posts")
    edit.add_argument("account")
    edit.add_argument("post", help="the post's URL")
    edit.add_argument("--text", required=True, help="the post's words, all of them")
    edit.add_argument("--title", help="a new title (a thread's first post; default: as it is)")
    edit.add_argument(
        "--content-warning",
        "--cw",
        dest="cw",
        help='a new content warning ("" takes it off; default: as it is)',
    )
    edit.set_defaults(run=cmd_member_edit)
    for verb, helptext in (("delete", "delete one of your posts"), ("like", "like a post")):
        act = member.add_parser(verb, parents=[common], help=helptext)
        act.add_argument("account")
        act.add_argument("post", help="the post's URL")
        act.set_defaults(run=cmd_member_act, verb=verb)
    feed = member.add_parser("feed", parents=[common], help="posts of the member's groups")
    feed.add_argument("account")
    feed.set_defaults(run=cmd_member_feed)

    accept = member.add_parser("accept-rules", parents=[common], help="accept a group's rules")
    accept.add_argument("account")
    accept.add_argument("group", help=GROUP_HERE_HELP)
    accept.add_argument("--version", type=int, required=True, help="the version you read")
    accept.set_defaults(run=cmd_accept_rules)
    notes = member.add_parser("notifications", parents=[common], help="a member's notifications")
    notes.add_argument("account")
    notes.set_defaults(run=cmd_notifications)


async def cmd_member_join(inv: Invocation) -> None:
    from node.members import accounts, participation

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        group = await group_url(node, client, a.group)
        state = await participation.join(
            node,
            client,
            account,
            group,
            accept_rules=a.accept_rules,
            rules_version=a.rules_version,
        )
        emit(
            inv,
            {"account": account.username, "group": group, "state": state},
            f"{account.username} asked to join {a.group}: {state}",
        )

    await with_client(inv, work)


async def cmd_member_post(inv: Invocation) -> None:
    from node.members import accounts, participation

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        group = await group_url(node, client, a.group)
        post_id = await participation.publish(
            node,
            client,
            account,
            group,
            a.text,
            title=a.title,
            in_reply_to=a.reply_to,
            anonymous=a.anonymous,
            content_warning=a.cw,
        )
        emit(inv, {"post": post_id, "group": group}, f"posted {post_id}")

    await with_client(inv, work)


async def cmd_member_edit(inv: Invocation) -> None:
    from node.members import accounts, participation

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        await participation.edit(
            node,
            client,
            account,
            a.post,
            a.text,
            title=(a.title or "").strip() or None,
            content_warning=a.cw,
        )
        emit(inv, {"post": a.post, "edited": True}, f"edited {a.post}")

    await with_client(inv, work)


async def cmd_member_act(inv: Invocation) -> None:
    from node.members import accounts, participation

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        act = participation.delete if a.verb == "delete" else participation.like
        await act(node, client, account, a.post)
        done = "deleted" if a.verb == "delete" else "liked"
        emit(inv, {"post": a.post, a.verb: True}, f"{done} {a.post}")

    await with_client(inv, work)


async def cmd_member_feed(inv: Invocation) -> None:
    from node.members import accounts, participation

    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, inv.args.account)
        posts = await participation.feed(node, account)
        data = [
            {
                "post": p.uri,
                "group": p.group_uri,
                "author": p.author_uri if not p.anonymous else p.group_uri,
                "title": p.title,
                "content_warning": p.content_warning,
                "content_html": p.content_html,
                "published": p.published,
            }
            for p in posts
        ]
        human = "\n".join(
            f"{p.published:%Y-%m-%d %H:%M}  {p.title or '(reply)'}  {p.uri}" for p in posts
        )
        emit(inv, data, human or "(nothing yet)")

    await with_node(inv, work)


async def cmd_accept_rules(inv: Invocation) -> None:
    from node.groups import rules
    from node.members import accounts

    a = inv.args

    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        group = local_group(node, a.group)
        await rules.accept_rules(node, group, node.urls.person(account.username), a.version)
        emit(
            inv,
            {"account": a.account, "group": group, "version": a.version},
            f"{a.account} accepted version {a.version} of the rules of {group}",
        )

    await with_node(inv, work)


async def cmd_notifications(inv: Invocation) -> None:
    from node.members import accounts, notifications

    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, inv.args.account)
        found = await notifications.notifications(node, account)
        emit(
            inv,
            [n.as_json() for n in found],
            "\n".join(f"{n.created_at:%Y-%m-%d %H:%M}  {n.text}" for n in found) or "(none)",
        )

    await with_node(inv, work)
