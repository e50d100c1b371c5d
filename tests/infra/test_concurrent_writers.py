"""Two writers that share nothing but the database, as the server and a CLI import do.

Each append reads the chain head and assigns the next positions; only the database's
writer lock (BEGIN IMMEDIATE on SQLite, LOCK TABLE on PostgreSQL) keeps two of them
from linking onto the same head.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from infra.ledger import Ledger
from infra.settings import Settings
from infra.verification import verify


class Counter(Aggregate):
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


def _write(ledger: Ledger, aggregates: int) -> None:
    for _ in range(aggregates):
        counter = Counter()
        ledger.save(counter)
        for _ in range(3):
            counter.increment()
            ledger.save(counter)


def test_two_ledgers_appending_at_once_keep_one_chain(settings: Settings) -> None:
    first, second = Ledger(settings), Ledger(settings)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for done in [pool.submit(_write, ledger, 25) for ledger in (first, second)]:
                done.result()
        with first.chain_snapshot() as snapshot:
            report = verify(snapshot)
        assert report.ok, report.as_dict()["first_problem"]
        assert (report.events_checked, report.head_position) == (200, 200)
    finally:
        first.close()
        second.close()


def test_a_conflict_early_in_a_long_batch_is_an_integrity_error(ledger: Ledger) -> None:
    # PostgreSQL: the conflict's reply can arrive while the rest of the batch is still
    # being sent; the rows after it come back "pipeline aborted", which must not be
    # what the writer sees.
    counter = Counter()
    ledger.save(counter)
    stale = ledger.repository.get(counter.id)
    counter.increment()
    ledger.save(counter)
    stale.increment()
    others = [Counter() for _ in range(2000)]

    with pytest.raises(IntegrityError):
        ledger.save(stale, *others)

    with ledger.chain_snapshot() as snapshot:
        report = verify(snapshot)
    assert report.ok and report.head_position == 2
    assert ledger.repository.get(counter.id).count == 1
