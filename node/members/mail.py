"""Mail to account holders: the `Mailer` the node is given (SMTP from the [mail] settings), and
the few short plain-text mails Cove sends (confirm an address, reset a password, approved)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from federation.errors import CoveError
from node.config_sections import MailSettings
from node.locale import languages
from node.locale.languages import N_

log = logging.getLogger(__name__)


class MailNotSent(CoveError):
    """The mail server could not be reached or refused the mail: the reason says which."""

    status = 502


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    """Sends one mail, or raises MailNotSent."""

    async def send(self, mail: Mail) -> None: ...


class SmtpMailer:
    """Sends through the SMTP server of the [mail] settings, one connection per mail (the
    node sends few)."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, mail: Mail) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.from_address
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.text)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username or None,
                password=s.password or None,
                use_tls=s.tls == "tls",
                start_tls=s.tls == "starttls",
                timeout=s.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as e:
            # The reason names the server, never the recipient (an address is personal).
            log.warning("event=mail_failed host=%s error=%s", s.host, type(e).__name__)
            raise MailNotSent(
                "the mail server {host} did not take the mail: {error}", host=s.host, error=str(e)
            ) from None
        log.info("event=mail_sent host=%s subject=%r", s.host, mail.subject)


def mailer_from_settings(settings: MailSettings) -> Mailer | None:
    """The node's mailer, or None when no mail server is configured."""
    return SmtpMailer(settings) if settings.configured else None


def _letter(
    to: str, node_name: str, username: str, link: str, language: str | None, *words: str
) -> Mail:
    """A mail in the member's language (English when unknown): its subject, a greeting, the
    line before the link, the link, and the line after it."""
    _ = languages.translations(language or languages.DEFAULT).gettext
    subject, before, after = (_(w) % {"node": node_name} for w in words)
    greeting = _("Hello %(name)s,") % {"name": username}
    return Mail(to=to, subject=subject, text=f"{greeting}\n\n{before}\n\n{link}\n\n{after}\n")


def confirmation_mail(
    to: str, node_name: str, username: str, link: str, language: str | None = None
) -> Mail:
    return _letter(
        to,
        node_name,
        username,
        link,
        language,
        N_("Confirm your email for %(node)s"),
        N_("Thank you for joining %(node)s. To confirm this is your email address, open:"),
        N_(
            "The link works once, for two days. If you did not sign up, ignore this mail:"
            " nothing more will happen."
        ),
    )


def reset_mail(
    to: str, node_name: str, username: str, link: str, language: str | None = None
) -> Mail:
    return _letter(
        to,
        node_name,
        username,
        link,
        language,
        N_("Reset your password on %(node)s"),
        N_("Someone asked to reset the password of your account. To choose a new one, open:"),
        N_(
            "The link works once, for two hours. If it was not you, ignore this mail: your"
            " password stays as it is."
        ),
    )


def approved_mail(
    to: str, node_name: str, username: str, link: str, language: str | None = None
) -> Mail:
    return _letter(
        to,
        node_name,
        username,
        link,
        language,
        N_("Welcome to %(node)s"),
        N_("Your account on %(node)s is ready. You can sign in here:"),
        N_("We are glad you are here."),
    )
