"""The runner: exactly-once application, concurrency, read-your-writes, status."""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from domain.context import EventContext
from infra.ledger import Ledger
from infra.settings import Settings
from projections import contacts, customers, queries
from projections.batches import apply_batch, read_batch
from projections.database import ProjectionDatabase
from projections.runner import Projections, ProjectionStatus
from tests.projections.conftest import TODAY, contact, customer, ids, policy, save, table_rows


def write_book(ledger: Ledger, agency: EventContext, size: int) -> None:
    """Customers with changes, policies and contacts, in several appends."""
    for n in range(size):
        client = customer(
            agency, name=f"顧客 {n}", kana=f"こきゃく {n}", phones=[f"03-0000-{n:04d}"]
        )
        client.change(agency, today=TODAY, agent_id=f"agent-{n % 3}")
        save(ledger, client, policy(agency, client), contact(agency, client))


def test_applying_the_same_batch_twice_applies_it_once(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    write_book(ledger, agency_a, 3)
    batch = read_batch(ledger, contacts.PROJECTION, after=0, limit=500)
    assert batch is not None and len(batch.events) == 3

    assert apply_batch(db, contacts.PROJECTION, batch) == 3
    once = table_rows(db)
    assert apply_batch(db, contacts.PROJECTION, batch) == 0

    assert table_rows(db) == once
    assert len(once["contacts"]) == 3
    (status,) = [s for s in projections.status() if s.name == "contacts"]
    assert status.position == batch.through


def test_an_overlapping_batch_applies_only_what_is_new(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    write_book(ledger, agency_a, 2)
    first = read_batch(ledger, contacts.PROJECTION, after=0, limit=500)
    assert first is not None and apply_batch(db, contacts.PROJECTION, first) == 2
    write_book(ledger, agency_a, 1)
    overlapping = read_batch(ledger, contacts.PROJECTION, after=0, limit=500)
    assert overlapping is not None and len(overlapping.events) == 3

    assert apply_batch(db, contacts.PROJECTION, overlapping) == 1

    assert len(table_rows(db)["contacts"]) == 3


def test_a_batch_that_would_leave_a_hole_is_not_applied(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    write_book(ledger, agency_a, 2)
    first = read_batch(ledger, contacts.PROJECTION, after=0, limit=1)
    assert first is not None
    later = read_batch(ledger, contacts.PROJECTION, after=first.through, limit=1)
    assert later is not None

    assert apply_batch(db, contacts.PROJECTION, later) == 0
    assert apply_batch(db, contacts.PROJECTION, first) == 1
    assert apply_batch(db, contacts.PROJECTION, later) == 1


def test_catch_up_in_small_batches_equals_one_pass(
    ledger: Ledger, projections: Projections, agency_a: EventContext
) -> None:
    write_book(ledger, agency_a, 7)
    small = Projections(ledger, batch_size=2)
    try:
        small.catch_up()
        assert all(s.lag == 0 for s in small.status())
        assert table_rows(small.database) == _single_pass(projections)
    finally:
        small.close()


def _single_pass(projections: Projections) -> dict[str, list[tuple[object, ...]]]:
    """The tables as one runner builds them from the whole log."""
    projections.rebuild()
    return table_rows(projections.database)


def test_two_runners_catching_up_at_once_give_the_rows_of_one(
    ledger: Ledger, projections: Projections, agency_a: EventContext
) -> None:
    write_book(ledger, agency_a, 30)
    second_ledger = Ledger(ledger.settings)
    runners = [Projections(ledger, batch_size=7), Projections(second_ledger, batch_size=5)]
    writer_done = threading.Event()

    def write_more() -> None:
        write_book(ledger, agency_a, 20)
        writer_done.set()

    def catch_up_until_writer_done(runner: Projections) -> int:
        applied = 0
        while not writer_done.is_set():
            applied += runner.catch_up()
        return applied + runner.catch_up()

    try:
        with ThreadPoolExecutor(max_workers=5) as pool:
            writing = pool.submit(write_more)
            applied = [pool.submit(catch_up_until_writer_done, r) for r in runners * 2]
            writing.result()
            total = sum(future.result() for future in applied)
        concurrent = table_rows(runners[0].database)
    finally:
        for runner in runners:
            runner.close()
        second_ledger.close()

    # 50 customers (2 events each), 50 policies, 50 contacts: each event applied once.
    assert total == 100 + 50 + 50
    assert len(concurrent["customers"]) == 50
    assert concurrent == _single_pass(projections)


def _catch_up_in_another_process(settings: Settings) -> int:
    ledger = Ledger(settings)
    runner = Projections(ledger, batch_size=3)
    try:
        return runner.catch_up()
    finally:
        runner.close()
        ledger.close()


def test_runners_in_several_processes_apply_each_event_once(
    ledger: Ledger, projections: Projections, agency_a: EventContext
) -> None:
    write_book(ledger, agency_a, 15)
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        applied = pool.map(_catch_up_in_another_process, [ledger.settings] * 3)

    assert sum(applied) == 30 + 15 + 15
    assert table_rows(projections.database) == _single_pass(projections)


def test_wait_for_returns_once_a_write_is_readable(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    newcomer = customer(agency_a, name="早瀬 光", kana="はやせ ひかる")
    position = save(ledger, newcomer)

    assert projections.wait_for(position, timeout=5.0)

    assert ids(queries.search_customers(db, agency_a.agency_id, q="はやせ")) == [str(newcomer.id)]


def test_wait_for_a_position_not_yet_written_times_out(
    ledger: Ledger, projections: Projections, agency_a: EventContext
) -> None:
    position = save(ledger, customer(agency_a))
    started = time.monotonic()

    assert not projections.wait_for(position + 1, timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 3


def test_the_background_thread_keeps_catching_up(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    projections.start()
    projections.start()  # a second start is harmless
    newcomer = customer(agency_a, name="早瀬 光", kana="はやせ ひかる")
    save(ledger, newcomer)
    deadline = time.monotonic() + 10
    while not ids(queries.search_customers(db, agency_a.agency_id, q="ハヤセ")):
        assert time.monotonic() < deadline, "the background thread did not catch up"
        time.sleep(0.05)
    projections.stop()


def test_status_reports_position_head_and_lag(
    ledger: Ledger, projections: Projections, agency_a: EventContext
) -> None:
    first = customer(agency_a)
    head = save(ledger, first, contact(agency_a, first))

    assert {s.name: s for s in projections.status()}["customers"] == ProjectionStatus(
        "customers", 0, head, head, False
    )
    projections.catch_up()
    # A projection that reads none of the events still moves to the head.
    assert projections.status() == [
        ProjectionStatus(name, head, head, 0, False)
        for name in ("customers", "policies", "households", "contacts", "users")
    ]


def test_a_projection_with_a_new_layout_waits_for_a_rebuild(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    save(ledger, customer(agency_a))
    projections.catch_up()
    newer = dataclasses.replace(customers.PROJECTION, layout=customers.PROJECTION.layout + 1)
    upgraded = Projections(ledger, projections=[newer])
    try:
        head = save(ledger, customer(agency_a, name="後藤 新"))

        assert upgraded.catch_up() == 0
        assert upgraded.status() == [ProjectionStatus("customers", head - 1, head, 1, True)]
        assert not upgraded.wait_for(head, timeout=0.2)

        upgraded.rebuild("customers")

        assert upgraded.status() == [ProjectionStatus("customers", head, head, 0, False)]
        assert len(queries.search_customers(db, agency_a.agency_id).items) == 2
    finally:
        upgraded.close()


def test_a_log_that_lost_its_end_holds_its_read_models_for_a_rebuild(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    """Restored from an older backup (or failed over to a lagging replica), the log
    reuses positions the read models applied already: new events there would be
    skipped without a word. The read models stop and ask for a rebuild instead."""
    from projections import positions

    save(ledger, customer(agency_a))
    projections.catch_up()
    head = ledger.recorder.max_notification_id()
    with db.transaction() as tx:  # as if the log's last three events were lost
        positions.advance(tx, "customers", head + 3)

    projections.catch_up()
    later = customer(agency_a)
    save(ledger, later, customer(agency_a), customer(agency_a), customer(agency_a))
    projections.catch_up()

    status = {s.name: s for s in projections.status()}
    assert status["customers"].rebuild_needed and not status["policies"].rebuild_needed
    assert queries.get_customer(db, agency_a.agency_id, later.id) is None  # held, not skipped
    projections.rebuild("customers")
    assert queries.get_customer(db, agency_a.agency_id, later.id) is not None
    assert not {s.name: s for s in projections.status()}["customers"].rebuild_needed
