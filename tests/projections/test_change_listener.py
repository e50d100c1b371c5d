"""PostgreSQL's data version: notices of other processes' commits, and a lost listener."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from projections import change_listener
from projections.database import PostgresDatabase
from tests.changes import known_version
from tests.frozen_proxy import FrozenProxy
from tests.postgres import URL, throwaway_schema


@pytest.fixture
def postgres() -> Iterator[tuple[PostgresDatabase, str, str]]:
    with throwaway_schema() as schema:
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
    logged: list[str] = []
    monkeypatch.setattr(change_listener.log, "warning", lambda event, **_: logged.append(event))
    monkeypatch.setattr(change_listener.log, "info", lambda event, **_: logged.append(event))
    before = known_version(db)
    _end_listener(url, schema)
    _until(lambda: db.data_version() is None)
    assert db.data_version() is None, "no new listener before the retry interval"
    time.sleep(0.2)
    assert known_version(db) != before, "notices may have been missed meanwhile"
    # Both show (a kill can land on the new connections too: then lost, recovered again).
    assert logged[0] == "change_listener.lost" and logged[-1] == "change_listener.recovered"


def test_schemas_do_not_hear_each_other(postgres: tuple[PostgresDatabase, str, str]) -> None:
    db, url, _ = postgres
    with throwaway_schema() as other_schema:
        other = PostgresDatabase(url, other_schema)
        try:
            before = known_version(db)
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


def test_a_listener_whose_flow_goes_silent_stops_giving_versions_without_ever_blocking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(change_listener, "HEARTBEAT_SECONDS", 0.05)
    monkeypatch.setattr(change_listener, "PROOF_SECONDS", 0.3)
    parts = urlsplit(URL)
    proxy = FrozenProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    through_proxy = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    with throwaway_schema() as schema:
        listener = change_listener.ChangeListener(through_proxy, schema)
        try:
            _until(lambda: listener.version() is not None)
            proxy.frozen.set()
            slowest = 0.0

            def deaf() -> bool:
                nonlocal slowest
                started = time.monotonic()
                version = listener.version()
                slowest = max(slowest, time.monotonic() - started)
                return version is None

            _until(deaf, timeout=2.0)
            listener.committed_here()  # a writer is not held up either
            assert slowest < 0.25, "asking for the version waited on the network"
            proxy.frozen.clear()
            _until(lambda: listener.version() is not None)  # it connects afresh
            proxy.frozen.set()
            _until(deaf, timeout=2.0)
            started = time.monotonic()
            listener.close()  # as the API's shutdown does, while the flow is still silent
            assert (
                time.monotonic() - started
                < change_listener.CONNECTION_OPTIONS["connect_timeout"] + 1.5
            )
        finally:
            proxy.frozen.clear()
            listener.close()
            proxy.close()


def test_an_idle_process_keeps_reading_notices(postgres: tuple[PostgresDatabase, str, str]) -> None:
    """PostgreSQL's notification queue is shared by the whole server: a listener that
    left notices unread would keep it from being trimmed until it filled and every
    NOTIFY, so every write, failed."""
    db, url, schema = postgres
    known_version(db)  # listening from now on
    other = PostgresDatabase(url, schema)
    try:
        for _ in range(50):
            with other.transaction() as tx:
                tx.execute("CREATE TABLE IF NOT EXISTS probe (id TEXT)")
        name = change_listener.application_name(change_listener.channel_of(schema))
        with psycopg.connect(url, autocommit=True) as admin:
            # Unread notices wait in the listener's socket: nothing reads it but its thread.
            _until(
                lambda: (
                    admin.execute(
                        "SELECT state FROM pg_stat_activity WHERE application_name = %s", (name,)
                    ).fetchone()
                    == ("idle",)
                )
            )
        _until(lambda: db.changes._version >= 51)
    finally:
        other.close()


def test_heartbeats_of_other_processes_are_not_changes(
    postgres: tuple[PostgresDatabase, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, url, schema = postgres
    monkeypatch.setattr(change_listener, "HEARTBEAT_SECONDS", 0.01)
    other = PostgresDatabase(url, schema)
    try:
        before = known_version(db)
        known_version(other)
        deadline = time.monotonic() + 0.2
        while time.monotonic() < deadline:
            assert other.data_version() is not None
            time.sleep(0.005)
        versions = {db.data_version() for _ in range(20)}
        assert versions == {before}
    finally:
        other.close()


def test_a_listening_thread_sleeps_between_notices(
    postgres: tuple[PostgresDatabase, str, str],
) -> None:
    db, _, _ = postgres
    known_version(db)
    thread = db.changes._thread
    assert thread is not None and thread.native_id is not None

    def cpu_seconds() -> float:
        # utime and stime of the listening thread alone, in clock ticks
        fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")")[1]
        return (int(fields.split()[11]) + int(fields.split()[12])) / os.sysconf("SC_CLK_TCK")

    before = cpu_seconds()
    time.sleep(1.0)
    assert cpu_seconds() - before < 0.1, "the thread spins instead of waiting"


def test_a_listener_works_in_a_process_with_many_open_files() -> None:
    """select() refuses descriptors from 1024 on; a busy API process has that many."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with throwaway_schema() as schema:
            listener = change_listener.ChangeListener(URL, schema)
            try:
                _until(lambda: listener.version() is not None)
            finally:
                listener.close()
    finally:
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_payload_that_does_not_decode_is_a_change_not_a_failure(
    postgres: tuple[PostgresDatabase, str, str],
) -> None:
    _, url, schema = postgres
    latin1 = change_listener.ChangeListener(url + "?client_encoding=latin1", schema)
    try:
        _until(lambda: latin1.version() is not None)
        before = latin1.version() or 0
        channel = change_listener.channel_of(schema)
        with psycopg.connect(url, autocommit=True) as other:
            other.execute(f"NOTIFY {channel}, 'café'")  # arrives as latin-1: not UTF-8
        seen = []
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            seen.append(latin1.version())
            time.sleep(0.005)
        assert None not in seen, "the listener stopped trusting itself"
        assert max(v for v in seen if v is not None) > before
    finally:
        latin1.close()
