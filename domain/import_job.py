"""An import job: one spreadsheet file brought into the ledger by `system:import:<id>`.

The job is recorded so that every event it caused (actor `system:import:<job id>`) leads
back to the exact file (its SHA-256, its encoding, what became of each row) and to who
ran it: the job's own events carry that person's id as their actor.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.context import EventContext


class ImportJob(Aggregate):
    class Event(Aggregate.Event):
        context: EventContext

    class Started(Event, Aggregate.Created):
        """A file was accepted for import; `file_sha256` identifies it exactly."""

        agency_id: UUID
        file_sha256: str
        file_size: int
        encoding: str
        rows: int

    class Completed(Event):
        """The job finished; rejected rows are listed by line with the reason."""

        customers_created: int
        customers_matched: int
        policies_created: int
        policies_updated: int
        rows_rejected: list[dict[str, object]]
        rows_rejected_count: int

        def apply(self, aggregate: ImportJob) -> None:
            aggregate.completed = True

    class Aborted(Event):
        """The job stopped on an unexpected error; the rows before it stay imported."""

        error_type: str
        rows_imported: int

        def apply(self, aggregate: ImportJob) -> None:
            aggregate.completed = True

    def __init__(
        self, agency_id: UUID, file_sha256: str, file_size: int, encoding: str, rows: int
    ) -> None:
        self.agency_id = agency_id
        self.file_sha256 = file_sha256
        self.file_size = file_size
        self.encoding = encoding
        self.rows = rows
        self.completed = False

    @classmethod
    def start(
        cls,
        context: EventContext,
        *,
        id: UUID,
        file_sha256: str,
        file_size: int,  # noqa: A002
        encoding: str,
        rows: int,
    ) -> ImportJob:
        return cls._create(
            cls.Started,
            id=id,
            context=context,
            agency_id=context.agency_id,
            file_sha256=file_sha256,
            file_size=file_size,
            encoding=encoding,
            rows=rows,
        )

    def complete(
        self,
        context: EventContext,
        *,
        customers_created: int,
        customers_matched: int,
        policies_created: int,
        policies_updated: int,
        rows_rejected: list[dict[str, object]],
        rows_rejected_count: int,
    ) -> None:
        """`rows_rejected` may be the first of `rows_rejected_count` rejections."""
        self.trigger_event(
            self.Completed,
            context=context,
            customers_created=customers_created,
            customers_matched=customers_matched,
            policies_created=policies_created,
            policies_updated=policies_updated,
            rows_rejected=rows_rejected,
            rows_rejected_count=rows_rejected_count,
        )

    def abort(self, context: EventContext, *, error_type: str, rows_imported: int) -> None:
        self.trigger_event(
            self.Aborted, context=context, error_type=error_type, rows_imported=rows_imported
        )
