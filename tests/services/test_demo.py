"""The demo agency the README's run command loads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.roles import ROLES
from infra.clock import today_in_japan
from infra.ledger import Ledger
from projections import queries
from projections.database import open_database
from projections.runner import Projections
from services import sessions
from services.customers import register_customer
from services.demo import CUSTOMERS, load_demo
from services.records import DuplicateRecord
from services.requests import cli_meta
from services.users import authenticate


def test_the_demo_agency_is_loaded_once_with_a_fresh_login_per_role(ledger: Ledger) -> None:
    first = load_demo(ledger)
    again = load_demo(ledger)

    assert sorted(login.role for login in again) == sorted(ROLES)
    for login in again:
        assert authenticate(ledger, "demo", login.username, login.password).role == login.role
    assert {login.password for login in first}.isdisjoint(login.password for login in again)

    projections = Projections(ledger)
    projections.catch_up()
    agency_id = authenticate(ledger, "demo", again[0].username, again[0].password).agency_id
    listed = queries.search_customers(projections.database, agency_id, limit=200)
    assert len(listed.items) == 200 and listed.next_cursor is not None
    today = today_in_japan()
    due = queries.renewals_due(
        projections.database, agency_id, start=today, end=today + timedelta(days=365)
    )
    assert due.items, "renewals spread over the coming year"
    assert CUSTOMERS == 1000
    # Its customers carry the ids the API derives: entering one again finds it.
    demo_customer = queries.get_customer(projections.database, agency_id, listed.items[0]["id"])
    meta = cli_meta("test", agency_id)
    fields = {k: demo_customer[k] for k in ("kind", "name", "kana")}
    fields["birth_date"] = date.fromisoformat(demo_customer["birth_date"])
    with pytest.raises(DuplicateRecord):
        register_customer(ledger, meta, fields)
    projections.close()


def test_a_demo_restart_ends_the_sessions_of_the_passwords_it_replaced(ledger: Ledger) -> None:
    login = load_demo(ledger)[0]
    db = open_database(ledger.settings)
    try:
        user = authenticate(ledger, "demo", login.username, login.password)
        token, _ = sessions.open_session(db, user)
        load_demo(ledger)
        found = db.query(
            "SELECT revoked_at FROM api_sessions WHERE id = ?", (sessions.session_id_of(token),)
        )
        assert found[0]["revoked_at"]
    finally:
        db.close()
