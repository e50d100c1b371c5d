"""The adapter: one SQL text for both backends."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import pytest

from projections.database import ProjectionDatabase
from projections.runner import Projections
from tests.changes import changed_since, known_version


def test_placeholders_and_rows(projections: Projections, db: ProjectionDatabase) -> None:
    with db.transaction(lock="test") as tx:
        tx.execute("CREATE TABLE probe (id TEXT PRIMARY KEY, n INTEGER)")
        tx.executemany("INSERT INTO probe (id, n) VALUES (?, ?)", [("a", 1), ("b", 2)])
        tx.executemany("INSERT INTO probe (id, n) VALUES (?, ?)", [])
        tx.execute("SELECT id, n FROM probe WHERE n > ? ORDER BY id", (0,))
        assert tx.fetchall() == [{"id": "a", "n": 1}, {"id": "b", "n": 2}]


def test_a_failed_transaction_is_rolled_back(
    projections: Projections, db: ProjectionDatabase
) -> None:
    with db.transaction(lock="test") as tx:
        tx.execute("CREATE TABLE probe (id TEXT PRIMARY KEY)")
    with pytest.raises(RuntimeError), db.transaction(lock="test") as tx:
        tx.execute("INSERT INTO probe (id) VALUES (?)", ("lost",))
        raise RuntimeError("boom")
    with db.transaction() as tx:
        tx.execute("SELECT count(*) AS n FROM probe")
        assert tx.fetchone() == {"n": 0}


def test_byte_order_collation_makes_prefix_ranges(
    projections: Projections, db: ProjectionDatabase
) -> None:
    with db.transaction(lock="test") as tx:
        tx.execute('CREATE TABLE probe (k TEXT COLLATE "binary" PRIMARY KEY)')
        tx.executemany(
            "INSERT INTO probe (k) VALUES (?)",
            [("ヤマダ",), ("ャマ",), ("ヤマダタロウ",), ("やまだ",), ("Z",), ("a",)],
        )
        tx.execute(
            "SELECT k FROM probe WHERE k >= ? AND k < ? ORDER BY k", ("ヤマダ", "ヤマダ\uffff")
        )
        assert [row["k"] for row in tx.fetchall()] == ["ヤマダ", "ヤマダタロウ"]
        tx.execute("SELECT k FROM probe ORDER BY k")
        assert [row["k"] for row in tx.fetchall()] == [
            "Z",
            "a",
            "やまだ",
            "ャマ",
            "ヤマダ",
            "ヤマダタロウ",
        ]


def test_a_literal_percent_is_refused_on_both_backends(
    projections: Projections, db: ProjectionDatabase
) -> None:
    # psycopg would read it as a placeholder; patterns go in as parameters.
    with pytest.raises(ValueError, match="%"), db.transaction() as tx:
        tx.execute("SELECT 1 WHERE 'a' LIKE 'a%'")


def test_each_statement_reads_its_own_result_even_behind_a_lock_wait(
    projections: Projections, db: ProjectionDatabase
) -> None:
    # On PostgreSQL a writer pipelines its statements: the lock's reply can arrive while
    # later statements are on their way, and must not be taken for theirs.
    rnd = random.Random(7)

    def hold_the_lock(holding: threading.Event, pause: float) -> None:
        with db.transaction(lock="probe"):
            holding.set()
            time.sleep(pause)

    for _ in range(40):
        holding = threading.Event()
        holder = threading.Thread(target=hold_the_lock, args=(holding, rnd.uniform(0, 0.004)))
        holder.start()
        holding.wait()
        with db.transaction(lock="probe") as tx:
            time.sleep(rnd.uniform(0, 0.004))
            tx.execute("CREATE TABLE IF NOT EXISTS probe (name TEXT)")
            time.sleep(rnd.uniform(0, 0.004))
            tx.execute("SELECT ? AS name", ("mine",))
            assert tx.fetchall() == [{"name": "mine"}]
        holder.join()


@pytest.fixture
def probe_table(projections: Projections, db: ProjectionDatabase) -> None:
    with db.transaction(lock="test") as tx:
        tx.execute("CREATE TABLE probe (id TEXT PRIMARY KEY)")


@pytest.fixture
def other_process(settings) -> Iterator[ProjectionDatabase]:
    """Connections of its own, as another process has."""
    from projections.database import open_database

    other = open_database(settings)
    yield other
    other.close()


def test_data_version_changes_with_any_commit_anyone_makes(
    probe_table: None, db: ProjectionDatabase, other_process: ProjectionDatabase
) -> None:
    before = known_version(db)
    assert db.query("SELECT count(*) AS n FROM probe") == [{"n": 0}]
    with db.transaction() as tx:  # a reading transaction, like a household's read
        tx.execute("SELECT count(*) AS n FROM probe")
    time.sleep(0.05)  # long enough for a notice, had one been sent
    assert db.data_version() == before, "a read is not a change"
    with db.transaction() as tx:
        tx.execute("INSERT INTO probe (id) VALUES (?)", ("ours",))
    after_ours = db.data_version()
    assert after_ours != before, "our own commit counts at once, notice or not"
    with other_process.transaction(lock="test") as tx:
        tx.execute("INSERT INTO probe (id) VALUES (?)", ("theirs",))
    assert changed_since(db, after_ours)


def test_a_rolled_back_write_does_not_count_elsewhere(
    probe_table: None, db: ProjectionDatabase, other_process: ProjectionDatabase
) -> None:
    before = known_version(db)
    with pytest.raises(RuntimeError), other_process.transaction(lock="test") as tx:
        tx.execute("INSERT INTO probe (id) VALUES (?)", ("lost",))
        raise RuntimeError("boom")
    assert not changed_since(db, before, timeout=0.1)
