"""The columns every aggregate's row shares: its id, its version and when it was
created and last changed, all taken from the events (never from the clock, so that a
rebuild reproduces the rows exactly)."""

from __future__ import annotations

from eventsourcing.domain import AggregateEvent

from projections.fields import Columns
from projections.values import instant, uid
from projections.view import View


def created_columns(event: AggregateEvent) -> Columns:
    """The shared columns of the row an aggregate's first event creates."""
    at = instant(event.timestamp)
    return {
        "id": uid(event.originator_id),
        "version": event.originator_version,
        "created_at": at,
        "updated_at": at,
    }


def update_row(view: View, table: str, event: AggregateEvent, columns: Columns) -> None:
    """Set columns of the event's aggregate's row, with its new version and time."""
    view.update(
        table,
        str(event.originator_id),
        {**columns, "version": event.originator_version, "updated_at": instant(event.timestamp)},
    )
