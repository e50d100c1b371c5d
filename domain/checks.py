"""Checks of single field values, shared by the aggregates.

Each check returns the value to store or raises DomainError naming the field. Values reach
the domain already parsed (by the API or an import), so a wrong type is refused as a broken
rule rather than coerced: coercing here would hide a bug at the edge.
"""

import re
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from domain.errors import DomainError

# Controls, C0 and C1 (NUL and the like break databases, terminals and CSV exports
# downstream; U+009B starts a terminal escape), lone surrogates (they cannot be stored
# as UTF-8), line and paragraph separators, and the direction controls, which make a
# name display as another ("Trojan Source"). Tab and line breaks are fine.
_FORBIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]"
)
# Characters that show nothing (zero-width, fillers, soft hyphen, variation selectors,
# tags): text made only of these and spaces is blank.
_INVISIBLE_CHARACTERS = re.compile(
    "[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200d\u2060-\u2064"
    "\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)


def required_text(value: Any, field: str, *, max_length: int) -> str:
    """Text that is not blank and not too long, kept as typed."""
    if not isinstance(value, str):
        raise DomainError(field, "must be text")
    if _FORBIDDEN_CHARACTERS.search(value):
        raise DomainError(field, "must not contain control or text-direction characters")
    if not _INVISIBLE_CHARACTERS.sub("", value).strip():
        raise DomainError(field, "must not be empty")
    if len(value) > max_length:
        raise DomainError(field, f"must be at most {max_length} characters")
    return value


def optional_text(value: Any, field: str, *, max_length: int) -> str | None:
    """Like required_text, but optional: None or blank text means none, because forms
    send a field the user emptied as ""."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return required_text(value, field, max_length=max_length)


def one_of(value: Any, allowed: Collection[str], field: str) -> str:
    """One of a fixed set of codes."""
    if not isinstance(value, str) or value not in allowed:
        raise DomainError(field, f"must be one of: {', '.join(sorted(allowed))}")
    return value


def identifier(value: Any, field: str) -> UUID:
    """The id of another record."""
    if not isinstance(value, UUID):
        raise DomainError(field, "must be a record id (UUID)")
    return value


def optional_identifier(value: Any, field: str) -> UUID | None:
    """The id of another record, or none."""
    return None if value is None else identifier(value, field)


def identifiers(value: Any, field: str) -> list[UUID]:
    """Ids of other records, each listed once."""
    if not isinstance(value, list | tuple):
        raise DomainError(field, "must be a list of record ids")
    ids = [identifier(item, field) for item in value]
    if len(set(ids)) != len(ids):
        raise DomainError(field, "must not list the same record twice")
    return ids


# Dates outside these are typing slips (0001-01-01, 9999-12-31), not insurance records:
# nobody alive was born before 1900, and a policy with no end has no end date at all.
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2199, 12, 31)


def calendar_date(value: Any, field: str) -> date:
    """A date without a time of day, between EARLIEST_DATE and LATEST_DATE."""
    # A datetime is a date subclass; accepting one would store a time nobody asked for
    # and break the date transcoding.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise DomainError(field, "must be a date")
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise DomainError(field, f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


def utc_instant(value: Any, field: str) -> datetime:
    """A timezone-aware instant, recorded in UTC (a front end sends +09:00)."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise DomainError(field, "must be a date and time with a timezone")
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+09:00 is an instant before the first one Python can hold.
        instant = None
    if instant is None or not EARLIEST_DATE <= instant.date() <= LATEST_DATE:
        raise DomainError(field, f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return instant


def yen(value: Any, field: str) -> int:
    """An amount of money in whole yen, not negative."""
    # bool is an int subclass; True yen is a bug at the edge, not an amount.
    if not isinstance(value, int) or isinstance(value, bool):
        raise DomainError(field, "must be a whole number of yen")
    if value < 0:
        raise DomainError(field, "must not be negative")
    return value


def text_list(value: Any, field: str, *, max_length: int) -> list[str]:
    """A list of non-blank texts, each listed once."""
    if not isinstance(value, list | tuple):
        raise DomainError(field, "must be a list")
    items = [
        required_text(item, f"{field}/{index}", max_length=max_length)
        for index, item in enumerate(value)
    ]
    if len(set(items)) != len(items):
        raise DomainError(field, "must not list the same entry twice")
    return items
