"""The hash-chained event store on SQLite.

The library's recorder inserts the events; inside the same transaction, after the
INSERT has taken SQLite's single writer lock, we read the chain head, compute the links
and insert them. No other writer can slip in between, so the chain follows the
notification log exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteProcessRecorder,
)

from infra.chain import EMPTY_HEAD, Head, NewEntry, first_versions, link_batch
from infra.verification import EventRow, LinkRow

CHAIN_TABLE = "event_chain"
GUARDED_TABLES = ("stored_events", CHAIN_TABLE)


def _trigger_sql(table: str, action: str) -> str:
    """The definition SQLite keeps in sqlite_master for one guard trigger."""
    return (
        f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
    )


# name -> definition: verification compares both, so a same-named no-op is caught.
GUARD_TRIGGERS = {
    f"{table}_no_{action.lower()}": _trigger_sql(table, action)
    for table in GUARDED_TABLES
    for action in ("UPDATE", "DELETE")
}


def _append_only_triggers() -> list[str]:
    return [
        sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1)
        for sql in GUARD_TRIGGERS.values()
    ]


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """SQLite application recorder that appends a chain link for every event."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} ("
            "position INTEGER PRIMARY KEY, "
            "originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, "
            "prev_position INTEGER, "
            "entry_hash BLOB NOT NULL, "
            "chain_hash BLOB NOT NULL, "
            "aggregate_hash BLOB NOT NULL, "
            "UNIQUE (originator_id, originator_version))",
            *_append_only_triggers(),
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        assert positions is not None
        entries = [
            NewEntry(position, _as_uuid(e.originator_id), e.originator_version, e.topic, e.state)
            for position, e in zip(positions, stored_events, strict=True)
        ]
        links = link_batch(entries, self._head(c), self._aggregate_hashes(c, entries))
        c.executemany(
            f"INSERT INTO {CHAIN_TABLE} VALUES (?,?,?,?,?,?,?)",
            [
                (
                    link.position,
                    link.aggregate_id.hex,
                    link.version,
                    link.prev_position,
                    link.entry_hash,
                    link.chain_hash,
                    link.aggregate_hash,
                )
                for link in links
            ],
        )
        return positions

    @staticmethod
    def _head(c: SQLiteCursor) -> Head:
        c.execute(f"SELECT position, chain_hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1")
        row = c.fetchone()
        return Head(row[0], row[1]) if row else EMPTY_HEAD

    @staticmethod
    def _aggregate_hashes(
        c: SQLiteCursor, entries: Sequence[NewEntry]
    ) -> dict[tuple[UUID, int], bytes]:
        found = {}
        for aggregate_id, version in first_versions(entries):
            c.execute(
                f"SELECT aggregate_hash FROM {CHAIN_TABLE} "
                "WHERE originator_id=? AND originator_version=?",
                (aggregate_id.hex, version),
            )
            row = c.fetchone()
            if row:
                found[(aggregate_id, version)] = row[0]
        return found


class ChainedSQLiteProcessRecorder(SQLiteProcessRecorder, ChainedSQLiteApplicationRecorder):
    """Process recorder variant: tracking row and chained events in one transaction."""


def _canonical_id(text: object) -> UUID | None:
    """The id stored as the recorder writes it (32 lower-case hex digits), else None.

    The library looks events up by this exact text; another spelling of the same UUID
    would hide an event from the application while hashing the same.
    """
    if isinstance(text, str) and len(text) == 32:
        try:
            parsed = UUID(hex=text)
        except ValueError:
            return None
        if parsed.hex == text:
            return parsed
    return None


def _as_uuid(originator_id: UUID | str) -> UUID:
    return originator_id if isinstance(originator_id, UUID) else UUID(originator_id)


class SQLiteChainSnapshot:
    """Both chains as one read transaction sees them (WAL keeps the snapshot stable)."""

    def __init__(self, cursor_factory: Any) -> None:
        self._cursor = cursor_factory

    def events(self) -> Iterator[EventRow]:
        rows = self._cursor().execute(
            "SELECT rowid, originator_id, originator_version, topic, state "
            "FROM stored_events ORDER BY rowid"
        )
        for position, originator_id, version, topic, state in rows:
            yield position, _canonical_id(originator_id), version, topic, state

    def links(self) -> Iterator[LinkRow]:
        return self._links("position")

    def links_by_aggregate(self) -> Iterator[LinkRow]:
        return self._links("originator_id, originator_version")

    def _links(self, order: str) -> Iterator[LinkRow]:
        rows = self._cursor().execute(
            "SELECT position, originator_id, originator_version, prev_position, "
            f"entry_hash, chain_hash, aggregate_hash FROM {CHAIN_TABLE} ORDER BY {order}"
        )
        for position, originator_id, *rest in rows:
            yield (position, _canonical_id(originator_id), *rest)  # type: ignore[misc]

    def guard_problems(self) -> list[str]:
        rows = self._cursor().execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'")
        present = dict(rows.fetchall())
        return [
            f"trigger {name} is {'missing' if name not in present else 'altered'}"
            for name, sql in sorted(GUARD_TRIGGERS.items())
            if present.get(name) != sql
        ]


@contextmanager
def chain_snapshot(recorder: SQLiteApplicationRecorder) -> Iterator[SQLiteChainSnapshot]:
    with recorder.datastore.get_connection(commit=False) as connection:
        raw = connection._sqlite_conn  # noqa: SLF001 - plain cursors stream; the wrapper fetches all
        raw.execute("BEGIN")
        try:
            yield SQLiteChainSnapshot(lambda: _tuple_cursor(raw))
        finally:
            raw.execute("ROLLBACK")


def _tuple_cursor(raw: Any) -> Any:
    cursor = raw.cursor()
    cursor.row_factory = None  # plain tuples: several times faster than sqlite3.Row
    return cursor
