"""What one primary-key read costs the API process on PostgreSQL, by the way it is made.

    .venv/bin/python bench/pg_read_path.py [--url postgresql://…] [--reads 8000] [--rounds 3]

A GET customer makes two such reads (session, customer); on PostgreSQL they are most
of its cost (docs/performance.md). This measures the CPU time of this process per read
— what limits a CPU-bound API process — for a 20,000-row table in a throwaway schema,
16 concurrent tasks on uvloop, the statement prepared:

- `pool.connection()`: psycopg_pool's AsyncConnectionPool of 8, as
  `PostgresDatabase.read` does (its context manager also commits);
- `getconn/putconn`: the same pool without the context manager;
- `queue of 8`: eight AsyncConnections handed out by an asyncio.Queue;
- `own connection`: each task on a connection of its own (16);
- `sync, blocking`: one psycopg Connection, one read after another, blocking.

The baseline is the last: the driver's own cost. Rounds rotate the order; the median
per variant is shown, with the reads/s it gave.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import uvloop
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

ROWS = 20_000
TASKS = 16
POOL = 8
READ = "SELECT * FROM probe WHERE id = %s AND agency_id = %s"


def fill(url: str, schema: str) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(ROWS)]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        conn.execute(
            "CREATE TABLE probe (id TEXT PRIMARY KEY, agency_id TEXT, name TEXT, kana TEXT, "
            "version INTEGER)"
        )
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO probe VALUES (%s, 'a', '山田 太郎', 'ヤマダ タロウ', 1)",
                [(i,) for i in ids],
            )
        conn.execute("ANALYZE probe")
    return ids


async def _read(conn: psycopg.AsyncConnection[Any], key: str) -> None:
    cursor = conn.cursor(row_factory=dict_row)
    await cursor.execute(READ, (key, "a"), prepare=True)
    await cursor.fetchall()


Timed = tuple[float, float]  # CPU seconds of this process, wall seconds


async def _tasks(reads: int, read_one: Callable[[int, int], Awaitable[None]]) -> Timed:
    """`reads` reads by TASKS tasks, after a warm-up."""

    async def task(index: int, count: int) -> None:
        for n in range(index, count, TASKS):
            await read_one(index, n)

    await asyncio.gather(*(task(i, TASKS * 20) for i in range(TASKS)))
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(task(i, reads) for i in range(TASKS)))
    return time.process_time() - cpu, time.perf_counter() - wall


async def _variant(name: str, url: str, options: str, ids: list[str], reads: int) -> Timed:
    def key(n: int) -> str:
        return ids[n % ROWS]

    if name in ("pool.connection()", "getconn/putconn"):
        pool = AsyncConnectionPool(
            url,
            min_size=POOL,
            max_size=POOL,
            kwargs={"autocommit": True, "options": options},
            open=False,
        )
        await pool.open(wait=True)

        async def pooled(_: int, n: int) -> None:
            if name == "pool.connection()":
                async with pool.connection() as conn:
                    await _read(conn, key(n))
                return
            conn = await pool.getconn()
            try:
                await _read(conn, key(n))
            finally:
                await pool.putconn(conn)

        try:
            return await _tasks(reads, pooled)
        finally:
            await pool.close()
    count = POOL if name == "queue of 8" else TASKS
    conns = [
        await psycopg.AsyncConnection.connect(url, autocommit=True, options=options)
        for _ in range(count)
    ]
    idle: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
    for conn in conns:
        idle.put_nowait(conn)

    async def queued(_: int, n: int) -> None:
        conn = await idle.get()
        try:
            await _read(conn, key(n))
        finally:
            idle.put_nowait(conn)

    async def own(index: int, n: int) -> None:
        await _read(conns[index], key(n))

    try:
        return await _tasks(reads, queued if name == "queue of 8" else own)
    finally:
        for conn in conns:
            await conn.close()


def _sync(url: str, options: str, ids: list[str], reads: int) -> Timed:
    with psycopg.connect(url, autocommit=True, options=options) as conn:
        cursor = conn.cursor(row_factory=dict_row)
        for n in range(TASKS * 20):
            cursor.execute(READ, (ids[n % ROWS], "a"), prepare=True).fetchall()
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(reads):
            cursor.execute(READ, (ids[n % ROWS], "a"), prepare=True).fetchall()
        return time.process_time() - cpu, time.perf_counter() - wall


VARIANTS = (
    "pool.connection()",
    "getconn/putconn",
    "queue of 8",
    "own connection",
    "sync, blocking",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reads", type=int, default=8000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    schema = f"read_path_{uuid.uuid4().hex[:8]}"
    options = f"-c search_path={schema}"
    ids = fill(args.url, schema)
    per_read: dict[str, list[float]] = {name: [] for name in VARIANTS}
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    try:
        for round_ in range(args.rounds):
            order = VARIANTS[round_ % len(VARIANTS) :] + VARIANTS[: round_ % len(VARIANTS)]
            for name in order:
                if name == "sync, blocking":
                    cpu, wall = _sync(args.url, options, ids, args.reads)
                else:
                    cpu, wall = uvloop.run(_variant(name, args.url, options, ids, args.reads))
                per_read[name].append(cpu / args.reads * 1e6)
                rates[name].append(args.reads / wall)
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    baseline = statistics.median(per_read["sync, blocking"])
    print(f"{args.reads:,} reads per run, {args.rounds} rounds, median of rounds")
    print(f"{'variant':<20} {'CPU us/read':>12} {'x baseline':>11} {'reads/s':>9}")
    for name in VARIANTS:
        cost = statistics.median(per_read[name])
        print(
            f"{name:<20} {cost:>12.0f} {cost / baseline:>11.2f} "
            f"{statistics.median(rates[name]):>9,.0f}"
        )


if __name__ == "__main__":
    main()
