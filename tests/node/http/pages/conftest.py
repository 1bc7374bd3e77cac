"""The account tests' nodes (a real SMTP server, a movable clock, cheap hashes) for pages."""

from tests.node.members.conftest import mail, make_node  # noqa: F401
