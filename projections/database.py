"""The one place that knows which database the projections live in.

Projection code writes one SQL text per statement, with `?` placeholders, and stores
uuids, dates and instants as TEXT, so that the same statement runs on SQLite and on
PostgreSQL. This module opens the connections, turns `?` into psycopg's `%s`, and
implements what the two backends do differently: serialising writers, renaming a table
or an index, and listing tables. On PostgreSQL a writer's statements are pipelined
(sent without waiting for each reply), which triples the rate of applying events, and
the API's request handlers read through an asyncio pool of their own (`read`), so that
the event loop serves other requests while a statement makes its round trip.

Text that is compared or sorted is declared `COLLATE "binary"`: SQLite's built-in
byte-order collation, and on PostgreSQL a collation of that name created here in the
schema from the "C" locale. Byte order makes a prefix search an index range
(`key >= prefix AND key < prefix || U+FFFF`) and gives both backends the same order,
whatever locale the PostgreSQL database was created with.
"""

from __future__ import annotations

import hashlib
import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed, Identifier, Literal
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from infra.settings import Settings
from projections.change_listener import ChangeListener, notify_statement
from projections.pipelined_reads import PipelinedReads, fetch_all

Row = dict[str, Any]

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
SQLITE_ANALYSIS_LIMIT = 1000
POSTGRES_MAX_CONNECTIONS = 8
POSTGRES_MAX_READ_CONNECTIONS = 8


class Transaction(Protocol):
    """One open transaction, used like a DB-API cursor whose rows are dicts."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def fetchone(self) -> Row | None: ...

    def fetchall(self) -> list[Row]: ...

    def rename_table(self, old: str, new: str) -> None:
        """Rename a table; its primary-key index follows under the new name."""

    def rename_index(self, old: str, new: str, create_new: str) -> None:
        """Rename an index; `create_new` creates it under the new name, for a backend
        (SQLite) that cannot rename an index and must build it again."""

    def table_names(self, prefix: str) -> list[str]:
        """The names of the tables that start with `prefix`."""


class ProjectionDatabase(Protocol):
    """The projections' database: transactions on a pool of connections."""

    backend: str

    def transaction(self, *, lock: str | None = None) -> AbstractContextManager[Transaction]:
        """A transaction, committed when the block ends and rolled back if it raises.

        Pass `lock` for a transaction that writes: it then waits for, and excludes until
        it ends, every other transaction holding the same lock, in any process (SQLite
        goes further and admits one writer at a time). Without `lock` it is a reader.
        """

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One read statement, without a transaction around it."""

    async def read(self, sql: str, params: Sequence[Any] = (), *, point: bool = False) -> list[Row]:
        """`query` for a coroutine on the event loop (an API request handler); only
        between `open_reads` and `close_reads`. A `point` read fetches one row by its
        key: cheap enough to share a round trip with other requests' point reads."""

    async def open_reads(self) -> None:
        """Make `read` ready on the running event loop (the API's, at its startup)."""

    async def close_reads(self) -> None: ...

    def data_version(self) -> int | None:
        """A number that changes whenever anyone, in any process, commits a write to
        the read models or the sessions, asked without a round trip; None while that
        cannot be known. Only equality means anything."""

    def drop_dead_connections(self) -> None:
        """Replace pooled connections the server has closed (a restart, a failover),
        so that the next requests do not each draw one and fail with it."""

    def close(self) -> None: ...


def open_database(settings: Settings) -> ProjectionDatabase:
    """The projections' database for these settings: the events' own SQLite file, or
    the PostgreSQL database and schema of the events."""
    if settings.database_url is None:
        return SQLiteDatabase(settings.sqlite_path)
    return PostgresDatabase(settings.database_url, settings.database_schema)


@lru_cache(maxsize=2048)
def _portable(sql: str) -> str:
    """The statement, if it means the same on both backends as far as we can tell.

    psycopg reads `%` as the start of a placeholder. Refused on SQLite too, so that a
    statement that would break on PostgreSQL fails in every test run.
    """
    if "%" in sql:
        raise ValueError("projection SQL must not contain '%'; pass patterns as parameters")
    return sql


@lru_cache(maxsize=2048)
def _postgres_sql(sql: str) -> str:
    """psycopg's form of a statement: `%s` placeholders instead of `?` (projection SQL
    has no `?` inside a literal; values go in as parameters)."""
    return _portable(sql).replace("?", "%s")


def _dict_row(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> Row:
    return {column[0]: value for column, value in zip(cursor.description, values, strict=True)}


class _SQLiteTransaction:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(_portable(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._cursor.executemany(_portable(sql), rows)

    def fetchone(self) -> Row | None:
        row: Row | None = self._cursor.fetchone()
        return row

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall()

    def rename_table(self, old: str, new: str) -> None:
        self._cursor.execute(f"ALTER TABLE {old} RENAME TO {new}")

    def rename_index(self, old: str, new: str, create_new: str) -> None:
        self._cursor.execute(f"DROP INDEX {old}")
        self._cursor.execute(create_new)

    def table_names(self, prefix: str) -> list[str]:
        self._cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name >= ? AND name < ?",
            (prefix, prefix + "\uffff"),
        )
        return [row["name"] for row in self._cursor.fetchall()]


class SQLiteDatabase:
    """Connections of our own to the events' SQLite file, in WAL mode so that readers
    never wait for the writer. Idle connections are kept for reuse by any thread."""

    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._opened: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._watcher: sqlite3.Connection | None = None
        self._watcher_guard = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self._path,
            timeout=SQLITE_BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # we issue BEGIN and COMMIT ourselves
            check_same_thread=False,  # a connection serves one thread at a time, any thread
        )
        connection.execute("PRAGMA journal_mode = WAL")
        # A view and its position commit together, so losing the last commits on power
        # loss only means applying those events again.
        connection.execute("PRAGMA synchronous = NORMAL")
        # ANALYZE samples this many rows per index: milliseconds, and plenty for planning.
        connection.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        connection.row_factory = _dict_row
        with self._guard:
            self._opened.append(connection)
        return connection

    def _take(self) -> sqlite3.Connection:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._connect()

    @contextmanager
    def transaction(self, *, lock: str | None = None) -> Iterator[Transaction]:
        connection = self._take()
        reusable = False
        try:
            # IMMEDIATE takes the write lock up front: a deferred transaction that reads
            # and then writes can fail to upgrade instead of waiting for the lock.
            connection.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
            try:
                yield _SQLiteTransaction(connection.cursor())
            except BaseException:
                if connection.in_transaction:  # some errors make SQLite roll back itself
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            reusable = True
        finally:
            if reusable or not connection.in_transaction:
                self._idle.put(connection)
            else:
                self._discard(connection)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One read statement, without BEGIN and COMMIT: a single SELECT is consistent
        on its own, and a request's hot path should not pay for a transaction."""
        connection = self._take()
        try:
            rows = connection.execute(sql, params).fetchall()
        except BaseException:
            self._discard(connection)
            raise
        self._idle.put(connection)
        return rows

    async def read(self, sql: str, params: Sequence[Any] = (), *, point: bool = False) -> list[Row]:
        # A read of the local file takes microseconds: cheaper done right here than
        # handed to another thread (bench/api_breakdown.py measured the hand-off).
        return self.query(sql, params)

    async def open_reads(self) -> None:
        pass

    async def close_reads(self) -> None:
        pass

    def data_version(self) -> int | None:
        """SQLite's `PRAGMA data_version` on a connection that never writes: it changes
        with every commit made through any other connection, ours or another process's,
        and costs a few microseconds (a read transaction, no table read)."""
        with self._watcher_guard:
            if self._watcher is None:
                self._watcher = self._connect()
            row = self._watcher.execute("PRAGMA data_version").fetchone()
        version: int = row["data_version"]
        return version

    def _discard(self, connection: sqlite3.Connection) -> None:
        with self._guard:
            self._opened.remove(connection)
        connection.close()

    def drop_dead_connections(self) -> None:
        """A file has no connection a server could close."""

    def close(self) -> None:
        with self._guard:
            opened, self._opened = self._opened, []
        self._watcher = None
        for connection in opened:
            connection.close()


class _PostgresTransaction:
    """Each statement runs on a cursor of its own: in pipeline mode a result that arrives
    late would otherwise land on a cursor already running a later statement, and a
    fetch would return the earlier statement's rows."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection
        self._cursor: psycopg.Cursor[Row] | None = None
        self.wrote = False

    def _note(self, sql: str | Composed) -> None:
        # Anything but a plain SELECT may change what sessions and reads see.
        if not isinstance(sql, str) or not sql.lstrip()[:6].upper() == "SELECT":
            self.wrote = True

    def _next_cursor(self) -> psycopg.Cursor[Row]:
        self._cursor = self._connection.cursor(row_factory=dict_row)
        return self._cursor

    def _last_cursor(self) -> psycopg.Cursor[Row]:
        if self._cursor is None:
            raise psycopg.ProgrammingError("no statement was executed")
        return self._cursor

    def execute(self, sql: str | Composed, params: Sequence[Any] = ()) -> None:
        self._note(sql)
        query = _postgres_sql(sql) if isinstance(sql, str) else sql
        self._next_cursor().execute(query, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._note(sql)
        self._next_cursor().executemany(_postgres_sql(sql), rows)

    def fetchone(self) -> Row | None:
        return self._last_cursor().fetchone()

    def fetchall(self) -> list[Row]:
        return self._last_cursor().fetchall()

    def rename_table(self, old: str, new: str) -> None:
        self.execute(SQL("ALTER TABLE {} RENAME TO {}").format(Identifier(old), Identifier(new)))
        # PostgreSQL names a primary key's index after its table; keep that true.
        self.execute(
            SQL("ALTER INDEX IF EXISTS {} RENAME TO {}").format(
                Identifier(f"{old}_pkey"), Identifier(f"{new}_pkey")
            )
        )

    def rename_index(self, old: str, new: str, create_new: str) -> None:
        self.execute(SQL("ALTER INDEX {} RENAME TO {}").format(Identifier(old), Identifier(new)))

    def table_names(self, prefix: str) -> list[str]:
        self.execute(
            "SELECT tablename AS name FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename >= ? AND tablename < ?",
            (prefix, prefix + "\uffff"),
        )
        return [row["name"] for row in self.fetchall()]


class PostgresDatabase:
    """A connection pool on the events' database, each connection confined to the
    events' schema by its search_path."""

    backend = "postgres"

    def __init__(self, url: str, schema: str) -> None:
        self._schema = schema
        self._prepare_schema(url)
        # Public for tests, which wait until earlier commits have been counted.
        self.changes = ChangeListener(url, schema)
        # Request handlers' reads, on the API's event loop: see `read`.
        self._reads: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=POSTGRES_MAX_READ_CONNECTIONS,
            # Named in pg_stat_activity, as the listener is: an operator sees whose.
            kwargs={"autocommit": True, "application_name": "daicho reads"},
            configure=self._configure_reads,
            name="daicho-reads",
            open=False,
        )
        self._pipelined_reads = PipelinedReads(self._reads)
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=1,
            max_size=POSTGRES_MAX_CONNECTIONS,
            # Transactions are opened explicitly.
            kwargs={"autocommit": True, "application_name": "daicho read models"},
            configure=self._configure,
            name="daicho-projections",
            open=True,
        )

    def _prepare_schema(self, url: str) -> None:
        """Create the schema and its byte-order collation, once, whoever comes first.

        What exists is not created again: CREATE … IF NOT EXISTS still needs the
        privilege to create, which an application role kept from owning the store
        (docs/operations.md) does not have on the database."""
        with psycopg.connect(url, autocommit=True) as connection, connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key("schema"),))
            schema_exists, collation_exists = connection.execute(
                "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = %s), "
                "EXISTS (SELECT FROM pg_collation c JOIN pg_namespace n "
                "ON n.oid = c.collnamespace WHERE n.nspname = %s AND c.collname = 'binary')",
                (self._schema, self._schema),
            ).fetchone() or (False, False)
            if not schema_exists:
                connection.execute(SQL("CREATE SCHEMA {}").format(Identifier(self._schema)))
            if not collation_exists:
                connection.execute(
                    SQL('CREATE COLLATION {}."binary" (provider = libc, locale = {})').format(
                        Identifier(self._schema), Literal("C")
                    )
                )

    def _configure(self, connection: psycopg.Connection[Any]) -> None:
        connection.execute(SQL("SET search_path TO {}").format(Identifier(self._schema)))

    async def _configure_reads(self, connection: psycopg.AsyncConnection[Any]) -> None:
        await connection.execute(SQL("SET search_path TO {}").format(Identifier(self._schema)))

    def _lock_key(self, lock: str) -> int:
        """A 64-bit advisory-lock key for a lock name, distinct per schema (advisory
        locks are database-wide)."""
        digest = hashlib.sha256(f"{self._schema}\x00{lock}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    @contextmanager
    def transaction(self, *, lock: str | None = None) -> Iterator[Transaction]:
        with self._pool.connection() as connection:
            # A writer sends its statements without waiting for each reply (pipeline
            # mode); reading a result waits for what was sent before it.
            with connection.transaction(), connection.pipeline() if lock else nullcontext():
                tx = _PostgresTransaction(connection)
                if lock:
                    tx.execute("SELECT pg_advisory_xact_lock(?)", (self._lock_key(lock),))
                yield tx
                if tx.wrote:  # every process's `data_version` hears of it at the commit
                    tx.execute(notify_statement(self._schema))
        if tx.wrote:
            self.changes.committed_here()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One read statement on an autocommit connection: one round trip, no BEGIN."""
        with self._pool.connection() as connection:
            cursor = connection.cursor(row_factory=dict_row)
            return cursor.execute(_postgres_sql(sql), params, prepare=True).fetchall()

    async def read(self, sql: str, params: Sequence[Any] = (), *, point: bool = False) -> list[Row]:
        """`query` without blocking the event loop (a blocking round trip held up every
        other request meanwhile). Point reads go together with those of concurrent
        requests; any other read, which may take milliseconds, on a connection of its
        own, so that it holds up no other request's read."""
        if point:
            return await self._pipelined_reads.read(_postgres_sql(sql), params)
        async with self._reads.connection() as connection:
            return await fetch_all(connection, _postgres_sql(sql), params)

    async def open_reads(self) -> None:
        await self._reads.open()
        self.changes.start()  # from the app's start, not from its first request on

    async def close_reads(self) -> None:
        await self._reads.close()

    def data_version(self) -> int | None:
        """What `ChangeListener` has counted: every writing transaction here NOTIFYs."""
        return self.changes.version()

    def drop_dead_connections(self) -> None:
        self._pool.check()  # each idle connection is tried; dead ones are replaced

    def close(self) -> None:
        self.changes.close()
        self._pool.close()
