"""Configuration: one typed object from a TOML file, overridden by COVE_<SECTION>__<KEY> variables.

Every key, its type, default and check is declared once in SETTINGS; config.example.toml
documents the same keys (a test keeps the two in step).
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from federation.errors import Invalid
from moderation.crisis.places import country_problem, language_problem
from moderation.domains import FederationMode
from node.config_sections import (
    BlocklistSettings,
    Config,
    CrisisSettings,
    DatabaseSettings,
    FederationSettings,
    HttpSettings,
    InboxSettings,
    LogSettings,
    MailSettings,
    NodeSettings,
    PasswordSettings,
    PrivacySettings,
    RegistrationSettings,
)

__all__ = ["SETTINGS", "Config", "ConfigError", "DatabaseSettings", "load_config"]

ENV_PREFIX = "COVE_"
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(Invalid):
    """The configuration file or an override is unusable; the reason names the key."""


@dataclass(frozen=True, slots=True)
class Setting:
    section: str
    key: str
    type: type
    default: Any
    check: Callable[[Any], str | None] | None = None

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


def _check_base_url(value: str) -> str | None:
    if value == "":
        return None  # the default: http://<http.host>:<http.port>, for local runs
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http(s) URL such as https://community.example"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "must be the origin only (no path, query or fragment): Cove serves from the root"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    try:
        _ = parts.port
    except ValueError:
        return "has an invalid port"
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return "must use https; plain http is allowed only on a loopback address (local runs)"
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else "must be a port number from 1 to 65535"


def _check_not_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _check_database_url(value: str) -> str | None:
    if value == "":
        return None  # the default: SQLite under node.data_dir
    scheme = value.split("://", 1)[0]
    if scheme not in DATABASE_DRIVERS and scheme not in DATABASE_DRIVERS.values():
        known = ", ".join(sorted(DATABASE_DRIVERS))
        return f"must start with one of {known} (got {scheme!r})"
    return None


def _check_log_level(value: str) -> str | None:
    return None if value in LOG_LEVELS else f"must be one of {', '.join(LOG_LEVELS)}"


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _within(low: int, high: int, problem: str) -> Callable[[int], str | None]:
    def check(value: int) -> str | None:
        return None if low <= value <= high else problem

    return check


_check_timeout = _within(1, 300, "must be from 1 to 300 seconds")
_check_threshold = _within(1, 100, "must be from 1 to 100")
_check_sync_minutes = _within(5, 7 * 24 * 60, "must be from 5 minutes to a week (10080)")
_check_pool_size = _within(1, 200, "must be from 1 to 200")
_check_body_kb = _within(16, 10 * 1024, "must be from 16 to 10240 (KiB)")
_check_rate = _within(1, 1_000_000, "must be from 1 to 1000000 a minute")
_check_pending = _within(10, 10_000_000, "must be from 10 to 10000000")
_check_days = _within(1, 3650, "must be from 1 to 3650 days")
_check_minutes = _within(1, 1440, "must be from 1 to 1440 minutes")


def _check_address(value: str) -> str | None:
    if value == "":
        return None  # required only once mail.host is set
    local, at, domain = value.rpartition("@")
    return None if at and local and "." in domain and " " not in value else "must be an address"


def _check_country(value: str) -> str | None:
    return None if value == "" else country_problem(value)  # "": resources for anywhere only


# Plain database URL schemes map to the async drivers Cove uses.
DATABASE_DRIVERS: Mapping[str, str] = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}

SETTINGS: tuple[Setting, ...] = (
    Setting("node", "base_url", str, "", _check_base_url),
    Setting("node", "name", str, "Cove", _check_not_empty),
    Setting("node", "description", str, "A small community node on the fediverse."),
    Setting("node", "data_dir", str, "data", _check_not_empty),
    Setting("http", "host", str, "127.0.0.1", _check_not_empty),
    Setting("http", "port", int, 8080, _check_port),
    Setting("database", "url", str, "", _check_database_url),
    Setting("database", "pool_size", int, 5, _check_pool_size),
    Setting("privacy", "expose_followers", bool, False),
    Setting("federation", "allow_private_addresses", bool, False),
    Setting("federation", "authorized_fetch", bool, False),
    Setting("federation", "connect_timeout", int, 5, _check_timeout),
    Setting("federation", "read_timeout", int, 10, _check_timeout),
    Setting("federation", "request_timeout", int, 30, _check_timeout),
    Setting("federation", "mode", str, "blocklist", _one_of("blocklist", "allowlist")),
    Setting("federation", "expose_blocklist", bool, True),
    Setting("inbox", "max_body_kb", int, 1024, _check_body_kb),
    Setting("inbox", "actor_per_minute", int, 600, _check_rate),
    Setting("inbox", "host_per_minute", int, 6000, _check_rate),
    Setting("inbox", "host_pending", int, 20000, _check_pending),
    Setting("inbox", "keep_received_days", int, 30, _check_days),
    Setting("blocklists", "merge", str, "max", _one_of("max", "min")),
    Setting("blocklists", "threshold", int, 1, _check_threshold),
    Setting("blocklists", "threshold_type", str, "count", _one_of("count", "pct")),
    Setting("blocklists", "sync_minutes", int, 1440, _check_sync_minutes),
    Setting("crisis", "escalate_after_minutes", int, 15, _check_minutes),
    Setting("crisis", "keep_days", int, 90, _check_days),
    Setting("crisis", "second_stage", bool, False),
    Setting("crisis", "default_language", str, "en", language_problem),
    Setting("crisis", "default_country", str, "", _check_country),
    Setting("crisis", "worried_per_reporter", int, 3, _check_threshold),
    Setting("crisis", "worried_per_target", int, 5, _check_threshold),
    Setting("log", "level", str, "info", _check_log_level),
    Setting("registrations", "mode", str, "approval", _one_of("open", "approval", "closed")),
    Setting("registrations", "session_days", int, 30, _check_days),
    Setting("registrations", "staff_two_factor", bool, False),
    Setting("mail", "host", str, ""),
    Setting("mail", "port", int, 587, _check_port),
    Setting("mail", "from_address", str, "", _check_address),
    Setting("mail", "username", str, ""),
    Setting("mail", "password", str, ""),
    Setting("mail", "tls", str, "starttls", _one_of("none", "starttls", "tls")),
    Setting("mail", "timeout", int, 30, _check_timeout),
    Setting("passwords", "time_cost", int, 3, _within(1, 20, "must be from 1 to 20")),
    Setting(
        "passwords",
        "memory_kib",
        int,
        65536,
        _within(8, 4 * 1024 * 1024, "must be from 8 to 4194304 (KiB)"),
    ),
    Setting("passwords", "parallelism", int, 4, _within(1, 64, "must be from 1 to 64")),
)


def load_config(path: Path | None, environ: Mapping[str, str]) -> Config:
    """Read `path` (if given and present), apply environment overrides, validate, build."""
    raw: dict[str, Any] = {}
    source: Path | None = None
    if path is not None and path.exists():
        source = path
        raw = _read_toml(path)
    values = _from_file(raw, origin=f"config {path}")
    values.update(_from_environment(environ))
    return _build(values, base_dir=(path.parent if path is not None else Path.cwd()), source=source)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config {path}: not valid TOML: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"config {path}: cannot read it: {e}") from None


_BY_NAME: Mapping[str, Setting] = {s.name: s for s in SETTINGS}
_SECTIONS = {s.section for s in SETTINGS}


def _from_file(raw: Mapping[str, Any], origin: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for section, table in raw.items():
        if section not in _SECTIONS:
            raise ConfigError(f"{origin}: unknown section [{section}]")
        if not isinstance(table, dict):
            raise ConfigError(f"{origin}: {section} must be a table ([{section}])")
        for key, value in table.items():
            setting = _BY_NAME.get(f"{section}.{key}")
            if setting is None:
                raise ConfigError(f"{origin}: unknown key {section}.{key}")
            values[setting.name] = _typed(setting, value, origin)
    return values


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for variable, text in environ.items():
        if not variable.startswith(ENV_PREFIX) or "__" not in variable:
            continue
        section, _, key = variable[len(ENV_PREFIX) :].lower().partition("__")
        setting = _BY_NAME.get(f"{section}.{key}")
        origin = f"environment {variable}"
        if setting is None:
            raise ConfigError(f"{origin}: no such setting {section}.{key}")
        values[setting.name] = _typed(setting, _parse_env(setting, text, origin), origin)
    return values


def _parse_env(setting: Setting, text: str, origin: str) -> Any:
    if setting.type is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{origin}: {setting.name}: must be true or false (got {text!r})")
    if setting.type is int:
        try:
            return int(text.strip())
        except ValueError:
            raise ConfigError(
                f"{origin}: {setting.name}: must be an integer (got {text!r})"
            ) from None
    return text


def _typed(setting: Setting, value: Any, origin: str) -> Any:
    # bool is a subclass of int in Python: refuse `port = true` explicitly.
    if not isinstance(value, setting.type) or (setting.type is int and isinstance(value, bool)):
        kind = {str: "a string", int: "an integer", bool: "true or false"}[setting.type]
        raise ConfigError(f"{origin}: {setting.name}: must be {kind} (got {value!r})")
    if setting.check is not None:
        problem = setting.check(value)
        if problem:
            raise ConfigError(f"{origin}: {setting.name}: {problem} (got {value!r})")
    return value


def _build(values: Mapping[str, Any], base_dir: Path, source: Path | None) -> Config:
    def get(name: str) -> Any:
        return values.get(name, _BY_NAME[name].default)

    http = HttpSettings(host=get("http.host"), port=get("http.port"))
    base_url = str(get("node.base_url")).rstrip("/") or _local_base_url(http)
    data_dir = Path(get("node.data_dir"))
    if not data_dir.is_absolute():
        data_dir = (base_dir / data_dir).resolve()
    return Config(
        node=NodeSettings(
            base_url=base_url,
            name=get("node.name"),
            description=get("node.description"),
            data_dir=data_dir,
        ),
        http=http,
        database=DatabaseSettings(
            url=_database_url(get("database.url"), data_dir),
            pool_size=get("database.pool_size"),
        ),
        privacy=PrivacySettings(expose_followers=get("privacy.expose_followers")),
        federation=FederationSettings(
            allow_private_addresses=get("federation.allow_private_addresses"),
            authorized_fetch=get("federation.authorized_fetch"),
            connect_timeout=get("federation.connect_timeout"),
            read_timeout=get("federation.read_timeout"),
            request_timeout=get("federation.request_timeout"),
            mode=FederationMode(get("federation.mode")),
            expose_blocklist=get("federation.expose_blocklist"),
        ),
        inbox=InboxSettings(
            max_body_kb=get("inbox.max_body_kb"),
            actor_per_minute=get("inbox.actor_per_minute"),
            host_per_minute=get("inbox.host_per_minute"),
            host_pending=get("inbox.host_pending"),
            keep_received_days=get("inbox.keep_received_days"),
        ),
        blocklists=BlocklistSettings(
            merge=get("blocklists.merge"),
            threshold=get("blocklists.threshold"),
            threshold_type=get("blocklists.threshold_type"),
            sync_minutes=get("blocklists.sync_minutes"),
        ),
        crisis=CrisisSettings(
            escalate_after_minutes=get("crisis.escalate_after_minutes"),
            keep_days=get("crisis.keep_days"),
            second_stage=get("crisis.second_stage"),
            default_language=get("crisis.default_language"),
            default_country=get("crisis.default_country") or None,
            worried_per_reporter=get("crisis.worried_per_reporter"),
            worried_per_target=get("crisis.worried_per_target"),
        ),
        log=LogSettings(level=get("log.level")),
        registrations=RegistrationSettings(
            mode=get("registrations.mode"),
            session_days=get("registrations.session_days"),
            staff_two_factor=get("registrations.staff_two_factor"),
        ),
        mail=_mail(get),
        passwords=PasswordSettings(
            time_cost=get("passwords.time_cost"),
            memory_kib=get("passwords.memory_kib"),
            parallelism=get("passwords.parallelism"),
        ),
        source=source,
    )


def _mail(get: Callable[[str], Any]) -> MailSettings:
    mail = MailSettings(
        host=get("mail.host").strip(),
        port=get("mail.port"),
        from_address=get("mail.from_address"),
        username=get("mail.username"),
        password=get("mail.password"),
        tls=get("mail.tls"),
        timeout=get("mail.timeout"),
    )
    if mail.configured and not mail.from_address:
        raise ConfigError("mail.from_address: must be set when mail.host is (the sender of mail)")
    return mail


def _local_base_url(http: HttpSettings) -> str:
    host = http.host
    if not _is_loopback(host):
        raise ConfigError(
            f"node.base_url: must be set when http.host ({host}) is not a loopback address:"
            " it is the public https URL other servers reach this node at"
        )
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{http.port}"


def _database_url(url: str, data_dir: Path) -> str:
    if not url:
        return f"sqlite+aiosqlite:///{data_dir / 'cove.db'}"
    scheme, sep, rest = url.partition("://")
    return f"{DATABASE_DRIVERS.get(scheme, scheme)}{sep}{rest}"


def default_config_text() -> str:
    """The config `cove init` writes when none exists: a local node on SQLite."""
    return (
        "# Cove node configuration. Every key and its default: config.example.toml.\n"
        "# Environment variables override keys: COVE_<SECTION>__<KEY>, e.g. COVE_HTTP__PORT=8090.\n"
        "\n"
        "[node]\n"
        "# The public URL of this node. Unset, it is http://<http.host>:<http.port> (local runs).\n"
        '# base_url = "https://community.example"\n'
        'name = "Cove"\n'
        'data_dir = "data"\n'
        "\n"
        "[http]\n"
        'host = "127.0.0.1"\n'
        "port = 8080\n"
        "\n"
        "[federation]\n"
        "# A local node talks to peers on this machine too. Turn this off on a public node:\n"
        "# it stops remote documents from making the node fetch private addresses.\n"
        "allow_private_addresses = true\n"
    )
