"""The hash-chained event store on PostgreSQL.

The library's recorder runs one transaction per append: LOCK TABLE … IN EXCLUSIVE MODE,
INSERT … RETURNING notification_id. We queue the chain-head lookups right behind the
INSERT in the same pipeline (so they cost no extra round trip), compute the links once
the ids are back — still under the lock — and insert them before the commit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresProcessRecorder,
)
from psycopg import Cursor, IsolationLevel
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from infra.chain import EMPTY_HEAD, Head, NewEntry, first_versions, link_batch
from infra.verification import EventRow, LinkRow

EVENTS_TABLE = "stored_events"
CHAIN_TABLE = "event_chain"
GUARD_FUNCTION = "daicho_refuse_change"
GUARD_BODY = "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END"


@dataclass
class _PendingChain:
    """Carries the head lookups of one append from the INSERT to the id fetch."""

    entries_lookup: list[tuple[UUID, int]] = field(default_factory=list)
    head_cursor: Cursor[DictRow] | None = None
    aggregate_cursor: Cursor[DictRow] | None = None


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder that appends a chain link for every event."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        if datastore.enable_db_functions:
            # The plpgsql insert function takes no table lock and skips our hooks.
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS must be off for the chained store")
        # The same table names as on SQLite, whatever the application is called: one
        # documented layout for every verifier. A schema keeps stores apart.
        kwargs["events_table_name"] = EVENTS_TABLE
        super().__init__(datastore, **kwargs)
        names = {
            "schema": Identifier(self.datastore.schema),
            "events": Identifier(self.events_table_name),
            "chain": Identifier(CHAIN_TABLE),
            "guard": Identifier(GUARD_FUNCTION),
        }
        self.chain_table = names["chain"]
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
                "position bigint PRIMARY KEY, "
                "originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, "
                "prev_position bigint, "
                "entry_hash bytea NOT NULL, "
                "chain_hash bytea NOT NULL, "
                "aggregate_hash bytea NOT NULL, "
                "UNIQUE (originator_id, originator_version))"
            ).format(**names),
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{guard}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$" + GUARD_BODY + "$$"
            ).format(**names),
        ]
        for table in (self.events_table_name, CHAIN_TABLE):
            for name, timing in (
                ("no_update_delete", "BEFORE UPDATE OR DELETE ON {schema}.{table} FOR EACH ROW"),
                ("no_truncate", "BEFORE TRUNCATE ON {schema}.{table} FOR EACH STATEMENT"),
            ):
                self.sql_create_statements.append(
                    SQL(
                        "CREATE OR REPLACE TRIGGER {trigger} "
                        + timing
                        + " EXECUTE FUNCTION {schema}.{guard}()"
                    ).format(
                        trigger=Identifier(f"{table}_{name}"), table=Identifier(table), **names
                    )
                )
        # name -> (table, pg_trigger.tgtype): ROW|BEFORE|DELETE|UPDATE, BEFORE|TRUNCATE
        self.guard_triggers = {
            f"{table}_{name}": (table, tgtype)
            for table in (self.events_table_name, CHAIN_TABLE)
            for name, tgtype in (("no_update_delete", 1 | 2 | 8 | 16), ("no_truncate", 2 | 32))
        }
        self.select_head = SQL(
            "SELECT position, chain_hash FROM {schema}.{chain} ORDER BY position DESC LIMIT 1"
        ).format(**names)
        # A join on the unnested keys probes the (originator_id, originator_version)
        # index; a row-value IN over a subquery made the planner scan the whole table.
        self.select_aggregate_hashes = SQL(
            "SELECT c.originator_id, c.originator_version, c.aggregate_hash "
            "FROM unnest(%s::uuid[], %s::bigint[]) AS k(id, version) "
            "JOIN {schema}.{chain} c "
            "ON c.originator_id = k.id AND c.originator_version = k.version"
        ).format(**names)
        # One statement for the whole batch, whatever its size.
        self.insert_links = SQL(
            "INSERT INTO {schema}.{chain} SELECT * FROM unnest("
            "%s::bigint[], %s::uuid[], %s::bigint[], %s::bigint[], "
            "%s::bytea[], %s::bytea[], %s::bytea[])"
        ).format(**names)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return super().insert_events(stored_events, pending_chain=_PendingChain(), **kwargs)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)  # lock, notify, insert
        pending: _PendingChain = kwargs["pending_chain"]
        # Queued behind the INSERT, under the lock: they see the chain as it was
        # before this append and come back with the same pipeline sync.
        pending.head_cursor = curs.connection.cursor()
        pending.head_cursor.execute(self.select_head, prepare=True)
        lookups = first_versions(
            [
                NewEntry(0, e.originator_id, e.originator_version, "", b"")  # type: ignore[arg-type]
                for e in stored_events
            ]
        )
        pending.aggregate_cursor = curs.connection.cursor()
        pending.aggregate_cursor.execute(
            self.select_aggregate_hashes,
            ([a for a, _ in lookups], [v for _, v in lookups]),
            prepare=True,
        )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert positions is not None
        pending: _PendingChain = kwargs["pending_chain"]
        assert pending.head_cursor is not None and pending.aggregate_cursor is not None
        row = pending.head_cursor.fetchone()
        head = Head(row["position"], bytes(row["chain_hash"])) if row else EMPTY_HEAD
        previous = {
            (r["originator_id"], r["originator_version"]): bytes(r["aggregate_hash"])
            for r in pending.aggregate_cursor.fetchall()
        }
        entries = [
            NewEntry(p, e.originator_id, e.originator_version, e.topic, e.state)  # type: ignore[arg-type]
            for p, e in zip(positions, stored_events, strict=True)
        ]
        pending.head_cursor.close()
        pending.aggregate_cursor.close()
        links = link_batch(entries, head, previous)
        curs.execute(self.insert_links, [list(column) for column in zip(*links, strict=True)])
        return positions


class ChainedPostgresProcessRecorder(PostgresProcessRecorder, ChainedPostgresApplicationRecorder):
    """Process recorder variant: tracking row and chained events in one transaction."""


class PostgresChainSnapshot:
    """Both chains as one REPEATABLE READ transaction sees them, via server-side cursors."""

    FETCH = 20_000

    def __init__(self, connection: Any, recorder: ChainedPostgresApplicationRecorder) -> None:
        self._connection = connection
        self._recorder = recorder
        self._cursor_numbers = itertools.count()
        self._names = {
            "schema": Identifier(recorder.datastore.schema),
            "events": Identifier(recorder.events_table_name),
            "chain": Identifier(CHAIN_TABLE),
        }

    def _stream(self, query: SQL, **extra: Any) -> Iterator[tuple[Any, ...]]:
        name = f"verify_{next(self._cursor_numbers)}"
        # Binary results: bytea arrives as raw bytes instead of hex text to decode.
        with self._connection.cursor(name=name, row_factory=tuple_row, binary=True) as cur:
            cur.execute(query.format(**self._names, **extra))
            # Explicit batches: iterating the cursor fetches in far smaller round trips.
            while rows := cur.fetchmany(self.FETCH):
                yield from rows

    def events(self) -> Iterator[EventRow]:
        for position, originator_id, version, topic, state in self._stream(
            SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM {schema}.{events} ORDER BY notification_id"
            )
        ):
            yield position, originator_id, version, topic, bytes(state)

    def links(self) -> Iterator[LinkRow]:
        return self._links(SQL("position"))

    def links_by_aggregate(self) -> Iterator[LinkRow]:
        return self._links(SQL("originator_id, originator_version"))

    def _links(self, order: SQL) -> Iterator[LinkRow]:
        query = SQL(
            "SELECT position, originator_id, originator_version, prev_position, "
            "entry_hash, chain_hash, aggregate_hash FROM {schema}.{chain} ORDER BY {order}"
        )
        rows = self._stream(query, order=order)
        for position, originator_id, version, prev, entry, chain, aggregate in rows:
            yield (
                position,
                originator_id,
                version,
                prev,
                bytes(entry),
                bytes(chain),
                bytes(aggregate),
            )

    def guard_problems(self) -> list[str]:
        """Each guard trigger must exist, be enabled, sit on its table, fire on the
        right events and call the unaltered refusing function."""
        with self._connection.cursor(row_factory=tuple_row) as cur:
            cur.execute(
                "SELECT t.tgname, c.relname, t.tgtype, t.tgenabled, p.proname, pn.nspname, "
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
            elif found != (table, tgtype, "O", GUARD_FUNCTION, schema, GUARD_BODY):
                problems.append(f"trigger {name} is altered or disabled")
        return problems


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
