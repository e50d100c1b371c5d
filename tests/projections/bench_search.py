"""Customer search latency over 100,000 customers of one agency (and 20,000 of another).

Not collected by pytest: run it by hand when search or its indexes change.

    .venv/bin/python -m tests.projections.bench_search sqlite
    .venv/bin/python -m tests.projections.bench_search postgres [customers]

The customers are applied straight through the customers projection's handlers (the
ledger would take minutes to write 100,000); each case runs 60 searches of two pages.
The target is 50 ms at p99.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from faker import Faker
from psycopg.sql import SQL, Identifier

from domain.context import EventContext
from domain.customer import Customer
from infra.settings import Settings
from projections import customers, queries
from projections.database import ProjectionDatabase, open_database
from projections.schema import create_table, refresh_statistics
from projections.view import View
from tests.postgres import URL

RUNS = 60
BATCH = 2000


def build(db: ProjectionDatabase, agency_id: UUID, size: int, seed: int) -> list[Customer]:
    fake, rnd = Faker("ja_JP"), random.Random(seed)
    fake.seed_instance(seed)
    context = EventContext(actor="user:bench", agency_id=agency_id, request_id="b", source="cli")
    made = [
        Customer.register(
            context,
            today=date(2024, 4, 1),
            kind="person",
            name=fake.name(),
            kana=fake.kana_name(),
            phones=[f"0{rnd.randint(10, 99)}-{rnd.randint(1000, 9999)}-{rnd.randint(1000, 9999)}"],
            postal_code=f"{rnd.randint(100, 999)}-{rnd.randint(0, 9999):04d}",
            agent_id=f"agent-{rnd.randint(1, 30)}",
            birth_date=date(1940, 1, 1) + timedelta(days=rnd.randint(0, 25_000)),
        )
        for _ in range(size)
    ]
    events = [event for customer in made for event in customer.collect_events()]
    for start in range(0, len(events), BATCH):
        with db.transaction(lock="customers") as tx:
            customers.PROJECTION.apply(View(tx), events[start : start + BATCH])
    return made


def searches(sample: list[Customer], rnd: random.Random) -> dict[str, Any]:
    """Each case: fixed search arguments, or a function making them from a customer."""
    return {
        "no q, by kana": {},
        "no q, by updated": {"sort": "updated"},
        "kana, 1 char": {"q": "ヤ"},
        "hiragana, 1 char": {"q": "さ"},
        "kana, 3 chars": lambda c: {"q": c.kana_key[:3]},
        "kana, whole": lambda c: {"q": c.kana},
        "name, 1 char": lambda c: {"q": c.name[:1]},
        "name, whole": lambda c: {"q": c.name},
        "phone, last 4": lambda c: {"q": c.phones[0][-4:]},
        "phone, whole": lambda c: {"q": c.phones[0]},
        "postal code, 3": lambda c: {"q": c.postal_code[:3]},
        "postal code, 7": lambda c: {"q": c.postal_code},
        "kana 1 char, by created": {"q": "ヤ", "sort": "created"},
        "kana 1 char, archived": {"q": "ヤ", "status": "archived"},
        "agent": {"agent": "agent-3"},
        "kana 1 char and agent": {"q": "カ", "agent": "agent-3"},
    }


def measure(db: ProjectionDatabase, agency_id: UUID, sample: list[Customer]) -> None:
    rnd = random.Random(3)
    for label, case in searches(sample, rnd).items():
        times = []
        for _ in range(RUNS):
            arguments = case(rnd.choice(sample)) if callable(case) else case
            started = time.perf_counter()
            page = queries.search_customers(db, agency_id, **arguments)
            pages = 1
            if page.next_cursor:
                queries.search_customers(db, agency_id, cursor=page.next_cursor, **arguments)
                pages = 2
            times.append((time.perf_counter() - started) * 1000 / pages)
        times.sort()
        print(f"{label:26s} p50 {times[RUNS // 2]:6.1f} ms   p99 {times[-1]:6.1f} ms")


def main(backend: str, size: int) -> None:
    schema = f"bench_{uuid4().hex[:8]}"
    settings = Settings(
        home=Path(tempfile.mkdtemp()),
        database_url=URL if backend == "postgres" else None,
        database_schema=schema,
    )
    db = open_database(settings)
    try:
        with db.transaction(lock="customers") as tx:
            for table in customers.PROJECTION.tables:
                for statement in create_table(table):
                    tx.execute(statement)
        agency_id = uuid4()
        started = time.perf_counter()
        sample = build(db, agency_id, size, seed=1)
        build(db, uuid4(), size // 5, seed=2)
        print(f"{backend}: {size + size // 5} customers in {time.perf_counter() - started:.0f} s")
        with db.transaction(lock="customers") as tx:
            refresh_statistics(tx, customers.PROJECTION.tables)
        measure(db, agency_id, sample)
    finally:
        db.close()
        if backend == "postgres":
            with psycopg.connect(URL, autocommit=True) as connection:
                connection.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
