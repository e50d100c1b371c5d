"""PostgreSQL point reads of concurrent requests leave together, each with its own result."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from projections import pipelined_reads
from projections.database import PostgresDatabase
from tests.postgres import URL, throwaway_schema

READ = "SELECT id, 100 / n AS share FROM probe WHERE id = ?"


@pytest.fixture
def db() -> Iterator[PostgresDatabase]:
    with throwaway_schema() as schema:
        database = PostgresDatabase(URL, schema)
        with database.transaction(lock="test") as tx:
            tx.execute("CREATE TABLE probe (id TEXT PRIMARY KEY, n INTEGER)")
            tx.executemany("INSERT INTO probe VALUES (?, ?)", [(f"r{n}", n) for n in range(10)])
        yield database
        database.close()


def _batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    pipelined = pipelined_reads._pipelined

    async def counted(connection: Any, reads: list[Any]) -> Any:
        sizes.append(len(reads))
        return await pipelined(connection, reads)

    monkeypatch.setattr(pipelined_reads, "_pipelined", counted)
    return sizes


async def _reads(db: PostgresDatabase, ids: list[str]) -> list[Any]:
    await db.open_reads()
    try:
        reads = (db.read(READ, (i,), point=True) for i in ids)
        return await asyncio.gather(*reads, return_exceptions=True)
    finally:
        await db.close_reads()


def test_concurrent_reads_go_in_one_pipeline_each_with_its_own_rows(
    db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = _batch_sizes(monkeypatch)
    ids = [f"r{n}" for n in range(9, 0, -1)] + ["absent"]
    results = asyncio.run(_reads(db, ids))
    assert sizes == [10]
    assert results[:-1] == [[{"id": f"r{n}", "share": 100 // n}] for n in range(9, 0, -1)]
    assert results[-1] == []


def test_a_failing_read_fails_alone(db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = _batch_sizes(monkeypatch)
    results = asyncio.run(_reads(db, ["r1", "r0", "r2"]))  # r0: division by zero
    assert sizes == [3]
    assert results[0] == [{"id": "r1", "share": 100}]
    assert isinstance(results[1], psycopg.errors.DivisionByZero)
    assert results[2] == [{"id": "r2", "share": 50}]


def test_a_read_whose_request_went_away_leaves_the_others_served(db: PostgresDatabase) -> None:
    async def scenario() -> list[Any]:
        await db.open_reads()
        try:
            gone = asyncio.ensure_future(db.read(READ, ("r1",), point=True))
            kept = asyncio.ensure_future(db.read(READ, ("r2",), point=True))
            await asyncio.sleep(0)
            gone.cancel()
            return [await kept, await db.read(READ, ("r4",), point=True)]
        finally:
            await db.close_reads()

    assert asyncio.run(scenario()) == [[{"id": "r2", "share": 50}], [{"id": "r4", "share": 25}]]


def test_a_read_whose_parameter_cannot_even_be_sent_fails_alone(
    db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = _batch_sizes(monkeypatch)
    results = asyncio.run(_reads(db, ["r1", "\ud800", "r2"]))  # a lone surrogate
    assert sizes == [3]
    assert results[0] == [{"id": "r1", "share": 100}]
    assert isinstance(results[1], UnicodeEncodeError)
    assert results[2] == [{"id": "r2", "share": 50}]


def test_many_concurrent_reads_leave_in_pipelines_of_bounded_length(
    db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = _batch_sizes(monkeypatch)
    results = asyncio.run(_reads(db, [f"r{1 + n % 9}" for n in range(40)]))
    assert sizes == [pipelined_reads.MAX_BATCH] * 2 + [40 - 2 * pipelined_reads.MAX_BATCH]
    assert results == [[{"id": f"r{1 + n % 9}", "share": 100 // (1 + n % 9)}] for n in range(40)]


def test_other_reads_go_alone(db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = _batch_sizes(monkeypatch)

    async def scenario() -> list[Any]:
        await db.open_reads()
        try:
            return await asyncio.gather(*(db.read(READ, (f"r{n}",)) for n in (1, 2)))
        finally:
            await db.close_reads()

    assert asyncio.run(scenario()) == [[{"id": "r1", "share": 100}], [{"id": "r2", "share": 50}]]
    assert sizes == []
