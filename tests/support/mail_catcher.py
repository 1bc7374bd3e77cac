"""A real SMTP server on loopback (aiosmtpd, on the test's own event loop) that keeps every
mail it is given, for tests that read what the node sent."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class MailCatcher:
    host: str
    port: int
    mails: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.mails.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def settings(self) -> dict[str, Any]:
        """The [mail] settings that send here."""
        return {
            "host": self.host,
            "port": self.port,
            "from_address": "cove@node.test",
            "tls": "none",
            "timeout": 5,
        }

    def text(self, mail: Message) -> str:
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())  # type: ignore[attr-defined]

    def link(self, mail: Message, path: str) -> str:
        """The token of the link to `path` in a mail."""
        found = re.search(re.escape(path) + r"\?token=([A-Za-z0-9_%-]+)", self.text(mail))
        assert found is not None, self.text(mail)
        return found.group(1)


@asynccontextmanager
async def mail_catcher(host: str = "127.0.0.1") -> AsyncIterator[MailCatcher]:
    catcher = MailCatcher(host, 0)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(catcher, hostname="catcher.test"), host, 0)
    catcher.port = server.sockets[0].getsockname()[1]
    try:
        yield catcher
    finally:
        server.close()
        await server.wait_closed()
