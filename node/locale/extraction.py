"""Where the words people read are written: the pages' templates and code, the mails, and the
reasons errors give (the first argument of each error raised in the rooms the pages call),
found once here for `make messages` and for the test that every word has its translation."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

ROOT = Path(__file__).parents[2]
MAPPING = Path(__file__).with_name("babel.cfg")

# The errors whose first argument is a reason a person reads (federation/errors.py and the
# rooms' own kinds of them), and Sentence: each call's literal first argument is a word.
SAYERS = (
    "CoveError",
    "Invalid",
    "UnsupportedType",
    "NotFound",
    "Unauthorized",
    "Refused",
    "Conflict",
    "NotAcceptable",
    "FetchError",
    "Unanswered",
    "AddressRefused",
    "PolicyRefused",
    "TooManyAttempts",
    "TwoFactorNeeded",
    "MailNotSent",
    "IdentityMismatch",
    "Sentence",
)
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    **dict.fromkeys(SAYERS),
}


def words() -> Iterator[tuple[str, str]]:
    """Every word and where it is written (a path from the project's root)."""
    with MAPPING.open() as f:
        method_map, options = parse_mapping_cfg(f)  # type: ignore[no-untyped-call]
    for path, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=KEYWORDS
    ):
        yield (message if isinstance(message, str) else message[0]), path


if __name__ == "__main__":  # the keywords as pybabel's options, for `make messages`
    sys.stdout.write(" ".join(f"-k {name}" for name in [*SAYERS, "ngettext:1,2"]) + "\n")
