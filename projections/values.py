"""Event values as the projection tables store them: TEXT that both backends compare
the same way, and that is already what the JSON API sends.

Instants have one fixed width (microseconds always present, `Z` for UTC) so that their
text sorts in time order; `datetime.isoformat()` drops zero microseconds and would not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, overload
from uuid import UUID


def instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@overload
def day(value: date) -> str: ...
@overload
def day(value: None) -> None: ...
def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@overload
def uid(value: UUID) -> str: ...
@overload
def uid(value: None) -> None: ...
def uid(value: UUID | None) -> str | None:
    """The canonical text of a uuid (lower-case, hyphenated)."""
    return None if value is None else str(value)


def json_list(values: Sequence[Any]) -> str:
    """A list as JSON text, uuids as their canonical text."""
    return json.dumps(
        [str(value) if isinstance(value, UUID) else value for value in values],
        ensure_ascii=False,
    )
