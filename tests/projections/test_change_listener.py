"""PostgreSQL's data version: notices of other processes' commits, and a lost listener."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from projections import change_listener
from projections.database import PostgresDatabase
from tests.postgres import throwaway_schema


@pytest.fixture
def postgres() -> Iterator[tuple[PostgresDatabase, str, str]]:
    with throwaway_schema() as schema:
        from tests.postgres import URL

        db = PostgresDatabase(URL, schema)
        yield db, URL, schema
        db.close()


def _end_listener(url: str, schema: str) -> None:
    name = change_listener.application_name(change_listener.channel_of(schema))
    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (name,),
        ).fetchall()
    assert ended == [(True,)]


def _until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_a_lost_listener_makes_the_version_unknown_until_it_listens_again(
    postgres: tuple[PostgresDatabase, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, url, schema = postgres
    monkeypatch.setattr(change_listener, "RETRY_SECONDS", 0.2)
    before = db.data_version()
    assert before is not None
    _end_listener(url, schema)
    _until(lambda: db.data_version() is None)
    assert db.data_version() is None, "no new listener before the retry interval"
    time.sleep(0.25)
    again = db.data_version()
    assert again is not None and again != before, "notices may have been missed meanwhile"


def test_schemas_do_not_hear_each_other(postgres: tuple[PostgresDatabase, str, str]) -> None:
    db, url, _ = postgres
    with throwaway_schema() as other_schema:
        other = PostgresDatabase(url, other_schema)
        try:
            before = db.data_version()
            with other.transaction(lock="test") as tx:
                tx.execute("CREATE TABLE probe (id TEXT PRIMARY KEY)")
            time.sleep(0.05)
            assert db.data_version() == before
        finally:
            other.close()


def test_channel_names_fit_any_schema_name() -> None:
    long = "s" * 63
    assert len(change_listener.channel_of(long)) <= 63
    assert change_listener.channel_of(long) != change_listener.channel_of(long[:-1])


def test_a_listener_that_stops_hearing_its_heartbeat_stops_giving_versions(
    postgres: tuple[PostgresDatabase, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _, _ = postgres
    monkeypatch.setattr(change_listener, "HEARTBEAT_SECONDS", 0.05)
    monkeypatch.setattr(change_listener, "RETRY_SECONDS", 0.3)
    before = db.data_version()
    assert before is not None
    # As a pooler in transaction mode would: the connection works, notices never come.
    listening = db._changes._connection
    assert listening is not None
    listening.execute("UNLISTEN *")
    _until(lambda: db.data_version() is None, timeout=2.0)
    time.sleep(0.35)
    again = db.data_version()
    assert again is not None and again != before


def test_heartbeats_of_other_processes_are_not_changes(
    postgres: tuple[PostgresDatabase, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, url, schema = postgres
    monkeypatch.setattr(change_listener, "HEARTBEAT_SECONDS", 0.01)
    other = PostgresDatabase(url, schema)
    try:
        before = db.data_version()
        deadline = time.monotonic() + 0.2
        while time.monotonic() < deadline:
            assert other.data_version() is not None
            time.sleep(0.005)
        versions = {db.data_version() for _ in range(20)}
        assert versions == {before}
    finally:
        other.close()
