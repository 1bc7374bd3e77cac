"""Column shapes every table shares: lengths, ids, stored enums, moments, and the constraint
names migrations rely on."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from node.store.types import UTCDateTime

# Stable constraint names, so migrations can alter tables on SQLite (batch mode) and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


URI_LENGTH = 2048


MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: larger ones are refused early


DOMAIN_LENGTH = 253


def enum_type(enum: type[StrEnum], name: str) -> Any:
    # Stored as text with a CHECK constraint on both backends (no native PostgreSQL enum types,
    # which would need their own migrations for every new value).
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def moment(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)
