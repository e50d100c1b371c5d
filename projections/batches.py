"""Reading a projection's next events from the log, and applying them exactly once.

A batch is read without any lock (decoding events is the slow part), then applied in
one transaction that holds the projection's lock: there the stored position is read
again, events at or before it are skipped, and the position moves to the batch's end
in the same commit as the view changes. Two workers that read the same batch thus
apply it once between them, and a crash between two commits loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.domain import DomainEventProtocol

from infra.ledger import Ledger
from projections import positions
from projections.database import ProjectionDatabase
from projections.projection import Projection
from projections.view import View


@dataclass(frozen=True)
class Batch:
    """Every event the projection reads with a notification id in (after, through].

    `through` may lie beyond the last event read: the events of other topics in the
    range are not the projection's concern.
    """

    after: int
    through: int
    events: Sequence[tuple[int, DomainEventProtocol[Any]]]


def read_batch(ledger: Ledger, projection: Projection, after: int, limit: int) -> Batch | None:
    """The next events after `after`, at most `limit` of them; None when there are none
    to read because the log ends at `after`."""
    # Read the head first: every id up to it is committed (writers append in id order),
    # so a short read below means nothing of ours is left up to the head.
    head = ledger.recorder.max_notification_id() or 0
    if head <= after:
        return None
    notifications = ledger.recorder.select_notifications(
        start=after + 1, limit=limit, stop=head, topics=projection.topics
    )
    through = notifications[-1].id if len(notifications) == limit else head
    events = [(n.id, ledger.mapper.to_domain_event(n)) for n in notifications]
    return Batch(after, through, events)


def apply_batch(db: ProjectionDatabase, projection: Projection, batch: Batch) -> int:
    """Apply what the stored position has not yet covered; returns how many events.

    Nothing is applied when the stored position is already at or past the batch's end,
    or is before its start (the batch would leave a hole), or when the stored tables
    were built with another layout (they need a rebuild first).
    """
    with db.transaction(lock=projection.name) as tx:
        stored = positions.read(tx, projection.name)
        if (
            stored is None
            or stored.layout != projection.layout
            or not batch.after <= stored.position < batch.through
        ):
            return 0
        pending = [event for position, event in batch.events if position > stored.position]
        applied = projection.apply(View(tx), pending)
        positions.advance(tx, projection.name, batch.through)
        return applied
