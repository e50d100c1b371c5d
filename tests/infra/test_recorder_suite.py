"""The eventsourcing library's own recorder test-suite, run against our chained recorders.

Passing it means the chain adds tamper evidence without changing what the library
promises: ordering, no interleaving under concurrency, tracking, exactly-once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import psycopg
from eventsourcing.persistence import ApplicationRecorder, ProcessRecorder
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
)
from psycopg.sql import SQL, Identifier

from infra import postgres_store, sqlite_store
from infra.postgres_store import ChainedPostgresApplicationRecorder, ChainedPostgresProcessRecorder
from infra.sqlite_store import ChainedSQLiteApplicationRecorder, ChainedSQLiteProcessRecorder
from infra.verification import ChainSnapshot, verify
from tests.postgres import require_postgres, throwaway_schema


def assert_chain_intact(snapshot: ChainSnapshot) -> None:
    """After each library test, however concurrent, both chains must verify."""
    report = verify(snapshot)
    assert report.ok, report.as_dict()["first_problem"]


class SQLiteStore:
    """A fresh database file per test: the suites expect empty tables."""

    recorders: list[ApplicationRecorder] = []

    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.datastore = SQLiteDatastore(str(Path(self._dir.name) / "t.sqlite3"))
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        for recorder in self.recorders:
            with sqlite_store.chain_snapshot(recorder) as snapshot:
                assert_chain_intact(snapshot)
        self.datastore.close()
        self._dir.cleanup()


class PostgresStore:
    """A fresh schema per test, on a pool large enough for the concurrency tests."""

    recorders: list[ApplicationRecorder] = []

    def setUp(self) -> None:
        url = require_postgres()
        self._schema = throwaway_schema()
        schema = self._schema.__enter__()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
        parts = psycopg.conninfo.conninfo_to_dict(url)
        self.datastore = PostgresDatastore(
            dbname=str(parts["dbname"]),
            host=str(parts.get("host", "127.0.0.1")),
            port=str(parts.get("port", 5432)),
            user=str(parts.get("user", "postgres")),
            password=str(parts.get("password", "")),
            schema=schema,
            pool_size=12,
            max_overflow=4,
        )
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        for recorder in self.recorders:
            with postgres_store.chain_snapshot(recorder) as snapshot:
                assert_chain_intact(snapshot)
        self.datastore.close()
        self._schema.__exit__(None, None, None)


class TestSQLiteApplicationRecorder(SQLiteStore, ApplicationRecorderTestCase[ApplicationRecorder]):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = ChainedSQLiteApplicationRecorder(self.datastore)
        recorder.create_table()
        self.recorders = [recorder]
        return recorder


class TestSQLiteProcessRecorder(SQLiteStore, ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        recorder = ChainedSQLiteProcessRecorder(self.datastore)
        recorder.create_table()
        self.recorders = [recorder]
        return recorder


class TestSQLiteNonInterleaving(SQLiteStore, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = ChainedSQLiteApplicationRecorder(self.datastore)
        recorder.create_table()
        self.recorders = [recorder]
        return recorder


class TestPostgresApplicationRecorder(
    PostgresStore, ApplicationRecorderTestCase[ApplicationRecorder]
):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = ChainedPostgresApplicationRecorder(self.datastore)
        recorder.create_table()
        self.recorders = [recorder]
        return recorder


class TestPostgresProcessRecorder(PostgresStore, ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        recorder = ChainedPostgresProcessRecorder(self.datastore)
        recorder.create_table()
        self.recorders = [recorder]
        return recorder


class TestPostgresNonInterleaving(PostgresStore, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = ChainedPostgresApplicationRecorder(self.datastore)
        recorder.create_table()
        self.recorders = [recorder]
        return recorder


del ApplicationRecorderTestCase, ProcessRecorderTestCase, NonInterleavingNotificationIDsBaseCase
