"""The hash-chained event store on PostgreSQL.

Each event row carries its own chain links, so an append writes one row per event, as
the library's recorder does. The library's append transaction is one pipeline: LOCK
TABLE … IN EXCLUSIVE MODE, NOTIFY, INSERT … RETURNING notification_id, sync, COMMIT. Ours
keeps its shape and round trips: behind the lock we queue the chain-head and previous
aggregate-hash lookups instead of the INSERT; once they are back (still under the lock)
the positions are the head's + 1, + 2, …, the links are computed and the rows inserted
before the COMMIT, in the same final round trip.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresProcessRecorder,
)
from psycopg import Cursor, IsolationLevel
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from infra.chain import EMPTY_HEAD, Head, NewEntry, link_batch, previous_versions
from infra.verification import AggregateLinkRow, StoredRow, UnreadableStore

EVENTS_TABLE = "stored_events"
# (column, type, NOT NULL) of the events table: the library's columns plus the links.
# Positions are assigned under the lock from the head, so notification_id has no
# sequence: no gaps, and nothing can take a position outside the chain.
EVENTS_COLUMNS = [
    ("originator_id", "uuid", True),
    ("originator_version", "bigint", True),
    ("topic", "text", False),
    ("state", "bytea", False),
    ("notification_id", "bigint", True),
    ("prev_position", "bigint", False),
    ("entry_hash", "bytea", True),
    ("chain_hash", "bytea", True),
    ("aggregate_hash", "bytea", True),
]
# What the store relies on to refuse a second event at a position or a record version.
UNIQUE_KEYS = [("originator_id", "originator_version"), ("notification_id",)]
GUARD_FUNCTION = "daicho_refuse_change"
GUARD_BODY = "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END"


@dataclass
class _PendingChain:
    """Carries the lookups of one append from where they are queued to where they are read."""

    head_cursor: Cursor[DictRow] | None = None
    aggregate_cursor: Cursor[DictRow] | None = None


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder whose event rows carry their chain links."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        if datastore.enable_db_functions:
            # The plpgsql insert function takes no table lock and skips our hooks.
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS must be off for the chained store")
        # The same table name as on SQLite, whatever the application is called: one
        # documented layout for every verifier. A schema keeps stores apart.
        kwargs["events_table_name"] = EVENTS_TABLE
        super().__init__(datastore, **kwargs)
        names = {
            "schema": Identifier(self.datastore.schema),
            "events": Identifier(self.events_table_name),
            "guard": Identifier(GUARD_FUNCTION),
        }
        columns = ", ".join(
            f"{name} {kind}{' NOT NULL' if not_null else ''}"
            for name, kind, not_null in EVENTS_COLUMNS
        )
        self.sql_create_statements[self.create_table_statement_index] = SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{events} ("
            + columns
            + ", PRIMARY KEY (originator_id, originator_version))"
        ).format(**names)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{guard}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$" + GUARD_BODY + "$$"
            ).format(**names)
        )
        for name, timing in (
            ("no_update_delete", "BEFORE UPDATE OR DELETE ON {schema}.{events} FOR EACH ROW"),
            ("no_truncate", "BEFORE TRUNCATE ON {schema}.{events} FOR EACH STATEMENT"),
        ):
            self.sql_create_statements.append(
                SQL(
                    "CREATE OR REPLACE TRIGGER {trigger} "
                    + timing
                    + " EXECUTE FUNCTION {schema}.{guard}()"
                ).format(trigger=Identifier(f"{EVENTS_TABLE}_{name}"), **names)
            )
        # name -> (table, pg_trigger.tgtype): ROW|BEFORE|DELETE|UPDATE, BEFORE|TRUNCATE
        self.guard_triggers = {
            f"{EVENTS_TABLE}_no_update_delete": (EVENTS_TABLE, 1 | 2 | 8 | 16),
            f"{EVENTS_TABLE}_no_truncate": (EVENTS_TABLE, 2 | 32),
        }
        self.select_head = SQL(
            "SELECT notification_id, chain_hash FROM {schema}.{events} "
            "ORDER BY notification_id DESC LIMIT 1"
        ).format(**names)
        self.select_aggregate_hash = SQL(
            "SELECT originator_id, originator_version, aggregate_hash FROM {schema}.{events} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(**names)
        self.select_aggregate_hashes = SQL(
            "SELECT e.originator_id, e.originator_version, e.aggregate_hash "
            "FROM unnest(%s::uuid[], %s::bigint[]) AS k(id, version) "
            "JOIN {schema}.{events} e "
            "ON e.originator_id = k.id AND e.originator_version = k.version"
        ).format(**names)
        self.insert_event = SQL(
            "INSERT INTO {schema}.{events} (notification_id, originator_id, "
            "originator_version, topic, state, prev_position, entry_hash, chain_hash, "
            "aggregate_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(**names)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return super().insert_events(stored_events, pending_chain=_PendingChain(), **kwargs)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        pending: _PendingChain = kwargs["pending_chain"]
        # Queued behind the lock: they see the chain as the last append committed it
        # and come back with the pipeline's sync.
        pending.head_cursor = curs.connection.cursor()
        pending.head_cursor.execute(self.select_head, prepare=True)
        lookups = previous_versions(
            (e.originator_id, e.originator_version)  # type: ignore[misc]
            for e in stored_events
        )
        if lookups:
            pending.aggregate_cursor = curs.connection.cursor()
            if len(lookups) == 1:
                pending.aggregate_cursor.execute(self.select_aggregate_hash, lookups[0])
            else:
                # Not prepared: a generic plan made while the table was small scans it
                # whole, and would keep doing so as it grows (docs/performance.md).
                ids, versions = zip(*lookups, strict=True)
                pending.aggregate_cursor.execute(
                    self.select_aggregate_hashes, (list(ids), list(versions)), prepare=False
                )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        pending: _PendingChain = kwargs["pending_chain"]
        assert pending.head_cursor is not None
        with pending.head_cursor as head_cursor:
            row = head_cursor.fetchone()
        head = Head(row["notification_id"], bytes(row["chain_hash"])) if row else EMPTY_HEAD
        previous = {}
        if pending.aggregate_cursor is not None:
            with pending.aggregate_cursor as aggregate_cursor:
                previous = {
                    (r["originator_id"], r["originator_version"]): bytes(r["aggregate_hash"])
                    for r in aggregate_cursor.fetchall()
                }
        entries = [
            NewEntry(position, e.originator_id, e.originator_version, e.topic, e.state)  # type: ignore[arg-type]
            for position, e in enumerate(stored_events, (head.position or 0) + 1)
        ]
        links = link_batch(entries, head, previous)
        # Not synced here: a unique violation comes back with the COMMIT's sync and
        # is raised from the transaction, translated like any other.
        try:
            curs.executemany(
                self.insert_event,
                [
                    (
                        link.position,
                        link.aggregate_id,
                        link.version,
                        entry.topic,
                        entry.state,
                        link.prev_position,
                        link.entry_hash,
                        link.chain_hash,
                        link.aggregate_hash,
                    )
                    for entry, link in zip(entries, links, strict=True)
                ],
            )
        except psycopg.Error:
            _drain_pipeline(curs.connection)
            raise
        return [entry.position for entry in entries]


def _drain_pipeline(connection: psycopg.Connection[Any]) -> None:
    """Reads and drops the replies a failed pipeline still owes.

    A long batch's conflict can come back while its later rows are still being sent;
    the rows behind it then reply "pipeline aborted". Left for the COMMIT to read, that
    would be the error the writer sees (an OperationalError) instead of the conflict
    (an IntegrityError, which callers handle). A nested pipeline block syncs the
    connection on its way in or out, reading every reply still owed.
    """
    with suppress(psycopg.Error), connection.pipeline():
        pass


class ChainedPostgresProcessRecorder(PostgresProcessRecorder, ChainedPostgresApplicationRecorder):
    """Process recorder variant: tracking row and chained events in one transaction."""


class PostgresChainSnapshot:
    """The chained log as one REPEATABLE READ transaction sees them, via server-side cursors."""

    FETCH = 2_000

    def __init__(self, connection: Any, recorder: ChainedPostgresApplicationRecorder) -> None:
        self._connection = connection
        self._recorder = recorder
        self._cursor_numbers = itertools.count()
        self._names = {
            "schema": Identifier(recorder.datastore.schema),
            "events": Identifier(recorder.events_table_name),
        }

    def _stream(self, query: SQL, **extra: Any) -> Iterator[tuple[Any, ...]]:
        name = f"verify_{next(self._cursor_numbers)}"
        # Binary results: bytea arrives as raw bytes instead of hex text to decode.
        with self._connection.cursor(name=name, row_factory=tuple_row, binary=True) as cur:
            try:
                cur.execute(query.format(**self._names, **extra))
            except psycopg.Error as error:
                raise UnreadableStore(str(error).splitlines()[0]) from error
            # Explicit batches: iterating the cursor fetches in far smaller round trips.
            while rows := cur.fetchmany(self.FETCH):
                yield from rows

    def rows(self) -> Iterator[StoredRow]:
        return self._stream(  # type: ignore[return-value]
            SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state, "
                "prev_position, entry_hash, chain_hash, aggregate_hash "
                "FROM {schema}.{events} ORDER BY notification_id"
            )
        )

    def aggregate_links(self) -> Iterator[AggregateLinkRow]:
        return self._stream(  # type: ignore[return-value]
            SQL(
                "SELECT notification_id, originator_id, originator_version, entry_hash, "
                "aggregate_hash FROM {schema}.{events} ORDER BY originator_id, originator_version"
            )
        )

    def guard_problems(self) -> list[str]:
        """Each guard trigger must exist, be enabled, sit on its table, fire on the
        right events, unconditionally and for any column, and call the unaltered
        refusing function."""
        with self._connection.cursor(row_factory=tuple_row) as cur:
            cur.execute(
                "SELECT t.tgname, c.relname, t.tgtype, t.tgenabled, "
                "t.tgqual IS NULL AND t.tgattr::text = '', p.proname, pn.nspname, "
                "p.prosrc FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_proc p ON p.oid = t.tgfoid "
                "JOIN pg_namespace pn ON pn.oid = p.pronamespace "
                "WHERE n.nspname = %s AND NOT t.tgisinternal",
                (self._recorder.datastore.schema,),
            )
            present = {row[0]: row[1:] for row in cur.fetchall()}
        schema = self._recorder.datastore.schema
        problems = []
        for name, (table, tgtype) in sorted(self._recorder.guard_triggers.items()):
            found = present.get(name)
            if found is None:
                problems.append(f"trigger {name} is missing")
            elif found != (table, tgtype, "O", True, GUARD_FUNCTION, schema, GUARD_BODY):
                problems.append(f"trigger {name} is altered or disabled")
        return problems

    def column_problems(self) -> list[str]:
        present = self._catalog(
            "SELECT column_name, data_type, is_nullable = 'NO' FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position"
        )
        if present == EVENTS_COLUMNS:
            return []
        return [f"{EVENTS_TABLE} columns are {present}, not {EVENTS_COLUMNS}"]

    def definition_problems(self) -> list[str]:
        """What else can change what the application reads or writes: row-level
        security (hides rows from some roles only), rewrite rules, and triggers other
        than the guards (a BEFORE INSERT trigger can drop or rewrite an append)."""
        table = "(SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        table += "WHERE n.nspname = %s AND c.relname = %s)"
        problems = []
        for enabled, forced in self._catalog(
            f"SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = {table}"
        ):
            if enabled or forced:
                problems.append(f"row-level security is on for {EVENTS_TABLE}")
        for (policy,) in self._catalog(f"SELECT polname FROM pg_policy WHERE polrelid = {table}"):
            problems.append(f"policy {policy} on {EVENTS_TABLE}")
        for (rule,) in self._catalog(f"SELECT rulename FROM pg_rewrite WHERE ev_class = {table}"):
            problems.append(f"rule {rule} on {EVENTS_TABLE}")
        for (trigger,) in self._catalog(
            f"SELECT tgname FROM pg_trigger WHERE tgrelid = {table} AND NOT tgisinternal "
            "ORDER BY tgname"
        ):
            if trigger not in self._recorder.guard_triggers:
                problems.append(f"trigger {trigger} on {EVENTS_TABLE} is not Daicho's")
        # Without them the store takes a second "version 1" of a record, or a second
        # event at a position: a fork the chain shows only once it has happened.
        unique_keys = {
            tuple(columns)
            for (columns,) in self._catalog(
                "SELECT array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY "
                "AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = k.attnum ORDER BY k.n) FROM pg_index i "
                f"WHERE i.indrelid = {table} AND i.indisunique AND i.indisvalid "
                "AND i.indpred IS NULL AND i.indexprs IS NULL"
            )
        }
        for key in UNIQUE_KEYS:
            if key not in unique_keys:
                problems.append(f"{EVENTS_TABLE} has no unique index on ({', '.join(key)})")
        return problems

    def _catalog(self, query: str) -> list[tuple[Any, ...]]:
        with self._connection.cursor(row_factory=tuple_row) as cur:
            cur.execute(query, (self._recorder.datastore.schema, EVENTS_TABLE))  # type: ignore[arg-type]
            return cur.fetchall()


@contextmanager
def chain_snapshot(
    recorder: ChainedPostgresApplicationRecorder,
) -> Iterator[PostgresChainSnapshot]:
    with recorder.datastore.get_connection() as connection:
        connection.autocommit = False
        connection.isolation_level = IsolationLevel.REPEATABLE_READ  # one snapshot, both passes
        try:
            with connection.transaction():
                yield PostgresChainSnapshot(connection, recorder)
        finally:
            connection.rollback()
            connection.isolation_level = None
            connection.autocommit = True
