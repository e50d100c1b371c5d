"""Rebuilding: the replay gives the live tables row for row, and a rebuild running next
to the live runner and to writers corrupts nothing."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from domain.context import EventContext
from infra.ledger import Ledger
from projections import queries
from projections.catalog import PROJECTIONS
from projections.database import ProjectionDatabase
from projections.rebuild import SHADOW_MARK
from projections.runner import Projections
from tests.projections.conftest import (
    TODAY,
    contact,
    customer,
    household,
    policy,
    save,
    table_rows,
    user,
)


def write_every_kind_of_event(ledger: Ledger, agency: EventContext, n: int) -> None:
    home = household(agency, f"家 {n}")
    client = customer(agency, name=f"顧客 {n}", kana=f"こきゃく {n}", phones=["03-1234-5678"])
    cover = policy(agency, client, end_date=date(2025, 6, 1 + n % 28))
    staff = user(agency, f"staff-{n}")
    save(ledger, home, client, cover, staff, contact(agency, client))
    home.rename(agency, f"家 {n} 改")
    client.change(agency, today=TODAY, household_id=home.id, phones=["090-1111-2222"])
    client.archive(agency)
    cover.change(agency, premium=60_000 + n)
    cover.change_status(agency, "lapsed")
    staff.change_role(agency, "manager")
    staff.change_password(agency, "$argon2id$v=19$m=65536$eA$eQ")
    save(ledger, home, client, cover, staff)
    client.unarchive(agency)
    cover.change_status(agency, "in_force")
    staff.deactivate(agency)
    save(ledger, client, cover, staff)


def index_names(db: ProjectionDatabase) -> set[str]:
    with db.transaction() as tx:
        if db.backend == "sqlite":
            tx.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        else:
            tx.execute(
                "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()"
            )
        return {row["name"] for row in tx.fetchall()}


def declared_index_names() -> set[str]:
    return {index.name for p in PROJECTIONS for table in p.tables for index in table.indexes}


def test_rebuilt_tables_equal_the_live_ones_row_for_row(
    ledger: Ledger,
    projections: Projections,
    db: ProjectionDatabase,
    agency_a: EventContext,
    agency_b: EventContext,
) -> None:
    for n in range(4):
        write_every_kind_of_event(ledger, agency_a if n % 2 else agency_b, n)
    projections.catch_up()
    live, live_status = table_rows(db), projections.status()
    assert all(rows for rows in live.values()), "every table has rows to compare"

    projections.rebuild()

    assert table_rows(db) == live
    assert projections.status() == live_status
    assert declared_index_names() <= index_names(db)
    assert not [name for name in index_names(db) if SHADOW_MARK in name]


def test_rebuild_of_one_projection_leaves_the_others_alone(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    write_every_kind_of_event(ledger, agency_a, 1)
    projections.catch_up()
    live = table_rows(db)

    projections.rebuild("policies")

    assert table_rows(db) == live
    with pytest.raises(ValueError, match="no projection named"):
        projections.rebuild("renewals")


def test_a_rebuild_next_to_the_live_runner_and_writers_corrupts_nothing(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    write_every_kind_of_event(ledger, agency_a, 0)
    projections.start()

    def write_more() -> None:
        for n in range(1, 12):
            write_every_kind_of_event(ledger, agency_a, n)

    writing = threading.Thread(target=write_more)
    writing.start()
    try:
        while writing.is_alive():
            projections.rebuild()
            # Readers keep working whatever the swap is doing.
            queries.search_customers(db, agency_a.agency_id, q="こきゃく")
    finally:
        writing.join()
    head = ledger.recorder.max_notification_id()
    assert head is not None and projections.wait_for(head, timeout=10)
    projections.stop()
    after_the_storm = table_rows(db)

    projections.rebuild()

    assert table_rows(db) == after_the_storm
    assert len(after_the_storm["customers"]) == 12
    assert len(after_the_storm["contacts"]) == 12


def test_shadow_tables_of_a_rebuild_that_died_are_cleared(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    write_every_kind_of_event(ledger, agency_a, 0)
    projections.catch_up()
    with db.transaction(lock="test") as tx:
        tx.execute(f"CREATE TABLE households{SHADOW_MARK}dead (id TEXT PRIMARY KEY)")

    projections.rebuild("households")

    with db.transaction() as tx:
        assert tx.table_names(f"households{SHADOW_MARK}") == []
