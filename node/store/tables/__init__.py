"""The tables, one module per room of the node (actors, members, groups, queue, moderation,
domain policy). Importing the package registers every table on SQLModel.metadata (migrations
and the store need them all), and every table is importable from here by its name."""

from node.store.tables.actors import Instance, LocalActor, RemoteActor, SigningKey
from node.store.tables.columns import DOMAIN_LENGTH, MAX_ID, URI_LENGTH
from node.store.tables.crisis import (
    CareMessage,
    Credential,
    CrisisAssessment,
    CrisisResource,
    CrisisWebhook,
    ModeratorDuty,
    WebhookDelivery,
)
from node.store.tables.domain_policy import (
    BlocklistSource,
    DomainAllow,
    DomainBlock,
    DomainDraft,
    DomainExclude,
    GroupDomainBlock,
    PolicyFollower,
    PolicyPublished,
    SourceEntry,
)
from node.store.tables.groups import CommunityGroup, Membership, Post, RemoteMembership, RuleSet
from node.store.tables.members import (
    Account,
    ApiToken,
    Notification,
    PersonBlock,
    RemoteBlock,
)
from node.store.tables.moderation import Ban, ModLogEntry, Report, ReportEvent
from node.store.tables.queue import Activity, ChangeCounter, Delivery, PeerServer

__all__ = [
    "DOMAIN_LENGTH",
    "MAX_ID",
    "URI_LENGTH",
    "Account",
    "Activity",
    "ApiToken",
    "Ban",
    "BlocklistSource",
    "CareMessage",
    "ChangeCounter",
    "CommunityGroup",
    "Credential",
    "CrisisAssessment",
    "CrisisResource",
    "CrisisWebhook",
    "Delivery",
    "DomainAllow",
    "DomainBlock",
    "DomainDraft",
    "DomainExclude",
    "GroupDomainBlock",
    "Instance",
    "LocalActor",
    "Membership",
    "ModLogEntry",
    "ModeratorDuty",
    "Notification",
    "PeerServer",
    "PersonBlock",
    "PolicyFollower",
    "PolicyPublished",
    "Post",
    "RemoteActor",
    "RemoteBlock",
    "RemoteMembership",
    "Report",
    "ReportEvent",
    "RuleSet",
    "SigningKey",
    "SourceEntry",
    "WebhookDelivery",
]
