"""Loading and saving one agency's records, the way every command use case does.

A record of another agency is reported exactly like a record that does not exist, so
that ids cannot be probed across tenants. Saving returns the log position of the last
event, which callers hand to the projections to read their own writes.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from infra.ledger import Ledger
from services.requests import RequestMeta

A = TypeVar("A", bound=Aggregate)


class NotFound(LookupError):
    """No such record in the caller's agency; `field` names the request's field that
    referred to it, when it was not the path's id."""

    def __init__(self, kind: str, field: str | None = None) -> None:
        super().__init__(f"no such {kind}")
        self.kind = kind
        self.field = field


class DuplicateRecord(Exception):
    """A record with the same identity exists already (e.g. a policy's insurer and
    number)."""

    def __init__(self, kind: str, existing_id: UUID) -> None:
        super().__init__(f"this {kind} exists already")
        self.existing_id = existing_id


class VersionConflict(Exception):
    """The record changed since the client read it (If-Match names an older version)."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the record is at version {current}")
        self.current = current


def load(
    ledger: Ledger,
    meta: RequestMeta,
    kind: type[A],
    record_id: UUID,
    label: str,
    field: str | None = None,
) -> A:
    """The caller's agency's record, or NotFound (naming `field`, the body's reference
    to it, if that is where the id came from)."""
    try:
        record = ledger.repository.get(record_id)
    except AggregateNotFoundError:
        raise NotFound(label, field) from None
    if not isinstance(record, kind) or getattr(record, "agency_id", None) != meta.agency_id:
        raise NotFound(label, field)
    return record


def require_version(record: Aggregate, expected: int) -> None:
    if record.version != expected:
        raise VersionConflict(record.version)


def save(ledger: Ledger, *records: Aggregate) -> int | None:
    """Appends the records' pending events; None when there was nothing to record.

    A concurrent writer that appended the same version first makes this fail as a
    version conflict, never as a lost update.
    """
    pending = records[0].pending_events if records else []
    creating = bool(pending) and pending[0].originator_version == 1
    try:
        recordings = ledger.save(*records)
    except IntegrityError:
        if creating:
            raise DuplicateRecord(type(records[0]).__name__.lower(), records[0].id) from None
        latest = ledger.repository.get(records[0].id)
        raise VersionConflict(latest.version) from None
    return recordings[-1].notification.id if recordings else None
