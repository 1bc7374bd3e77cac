"""The URL layout of a node: every id and endpoint of local actors, in one place."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote, urlsplit


@dataclass(frozen=True, slots=True)
class Urls:
    base: str  # scheme://host[:port], no trailing slash

    @property
    def domain(self) -> str:
        return urlsplit(self.base).netloc.lower()

    def root(self) -> str:
        return f"{self.base}/"

    # The instance (Application) actor, at Mastodon's path.
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def instance_outbox(self) -> str:
        return f"{self.base}/actor/outbox"

    def domain_policy(self) -> str:
        """The node's public domain policy, a collection on its instance actor."""
        return f"{self.base}/actor/policy"

    def policy_entry(self, digest: str) -> str:
        return f"{self.base}/actor/policy/{digest}"

    def group(self, name: str) -> str:
        return f"{self.base}/g/{name}"

    def person(self, name: str) -> str:
        return f"{self.base}/u/{name}"

    def key_id(self, actor_id: str) -> str:
        return f"{actor_id}#main-key"

    def proof_key_id(self, actor_id: str) -> str:
        """The Ed25519 key of the actor's object integrity proofs (FEP-8b32, FEP-521a)."""
        return f"{actor_id}#ed25519-key"

    def webfinger(self) -> str:
        return f"{self.base}/.well-known/webfinger"

    def nodeinfo(self) -> str:
        return f"{self.base}/nodeinfo/2.1"

    def vocabulary(self) -> str:
        return f"{self.base}/ns"

    def activity(self, token: str) -> str:
        return f"{self.base}/activities/{token}"

    def derived_activity(self, kind: str, *parts: str) -> str:
        """An activity id that follows from what caused it: applying the same received
        activity twice (after a crash, say) writes the same outbound activity once, not twice."""
        digest = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:24]
        return self.activity(f"{kind}-{digest}")

    def topic(self, topic: str) -> str:
        """Where a topic's groups are listed (the href of its Hashtag, as Mastodon's /tags/)."""
        return f"{self.base}/tags/{quote(topic, safe='')}"

    def post(self, token: str) -> str:
        return f"{self.base}/posts/{token}"

    def thread(self, group_name: str, post_id: int) -> str:
        """The page of a post in a group here, with the replies beneath it."""
        return f"{self.base}/g/{group_name}/t/{post_id}"

    @staticmethod
    def inbox(actor_id: str) -> str:
        return f"{actor_id}/inbox"

    @staticmethod
    def outbox(actor_id: str) -> str:
        return f"{actor_id}/outbox"

    @staticmethod
    def followers(actor_id: str) -> str:
        return f"{actor_id}/followers"

    @staticmethod
    def following(actor_id: str) -> str:
        return f"{actor_id}/following"

    @staticmethod
    def moderators(actor_id: str) -> str:
        return f"{actor_id}/moderators"

    @staticmethod
    def modlog(actor_id: str) -> str:
        return f"{actor_id}/modlog"

    @staticmethod
    def featured(actor_id: str) -> str:
        return f"{actor_id}/featured"
