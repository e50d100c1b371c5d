"""From an aggregate's fields to a projection's columns.

A registration event carries every field and a change event carries the fields that
changed; both go through the same per-field conversion, so the row a registration
inserts and the row later changes update can never drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from domain.changes import FieldChange

Columns = dict[str, Any]
FieldColumns = Callable[[Any], Columns]


class UnknownField(Exception):
    """A change names a field the projection does not know: its code is older than the
    events, and must learn the field (with a new layout) before going further."""

    def __init__(self, field: str) -> None:
        super().__init__(f"no column for the field {field!r}")
        self.field = field


def column(name: str, convert: Callable[[Any], Any] = lambda value: value) -> FieldColumns:
    """A field stored in one column, converted for storage."""
    return lambda value: {name: convert(value)}


def columns_of(fields: Mapping[str, FieldColumns], values: Mapping[str, Any]) -> Columns:
    """The columns for the given field values."""
    columns: Columns = {}
    for field, value in values.items():
        if field not in fields:
            raise UnknownField(field)
        columns.update(fields[field](value))
    return columns


def registered_values(fields: Mapping[str, FieldColumns], event: object) -> Mapping[str, Any]:
    """The value of each field as a registration event carries it."""
    return {field: getattr(event, field) for field in fields}


def changed_values(changes: Iterable[FieldChange]) -> Mapping[str, Any]:
    """The new value of each field a change event changed."""
    return {change["field"]: change["new"] for change in changes}
