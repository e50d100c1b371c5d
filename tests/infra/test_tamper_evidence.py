"""Tampering with a real database, in every way the chain must reveal.

Each test makes a small ledger of known positions, alters the stored rows by hand
(after dropping the append-only triggers, as an attacker would) and asserts that
verification names the exact first bad position and what is wrong there.
"""

from __future__ import annotations

import sqlite3
from uuid import UUID

import psycopg
import pytest
from eventsourcing.domain import Aggregate, event

from infra.chain import chain_link, entry_hash
from infra.ledger import Ledger
from infra.verification import (
    EVENT_INSERTED,
    EVENT_MISSING,
    GUARD_REMOVED,
    LINK_BROKEN,
    ORDER_CHANGED,
    PAYLOAD_MODIFIED,
    STORE_ALTERED,
    Report,
    verify,
)
from tests.infra.tampering import RawStore


class Note(Aggregate):
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Edited")
    def edit(self, text: str) -> None:
        self.text = text


@pytest.fixture
def store(ledger: Ledger) -> RawStore:
    """Ten events at positions 1..10: five notes, each created then edited once."""
    for i in range(5):
        note = Note(f"note {i}")
        note.edit(f"note {i}, edited")
        ledger.save(note)
    assert _verify(ledger).ok
    return RawStore(ledger.settings)


def _verify(ledger: Ledger) -> Report:
    with ledger.chain_snapshot() as snapshot:
        return verify(snapshot)


def _first(ledger: Ledger) -> tuple[str, int | None]:
    report = _verify(ledger)
    assert not report.ok
    problem = report.first_problem
    assert problem is not None
    return problem.kind, problem.position


def test_an_untouched_ledger_verifies(ledger: Ledger, store: RawStore) -> None:
    report = _verify(ledger)
    assert (report.events_checked, report.head_position) == (10, 10)


def test_the_database_refuses_updates_and_deletes(store: RawStore) -> None:
    for statement in (
        "UPDATE stored_events SET topic = 'x'",
        "UPDATE stored_events SET chain_hash = entry_hash",
        "DELETE FROM stored_events",
    ):
        with pytest.raises(Exception, match="append-only"):
            store.execute(statement)


def test_dropped_guards_are_reported(ledger: Ledger, store: RawStore) -> None:
    store.drop_guards()
    assert _first(ledger) == (GUARD_REMOVED, None)


def test_modified_payload(ledger: Ledger, store: RawStore) -> None:
    store.drop_guards()
    store.execute("UPDATE stored_events SET state = ? WHERE {pos} = 7", (b'{"text":"forged"}',))
    assert _first(ledger) == (PAYLOAD_MODIFIED, 7)


def test_deleted_event(ledger: Ledger, store: RawStore) -> None:
    store.drop_guards()
    store.execute("DELETE FROM stored_events WHERE {pos} = 4")
    assert _first(ledger) == (EVENT_MISSING, 4)


def test_deleted_first_event(ledger: Ledger, store: RawStore) -> None:
    # The genesis entry has no predecessor to betray it; its successor's link does.
    store.drop_guards()
    store.execute("DELETE FROM stored_events WHERE {pos} = 1")
    assert _first(ledger) == (EVENT_MISSING, 1)
    kinds = {(p.kind, p.position) for p in _verify(ledger).problems}
    assert (EVENT_MISSING, 2) in kinds  # and the note's own history starts at version 2


def _insert_forged_edit(store: RawStore, position: int, links_from: int) -> None:
    """Slips in, at `position`, a version 3 of the note at `links_from`, with that
    row's chain columns copied."""
    store.insert_copy(position, links_from, version=3, state=b'{"text":"forged"}')


def test_appended_event_with_copied_links(ledger: Ledger, store: RawStore) -> None:
    store.drop_guards()
    _insert_forged_edit(store, 11, links_from=10)
    assert _first(ledger) == (EVENT_INSERTED, 11)


def test_event_inserted_in_a_gap_made_for_it(ledger: Ledger, store: RawStore) -> None:
    """The attacker moves later events up to make room; positions are hashed, so
    each moved event shows where it was written."""
    store.drop_guards()
    for position in range(10, 5, -1):
        store.execute(
            f"UPDATE stored_events SET {{pos}} = {position + 1} WHERE {{pos}} = {position}"
        )
    _insert_forged_edit(store, 6, links_from=5)
    report = _verify(ledger)
    assert report.first_problem is not None
    assert (report.first_problem.kind, report.first_problem.position) == (EVENT_INSERTED, 6)
    moved = {p.position for p in report.problems if p.kind == ORDER_CHANGED}
    assert moved == {7, 8, 9, 10, 11}


def test_moved_events_with_rewritten_pointers(ledger: Ledger, store: RawStore) -> None:
    """Moving events and re-pointing their prev_position still leaves each one's
    hashed position behind."""
    store.drop_guards()
    for position in range(10, 5, -1):
        store.execute(
            f"UPDATE stored_events SET {{pos}} = {position + 100}, prev_position = "
            f"{position + 99 if position > 6 else 5} WHERE {{pos}} = {position}"
        )
    assert _first(ledger) == (ORDER_CHANGED, 106)


def test_order_changed(ledger: Ledger, store: RawStore) -> None:
    store.drop_guards()
    store.execute("UPDATE stored_events SET {pos} = 1000 WHERE {pos} = 3")
    store.execute("UPDATE stored_events SET {pos} = 3 WHERE {pos} = 8")
    store.execute("UPDATE stored_events SET {pos} = 8 WHERE {pos} = 1000")
    assert _first(ledger) == (ORDER_CHANGED, 3)


def test_broken_link(ledger: Ledger, store: RawStore) -> None:
    store.drop_guards()
    store.execute("UPDATE stored_events SET chain_hash = entry_hash WHERE {pos} = 5")
    assert _first(ledger) == (LINK_BROKEN, 5)


def test_rewritten_entry_hash_breaks_the_link(ledger: Ledger, store: RawStore) -> None:
    """Altering a payload and its entry hash still leaves the chain hash behind."""
    store.drop_guards()
    forged = b'{"text":"forged"}'
    aggregate_id, version, topic = store.execute(
        "SELECT originator_id, originator_version, topic FROM stored_events WHERE {pos} = 6"
    )[0]
    digest = entry_hash(6, UUID(str(aggregate_id)), version, topic, forged)
    store.execute("UPDATE stored_events SET state = ? WHERE {pos} = 6", (forged,))
    store.execute("UPDATE stored_events SET entry_hash = ? WHERE {pos} = 6", (digest,))
    assert _first(ledger) == (LINK_BROKEN, 6)
    # Recomputing the global link too: the next global link and this event's
    # aggregate link still betray it.
    previous = store.execute("SELECT chain_hash FROM stored_events WHERE {pos} = 5")[0][0]
    store.execute(
        "UPDATE stored_events SET chain_hash = ? WHERE {pos} = 6",
        (chain_link(bytes(previous), digest),),
    )
    problems = {(p.kind, p.position, p.detail.split()[0]) for p in _verify(ledger).problems}
    assert {(LINK_BROKEN, 7, "global"), (LINK_BROKEN, 6, "aggregate")} <= problems


# PostgreSQL stores ids as uuid and states as bytea: these two attacks need SQLite's
# loose typing.
@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_an_id_respelled_to_hide_an_event_from_the_application(
    ledger: Ledger, store: RawStore
) -> None:
    """Same UUID, other spelling: it hashes the same but the recorder no longer finds it."""
    store.drop_guards()
    store.execute("UPDATE stored_events SET originator_id = upper(originator_id) WHERE {pos} = 4")
    assert _first(ledger) == (PAYLOAD_MODIFIED, 4)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_state_stored_as_another_type_is_reported_not_crashed_on(
    ledger: Ledger, store: RawStore
) -> None:
    store.drop_guards()
    store.execute("UPDATE stored_events SET state = CAST(state AS TEXT) WHERE {pos} = 6")
    assert _first(ledger) == (PAYLOAD_MODIFIED, 6)


@pytest.mark.parametrize(
    "assignment",
    ["topic = NULL", "originator_version = -1", "originator_version = NULL", "state = NULL"],
)
def test_values_that_cannot_be_hashed_are_reported_not_crashed_on(
    ledger: Ledger, store: RawStore, assignment: str
) -> None:
    store.drop_guards()
    try:
        store.execute(f"UPDATE stored_events SET {assignment} WHERE {{pos}} = 3")
    except (sqlite3.Error, psycopg.Error):
        # The column's constraint refused it: nothing changed but the dropped guards.
        assert {p.kind for p in _verify(ledger).problems} == {GUARD_REMOVED}
        return
    assert _first(ledger) == (PAYLOAD_MODIFIED, 3)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "assignment",
    ["prev_position = 'two'", "entry_hash = 'x'", "chain_hash = 7", "aggregate_hash = x'00'"],
)
def test_links_of_another_type_are_reported_not_crashed_on(
    ledger: Ledger, store: RawStore, assignment: str
) -> None:
    store.drop_guards()
    store.execute(f"UPDATE stored_events SET {assignment} WHERE {{pos}} = 3")
    assert _first(ledger) == (LINK_BROKEN, 3)


def test_guards_replaced_by_same_named_no_ops_are_reported(ledger: Ledger, store: RawStore) -> None:
    store.drop_guards()
    if store.postgres:
        store.execute(
            "CREATE FUNCTION nothing() RETURNS trigger LANGUAGE plpgsql "
            "AS $$BEGIN RETURN NEW; END$$"
        )
        store.execute(
            "CREATE TRIGGER stored_events_no_update_delete BEFORE UPDATE OR DELETE "
            "ON stored_events FOR EACH ROW EXECUTE FUNCTION nothing()"
        )
        store.execute(
            "CREATE TRIGGER stored_events_no_truncate BEFORE TRUNCATE "
            "ON stored_events FOR EACH STATEMENT EXECUTE FUNCTION nothing()"
        )
    else:
        store.execute("CREATE TABLE decoy (a)")
        for action in ("update", "delete"):
            store.execute(
                f"CREATE TRIGGER stored_events_no_{action} BEFORE {action.upper()} "
                "ON decoy BEGIN SELECT 1; END"
            )
    report = _verify(ledger)
    assert {p.kind for p in report.problems} == {GUARD_REMOVED}
    assert len(report.problems) == 2


def test_a_deleted_range_is_reported_from_its_start(ledger: Ledger, store: RawStore) -> None:
    store.drop_guards()
    store.execute("DELETE FROM stored_events WHERE {pos} BETWEEN 4 AND 6")
    report = _verify(ledger)
    assert report.first_problem is not None
    assert (report.first_problem.kind, report.first_problem.position) == (EVENT_MISSING, 4)
    assert "4 to 6 are gone" in report.first_problem.detail


def test_a_forged_append_that_leaves_a_gap(ledger: Ledger, store: RawStore) -> None:
    """Correct links onto the head, but at a position no append would take."""
    row = store.execute(
        "SELECT originator_id, topic, chain_hash FROM stored_events WHERE {pos} = 10"
    )[0]
    aggregate_id, topic, head_hash = UUID(str(row[0])), row[1], bytes(row[2])
    state = b'{"text":"forged"}'
    digest = entry_hash(1000, aggregate_id, 3, topic, state)
    store.insert_copy(
        1000,
        10,
        version=3,
        state=state,
        prev_position=10,
        entry_hash=digest,
        chain_hash=chain_link(head_hash, digest),
    )
    assert _first(ledger) == (EVENT_INSERTED, 1000)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_text_that_is_not_utf8_is_reported_not_crashed_on(ledger: Ledger, store: RawStore) -> None:
    store.drop_guards()
    store.execute("UPDATE stored_events SET topic = CAST(x'ff' AS TEXT) WHERE {pos} = 5")
    assert _first(ledger) == (PAYLOAD_MODIFIED, 5)


def test_a_dropped_column_is_reported_not_crashed_on(ledger: Ledger, store: RawStore) -> None:
    store.execute("ALTER TABLE stored_events DROP COLUMN prev_position")
    report = _verify(ledger)
    assert {p.kind for p in report.problems} == {STORE_ALTERED}


def test_another_trigger_on_the_events_table_is_reported(ledger: Ledger, store: RawStore) -> None:
    """A BEFORE INSERT trigger could drop or rewrite appends without a trace."""
    if store.postgres:
        store.execute(
            "CREATE FUNCTION pass_through() RETURNS trigger LANGUAGE plpgsql "
            "AS $$BEGIN RETURN NEW; END$$"
        )
        store.execute(
            "CREATE TRIGGER quiet BEFORE INSERT ON stored_events "
            "FOR EACH ROW EXECUTE FUNCTION pass_through()"
        )
    else:
        store.execute(
            "CREATE TRIGGER quiet BEFORE INSERT ON stored_events "
            "WHEN NEW.topic LIKE '%Deleted' BEGIN SELECT RAISE(IGNORE); END"
        )
    report = _verify(ledger)
    assert [(p.kind, p.detail) for p in report.problems] == [
        (STORE_ALTERED, "trigger quiet on stored_events is not Daicho's")
    ]


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_row_level_security_that_hides_events_from_the_application(
    ledger: Ledger, store: RawStore
) -> None:
    """The owner (who verifies) sees every row; the application's role would not."""
    store.execute("ALTER TABLE stored_events ENABLE ROW LEVEL SECURITY")
    store.execute("CREATE POLICY hide ON stored_events AS RESTRICTIVE FOR SELECT USING (true)")
    details = {p.detail for p in _verify(ledger).problems if p.kind == STORE_ALTERED}
    assert details == {
        "row-level security is on for stored_events",
        "policy hide on stored_events",
    }


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_dropped_or_weakened_unique_keys_are_reported(ledger: Ledger, store: RawStore) -> None:
    """Before the store forks: without them a second "version 1" of a record is taken."""
    store.execute("ALTER TABLE stored_events DROP CONSTRAINT stored_events_pkey")
    store.execute("DROP INDEX stored_events_notification_id_idx")
    store.execute(
        "CREATE UNIQUE INDEX stored_events_notification_id_idx ON stored_events "
        "(notification_id) WHERE notification_id < 5"
    )
    assert sorted(p.detail for p in _verify(ledger).problems if p.kind == STORE_ALTERED) == [
        "stored_events has no unique index on (notification_id)",
        "stored_events has no unique index on (originator_id, originator_version)",
    ]


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_guards_that_never_fire_are_reported(ledger: Ledger, store: RawStore) -> None:
    store.drop_guards()
    store.execute(
        "CREATE TRIGGER stored_events_no_update_delete BEFORE UPDATE OR DELETE "
        "ON stored_events FOR EACH ROW WHEN (false) EXECUTE FUNCTION daicho_refuse_change()"
    )
    store.execute(
        "CREATE TRIGGER stored_events_no_truncate BEFORE TRUNCATE ON stored_events "
        "FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION daicho_refuse_change()"
    )
    assert sorted((p.kind, p.detail) for p in _verify(ledger).problems) == [
        (GUARD_REMOVED, "trigger stored_events_no_truncate is altered or disabled"),
        (GUARD_REMOVED, "trigger stored_events_no_update_delete is altered or disabled"),
    ]


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_an_index_that_hides_an_aggregates_last_event(ledger: Ledger, store: RawStore) -> None:
    """The rows stay, the triggers stay: the primary-key index the application reads
    through is swapped for one that leaves out an event."""
    aggregate_id = store.execute("SELECT originator_id FROM stored_events WHERE {pos} = 10")[0][0]
    store.execute(
        "CREATE INDEX fake ON stored_events (originator_id, originator_version) "
        f"WHERE NOT (originator_id = '{aggregate_id}' AND originator_version = 2)"
    )
    store.execute_script(
        "PRAGMA writable_schema = ON;"
        "UPDATE sqlite_master SET rootpage = (SELECT rootpage FROM sqlite_master "
        "WHERE name = 'fake') WHERE name = 'sqlite_autoindex_stored_events_1';"
        "DELETE FROM sqlite_master WHERE name = 'fake';"
        "PRAGMA writable_schema = OFF;"
    )
    report = _verify(ledger)
    assert [(p.kind, p.detail) for p in report.problems] == [
        (STORE_ALTERED, "the primary-key index lists 9 events, the table 10")
    ]


def test_the_first_problem_survives_the_cap_on_listed_problems() -> None:
    """The aggregate pass reports after the global one: its earlier position must
    still be the first problem when the global pass filled the list."""
    from infra.verification import MAX_PROBLEMS, Problem

    report = Report()
    for position in range(1000, 1000 + MAX_PROBLEMS + 5):
        report.add(Problem(PAYLOAD_MODIFIED, position, None, "x"))
    report.add(Problem(LINK_BROKEN, 3, None, "aggregate"))
    assert report.first_problem == Problem(LINK_BROKEN, 3, None, "aggregate")
    assert (len(report.problems), report.problems_found) == (MAX_PROBLEMS, MAX_PROBLEMS + 6)
    assert report.as_dict()["problems_truncated"] is True
