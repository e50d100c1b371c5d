"""Per-field change records for aggregates whose fields are corrected one at a time.

History and forensics must say which field went from what to what, so a change event
carries, for each field that really changed, its old and its new value. A request that
changes nothing yields no record at all: an empty change would be noise in the history.
"""

from collections.abc import Iterable, Mapping
from copy import copy
from typing import Any, TypedDict


class FieldChange(TypedDict):
    """One field's change. A plain dict once stored, so it round-trips through JSON."""

    field: str
    old: Any
    new: Any


def field_changes(current: object, proposed: Mapping[str, Any]) -> list[FieldChange]:
    """The changes of the proposed values that differ from the current ones."""
    return [
        FieldChange(field=field, old=getattr(current, field), new=new)
        for field, new in proposed.items()
        if getattr(current, field) != new
    ]


def apply_field_changes(aggregate: object, changes: Iterable[FieldChange]) -> None:
    """Set each changed field to its new value."""
    for change in changes:
        # A copy, so that mutating a list on the aggregate cannot rewrite the event.
        setattr(aggregate, change["field"], copy(change["new"]))
