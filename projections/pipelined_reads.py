"""Reads that arrive together go to PostgreSQL together.

On PostgreSQL most of a GET's cost to the API process is its read's round trip: the
send that wakes the server's backend, the wait on the event loop, the pool
(docs/performance.md). Requests served concurrently reach their reads in the same turn
of the event loop, so the reads queued during one turn leave together, on one pooled
connection, as one pipeline: one send, one wake-up, one wait, however many reads.

Only point reads (a row by its key: a session, a record) go this way: a pipeline's
replies come back together, so one slow statement would hold up the others. For the
same reason a pipeline carries at most MAX_BATCH reads; more go out on more connections.

Each read stays its own statement with its own parameters and its own result. A
statement that fails makes PostgreSQL skip the rest of its pipeline, so when a batch
fails each of its reads runs again alone, and only a read that fails alone gets an
error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

Row = dict[str, Any]
MAX_BATCH = 16
Pending = tuple[str, Sequence[Any], "asyncio.Future[list[Row]]"]


class PipelinedReads:
    """Read statements on an async pool, batched per turn of the event loop."""

    def __init__(self, pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]]) -> None:
        self._pool = pool
        self._pending: list[Pending] = []
        self._batches: set[asyncio.Task[None]] = set()  # held: the loop keeps weak refs

    async def read(self, sql: str, params: Sequence[Any]) -> list[Row]:
        loop = asyncio.get_running_loop()
        result: asyncio.Future[list[Row]] = loop.create_future()
        if not self._pending:
            # Runs after the callbacks already due in this turn: the other requests
            # that are about to make their reads.
            loop.call_soon(self._send_pending)
        self._pending.append((sql, params, result))
        return await result

    def _send_pending(self) -> None:
        pending, self._pending = self._pending, []
        # Each pipeline's replies come back together: a long one would make its first
        # reads wait for its last, while other pooled connections sit idle.
        for start in range(0, len(pending), MAX_BATCH):
            task = asyncio.ensure_future(self._run(pending[start : start + MAX_BATCH]))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _run(self, batch: list[Pending]) -> None:
        try:
            try:
                await self._run_on_a_connection(batch)
            except psycopg.OperationalError:
                # A pooled connection the server had closed (a restart, a failover,
                # pg_terminate_backend): reads are safe to send again, and the pool has
                # dropped the dead connection, so the next one is new.
                await self._run_on_a_connection([p for p in batch if not p[2].done()])
        except Exception as error:  # noqa: BLE001 - handed to each waiting request
            for _, _, result in batch:
                if not result.done():
                    result.set_exception(error)

    async def _run_on_a_connection(self, batch: list[Pending]) -> None:
        async with self._pool.connection() as connection:
            try:
                results = await _pipelined(connection, [(s, p) for s, p, _ in batch])
            except Exception:  # noqa: BLE001 - e.g. a parameter that cannot be encoded
                if len(batch) == 1 or connection.closed:
                    raise
                await _one_by_one(connection, batch)
                return
        for (_, _, result), rows in zip(batch, results, strict=True):
            _settle(result, rows)


async def _pipelined(
    connection: psycopg.AsyncConnection[Any], reads: list[tuple[str, Sequence[Any]]]
) -> list[list[Row]]:
    if len(reads) == 1:
        return [await fetch_all(connection, *reads[0])]
    cursors = []
    async with connection.pipeline():
        for sql, params in reads:
            cursor = connection.cursor(row_factory=dict_row)
            await cursor.execute(sql, params, prepare=True)
            cursors.append(cursor)
    return [await cursor.fetchall() for cursor in cursors]


async def _one_by_one(connection: psycopg.AsyncConnection[Any], batch: list[Pending]) -> None:
    for sql, params, result in batch:
        try:
            _settle(result, await fetch_all(connection, sql, params))
        except Exception as error:  # noqa: BLE001 - handed to its request alone
            if not result.done():
                result.set_exception(error)
            if connection.closed:
                raise


async def fetch_all(
    connection: psycopg.AsyncConnection[Any], sql: str, params: Sequence[Any]
) -> list[Row]:
    cursor = connection.cursor(row_factory=dict_row)
    await cursor.execute(sql, params, prepare=True)
    return await cursor.fetchall()


def _settle(result: asyncio.Future[list[Row]], rows: list[Row]) -> None:
    if not result.done():  # a request that was cancelled meanwhile
        result.set_result(rows)
