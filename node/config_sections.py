"""The typed sections of the configuration, one frozen value per [section] of the file;
node.config declares the keys, reads and checks them, and builds these."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from moderation.domains import FederationMode


@dataclass(frozen=True, slots=True)
class NodeSettings:
    base_url: str
    name: str
    description: str
    data_dir: Path

    @property
    def domain(self) -> str:
        """host[:port] as it appears in acct: handles."""
        return urlsplit(self.base_url).netloc.lower()


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str
    pool_size: int

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def where(self) -> str:
        """Where the data lives, to tell an admin: the SQLite file, or the PostgreSQL server
        and database (host:port/name). Never the user or the password the URL may carry."""
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        if self.is_sqlite:
            return url.database or ":memory:"
        return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    expose_followers: bool


@dataclass(frozen=True, slots=True)
class FederationSettings:
    allow_private_addresses: bool
    authorized_fetch: bool
    connect_timeout: int
    read_timeout: int
    request_timeout: int  # a whole request, answer included, however slowly it comes
    mode: FederationMode
    expose_blocklist: bool


@dataclass(frozen=True, slots=True)
class InboxSettings:
    """What one sender may put into the inboxes (each process counts on its own), and how
    long received activities keep their bodies once applied."""

    max_body_kb: int
    actor_per_minute: int  # activities from one actor
    host_per_minute: int  # activities from all the actors of one server
    host_pending: int  # received from one server and not yet applied
    keep_received_days: int


@dataclass(frozen=True, slots=True)
class BlocklistSettings:
    """How subscribed blocklists merge (as FediBlockHole merges) and how often they sync."""

    merge: str  # "max": the strictest source wins; "min": the mildest
    threshold: int  # how many sources (or what percentage of them) must list a domain
    threshold_type: str  # "count" or "pct"
    sync_minutes: int


@dataclass(frozen=True, slots=True)
class CrisisSettings:
    """Crisis care: when an acute item nobody took up goes further, how long assessments are
    kept, the language and country of care messages when a person's are unknown, and how many
    "worried about someone" reports a day count (from one reporter, about one person)."""

    escalate_after_minutes: int  # then every moderator of the group; as long again, staff
    keep_days: int  # assessments are purged after this many days
    second_stage: bool  # the shipped model may raise what the lists read (off by default)
    default_language: str
    default_country: str | None  # None: resources for anywhere ("*") only
    worried_per_reporter: int
    worried_per_target: int


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str


@dataclass(frozen=True, slots=True)
class RegistrationSettings:
    """Who may sign up on the web (as Mastodon's modes: anyone, anyone once approved, or only
    with an invite), how long a web session lasts unused, and whether node staff must use
    two-factor sign-in."""

    mode: str  # "open", "approval" or "closed"
    session_days: int  # a web session ends this many days after it was last used
    staff_two_factor: bool  # admins and node moderators must turn two-factor sign-in on


@dataclass(frozen=True, slots=True)
class MailSettings:
    """The SMTP server the node sends mail through (sign-up confirmations, password resets).
    With no host the node sends no mail."""

    host: str  # "": mail is not configured
    port: int
    from_address: str
    username: str  # "": the server takes mail without signing in
    password: str
    tls: str  # "none", "starttls" or "tls" (TLS from the first byte, usually port 465)
    timeout: int  # seconds for one mail, connection included

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True, slots=True)
class PasswordSettings:
    """Argon2id's cost for new password hashes; the defaults are the library's. Lower them only
    for tests: a stored hash made with other parameters is redone at the next sign-in."""

    time_cost: int
    memory_kib: int
    parallelism: int


@dataclass(frozen=True, slots=True)
class Config:
    node: NodeSettings
    http: HttpSettings
    database: DatabaseSettings
    privacy: PrivacySettings
    federation: FederationSettings
    inbox: InboxSettings
    blocklists: BlocklistSettings
    crisis: CrisisSettings
    log: LogSettings
    registrations: RegistrationSettings
    mail: MailSettings
    passwords: PasswordSettings
    source: Path | None  # the file it came from, if any
