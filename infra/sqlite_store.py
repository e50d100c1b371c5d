"""The hash-chained event store on SQLite.

Each event row carries its own chain links (prev_position, entry_hash, chain_hash,
aggregate_hash), so an append writes one row and one index entry per event, as the
library's own recorder does. The transaction starts with BEGIN IMMEDIATE: it holds
SQLite's single writer lock before it reads the chain head, so the positions it
assigns (head + 1, + 2, …) and the links it computes follow the log exactly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteFactory,
    SQLiteProcessRecorder,
    SQLiteTransaction,
)

from infra.chain import EMPTY_HEAD, Head, NewEntry, link_batch, previous_versions
from infra.verification import AggregateLinkRow, StoredRow, UnreadableStore

EVENTS_TABLE = "stored_events"


def _trigger_sql(action: str) -> str:
    """The definition SQLite keeps in sqlite_master for one guard trigger."""
    return (
        f"CREATE TRIGGER {EVENTS_TABLE}_no_{action.lower()} BEFORE {action} ON {EVENTS_TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{EVENTS_TABLE} is append-only'); END"
    )


# name -> definition: verification compares both, so a same-named no-op is caught.
GUARD_TRIGGERS = {
    f"{EVENTS_TABLE}_no_{action.lower()}": _trigger_sql(action) for action in ("UPDATE", "DELETE")
}

# The library's events table plus the link columns; rowid is the position.
CREATE_EVENTS_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} ("
    "originator_id TEXT, "
    "originator_version INTEGER, "
    "topic TEXT, "
    "state BLOB, "
    "prev_position INTEGER, "
    "entry_hash BLOB NOT NULL, "
    "chain_hash BLOB NOT NULL, "
    "aggregate_hash BLOB NOT NULL, "
    "PRIMARY KEY (originator_id, originator_version))"
)
INSERT_EVENT = (
    f"INSERT INTO {EVENTS_TABLE} (rowid, originator_id, originator_version, topic, state, "
    "prev_position, entry_hash, chain_hash, aggregate_hash) VALUES (?,?,?,?,?,?,?,?,?)"
)
SELECT_AGGREGATE_HASH = (
    f"SELECT aggregate_hash FROM {EVENTS_TABLE} WHERE originator_id=? AND originator_version=?"
)
# The head, and one aggregate's previous hash (NULL if none asked or found) with it: a
# single-event append, the common case, then reads in one statement.
SELECT_HEAD = (
    f"SELECT rowid, chain_hash, ({SELECT_AGGREGATE_HASH}) "
    f"FROM {EVENTS_TABLE} ORDER BY rowid DESC LIMIT 1"
)


STATEMENT_CACHE_SIZE = 64


class _StatementCachingPool(SQLiteConnectionPool):
    """The library's pool, with connections that keep their compiled statements.

    The library opens them with a statement cache of one, so an append's statements
    (BEGIN, head lookup, INSERT) are compiled afresh every time: ~40 µs of a ~200 µs
    single-event append (docs/performance.md).
    """

    def _create_connection(self) -> SQLiteConnection:
        try:
            raw = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,  # autocommit: transactions are begun explicitly
                cached_statements=STATEMENT_CACHE_SIZE,
                timeout=self.lock_timeout or 5,
            )
        except (sqlite3.Error, TypeError) as error:
            raise InterfaceError(error) from error
        raw.execute("PRAGMA journal_mode=WAL")  # a no-op once the file is in WAL mode
        raw.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=raw, max_age=self.max_age)


class ChainedSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory, on the statement-caching pool."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        library_pool = self.datastore.pool
        self.datastore.pool = _StatementCachingPool(
            db_name=library_pool.db_name, lock_timeout=library_pool.lock_timeout
        )
        library_pool.close()


class _ImmediateTransaction(SQLiteTransaction):
    """The library's transaction (and its error translation), begun as a writer."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """SQLite application recorder whose event rows carry their chain links."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            CREATE_EVENTS_TABLE,
            *(
                sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1)
                for sql in GUARD_TRIGGERS.values()
            ),
        ]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with (
            self.datastore.get_connection(commit=True) as connection,
            _ImmediateTransaction(connection, commit=True) as cursor,
        ):
            return self._insert_events(cursor, stored_events, **kwargs)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        keys = [(_as_uuid(e.originator_id), e.originator_version) for e in stored_events]
        lookups = previous_versions(keys)
        first_lookup = lookups[0] if lookups else (None, 0)
        c.execute(SELECT_HEAD, (first_lookup[0] and first_lookup[0].hex, first_lookup[1]))
        row = c.fetchone()
        head, previous = EMPTY_HEAD, {}
        if row:
            head = Head(row[0], row[1])
            if row[2] is not None:
                previous[first_lookup] = row[2]
        for aggregate_id, version in lookups[1:]:
            c.execute(SELECT_AGGREGATE_HASH, (aggregate_id.hex, version))
            found = c.fetchone()
            if found:
                previous[(aggregate_id, version)] = found[0]
        first = (head.position or 0) + 1
        entries = [
            NewEntry(position, aggregate_id, version, e.topic, e.state)
            for position, ((aggregate_id, version), e) in enumerate(
                zip(keys, stored_events, strict=True), first
            )
        ]
        rows = [  # the columns of INSERT_EVENT; the id as the library stores it
            (position, aggregate_id.hex, version, entry.topic, entry.state, *chain_columns)
            for entry, (position, aggregate_id, version, *chain_columns) in zip(
                entries, link_batch(entries, head, previous), strict=True
            )
        ]
        if len(rows) == 1:
            c.execute(INSERT_EVENT, rows[0])  # executemany costs twice as much for one row
        else:
            c.executemany(INSERT_EVENT, rows)
        return [entry.position for entry in entries]


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
    """The chained log as one read transaction sees it (WAL keeps the snapshot stable)."""

    def __init__(self, cursor_factory: Any) -> None:
        self._cursor = cursor_factory

    def _select(self, sql: str) -> Iterator[Any]:
        try:
            rows = self._cursor().execute(sql)
        except sqlite3.Error as error:
            raise UnreadableStore(str(error)) from error
        for position, originator_id, *rest in rows:
            yield (position, _canonical_id(originator_id), *rest)

    def rows(self) -> Iterator[StoredRow]:
        return self._select(
            "SELECT rowid, originator_id, originator_version, topic, state, prev_position, "
            f"entry_hash, chain_hash, aggregate_hash FROM {EVENTS_TABLE} ORDER BY rowid"
        )

    def aggregate_links(self) -> Iterator[AggregateLinkRow]:
        return self._select(
            "SELECT rowid, originator_id, originator_version, entry_hash, aggregate_hash "
            f"FROM {EVENTS_TABLE} ORDER BY originator_id, originator_version"
        )

    def guard_problems(self) -> list[str]:
        present = self._triggers()
        return [
            f"trigger {name} is {'missing' if name not in present else 'altered'}"
            for name, sql in sorted(GUARD_TRIGGERS.items())
            if present.get(name) != sql
        ]

    def column_problems(self) -> list[str]:
        # As created (columns, declared types, NOT NULL, key), compared with a table
        # made from the same statement in memory.
        with closing(sqlite3.connect(":memory:")) as reference:
            expected = reference.execute(CREATE_EVENTS_TABLE).execute(_TABLE_INFO).fetchall()
        present = self._cursor().execute(_TABLE_INFO).fetchall()
        if present == expected:
            return []
        return [f"{EVENTS_TABLE} columns are {present}, not {expected}"]

    def definition_problems(self) -> list[str]:
        # Any other trigger on the table can drop (RAISE(IGNORE)) or add rows unseen.
        return [
            f"trigger {name} on {EVENTS_TABLE} is not Daicho's"
            for name in sorted(self._triggers(EVENTS_TABLE))
            if name not in GUARD_TRIGGERS
        ]

    def _triggers(self, table: str | None = None) -> dict[str, str]:
        rows = self._cursor().execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND (? IS NULL OR tbl_name = ?)",
            (table, table),
        )
        return dict(rows.fetchall())


_TABLE_INFO = f"SELECT name, type, \"notnull\", pk FROM pragma_table_info('{EVENTS_TABLE}')"


@contextmanager
def chain_snapshot(recorder: SQLiteApplicationRecorder) -> Iterator[SQLiteChainSnapshot]:
    with recorder.datastore.get_connection(commit=False) as connection:
        raw = connection._sqlite_conn  # noqa: SLF001 - plain cursors stream; the wrapper fetches all
        # Text that is not UTF-8 (SQLite stores what it is given) would stop the read
        # with an error; decoded leniently it reaches the checks, which report it.
        raw.text_factory = _lenient_text
        raw.execute("BEGIN")
        try:
            yield SQLiteChainSnapshot(lambda: _tuple_cursor(raw))
        finally:
            raw.execute("ROLLBACK")
            raw.text_factory = str


def _lenient_text(data: bytes) -> str:
    # Undecodable bytes become lone surrogates: no UUID parses and no topic encodes.
    return data.decode("utf-8", "surrogateescape")


def _tuple_cursor(raw: Any) -> Any:
    cursor = raw.cursor()
    cursor.row_factory = None  # plain tuples: several times faster than sqlite3.Row
    return cursor
