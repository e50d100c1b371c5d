"""The ledger: the event-sourced application over the chained store.

One `Ledger` per process and store. It knows how to persist and reload aggregates and
how to open a verification snapshot; use cases live in `services/`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder
from psycopg.sql import SQL, Identifier
from psycopg_pool import ConnectionPool

from infra import postgres_store, sqlite_store
from infra.settings import ConfigurationError, Settings
from infra.transcodings import DateAsISO, EventContextAsDict
from infra.verification import ChainSnapshot


class Ledger(Application[UUID]):
    name = "daicho"

    def __init__(self, settings: Settings, *, create: bool = True) -> None:
        """Opens the store, creating it first if it does not exist and `create` is set.

        An existing store is opened without any DDL: starting the application must not
        re-create the append-only triggers an attacker removed (verification would then
        never see that), and must work for a role that may only read and append.
        """
        self.settings = settings
        columns = _events_columns(settings)
        exists = bool(columns)
        if not exists:
            if not create:
                raise StoreMissing()
            _prepare(settings)
        elif "chain_hash" not in columns:
            raise IncompatibleStore()
        env = settings.store_env()
        env["CREATE_TABLE"] = "n" if exists else "y"
        super().__init__(env=env)

    def construct_env(self, name: str, env: Any = None) -> Any:
        # Unlike the library's default, ignore os.environ: the store is configured by
        # Settings alone, so a stray POSTGRES_* variable cannot change its behaviour.
        from eventsourcing.utils import Environment

        return Environment(name, dict(env or {}))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(EventContextAsDict())

    def drop_dead_connections(self) -> None:
        """On PostgreSQL, replace pooled connections the server has closed: the
        library's pool hands them out until each has failed a write."""
        pool = getattr(getattr(self.recorder, "datastore", None), "pool", None)
        if isinstance(pool, ConnectionPool):
            pool.check()

    @contextmanager
    def chain_snapshot(self) -> Iterator[ChainSnapshot]:
        if self.settings.database_url:
            with postgres_store.chain_snapshot(self.recorder) as snapshot:  # type: ignore[arg-type]
                yield snapshot
        else:
            with sqlite_store.chain_snapshot(self.recorder) as snapshot:  # type: ignore[arg-type]
                yield snapshot


class StoreMissing(Exception):
    def __init__(self) -> None:
        super().__init__("no Daicho store here: check DAICHO_HOME or DAICHO_DATABASE_URL")


class IncompatibleStore(ConfigurationError):
    def __init__(self) -> None:
        super().__init__(
            "this store was written by an earlier Daicho (chain links in a separate "
            "event_chain table): point DAICHO_HOME or DAICHO_DATABASE_SCHEMA at a new store"
        )


def _events_columns(settings: Settings) -> set[str]:
    """The columns of the store's stored_events table; empty if there is no store."""
    if settings.database_url:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = 'stored_events'",
                (settings.database_schema,),
            ).fetchall()
        return {row[0] for row in rows}
    if not settings.sqlite_path.exists():
        return set()
    uri = f"file:{settings.sqlite_path}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        return {row[1] for row in conn.execute("PRAGMA table_info(stored_events)")}


def _prepare(settings: Settings) -> None:
    """Where a new store goes: a PostgreSQL schema, or a private SQLite file."""
    if settings.database_url:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            schema = Identifier(settings.database_schema)
            conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        return
    # Personal data: readable by the service's own user only.
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.sqlite_path.touch(mode=0o600, exist_ok=True)
