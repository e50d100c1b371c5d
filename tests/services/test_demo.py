"""The demo agency the README's run command loads."""

from __future__ import annotations

from datetime import timedelta

from domain.roles import ROLES
from infra.clock import today_in_japan
from infra.ledger import Ledger
from projections import queries
from projections.runner import Projections
from services.demo import CUSTOMERS, load_demo
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
    projections.close()
