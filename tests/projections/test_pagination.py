"""Cursor pagination: every row once, in order, even while rows are added; cursors
that were tampered with or belong to another query are refused."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.context import EventContext
from infra.ledger import Ledger
from projections import queries
from projections.cursor import InvalidCursor
from projections.database import ProjectionDatabase
from projections.pages import Page
from projections.runner import Projections
from tests.projections.conftest import contact, customer, save

KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノ"


def page_through(
    fetch: Callable[[str | None], Page], between: Callable[[int], None] = lambda n: None
) -> list[dict[str, Any]]:
    """Every item of every page; `between(n)` runs after page n is read."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    n = 0
    while True:
        page = fetch(cursor)
        items += page.items
        if page.next_cursor is None:
            return items
        between(n)
        cursor, n = page.next_cursor, n + 1


@pytest.mark.parametrize("sort", ["kana", "name", "created", "updated"])
def test_paging_gives_every_customer_once_in_order(
    ledger: Ledger,
    projections: Projections,
    db: ProjectionDatabase,
    agency_a: EventContext,
    sort: str,
) -> None:
    # Pairs of customers with equal names and kana: the id breaks the tie.
    for kana in KANA[:12]:
        save(ledger, *[customer(agency_a, name=f"顧客 {kana}", kana=kana) for _ in range(2)])
    projections.catch_up()
    everyone = queries.search_customers(db, agency_a.agency_id, sort=sort, limit=200).items

    paged = page_through(
        lambda cursor: queries.search_customers(
            db, agency_a.agency_id, sort=sort, limit=5, cursor=cursor
        )
    )

    assert len(everyone) == 24
    assert paged == everyone


def test_rows_added_between_pages_do_not_shift_the_pages(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    save(ledger, *[customer(agency_a, name="顧客", kana=kana) for kana in KANA[1::2]])
    projections.catch_up()
    before = queries.search_customers(db, agency_a.agency_id, limit=200).items

    def add_one_before_and_one_after(n: int) -> None:
        # Kana that sort between the existing ones, both before and after this page.
        save(ledger, customer(agency_a, name="新規", kana=KANA[2 * n]))
        save(ledger, customer(agency_a, name="新規", kana=KANA[-1 - 2 * n] + "ン"))
        projections.catch_up()

    paged = page_through(
        lambda cursor: queries.search_customers(db, agency_a.agency_id, limit=3, cursor=cursor),
        between=add_one_before_and_one_after,
    )

    paged_ids = [row["id"] for row in paged]
    assert len(paged_ids) == len(set(paged_ids)), "a row was served twice"
    assert {row["id"] for row in before} <= set(paged_ids), "a row was skipped"
    keys = [(row["kana"], row["id"]) for row in paged]
    assert keys == sorted(keys)


def test_contacts_page_newest_first(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    client = customer(agency_a)
    start = datetime(2024, 6, 1, tzinfo=UTC)
    # Two contacts at each instant: the id breaks the tie.
    records = [
        contact(agency_a, client, occurred_at=start + timedelta(hours=h // 2)) for h in range(11)
    ]
    save(ledger, client, *records)
    projections.catch_up()

    paged = page_through(
        lambda cursor: queries.list_contacts(db, agency_a.agency_id, limit=4, cursor=cursor)
    )

    keys = [(row["occurred_at"], row["id"]) for row in paged]
    assert len(keys) == 11
    assert keys == sorted(keys, reverse=True)


@pytest.fixture
def cursor(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> str:
    save(ledger, *[customer(agency_a, name="山田", kana=kana) for kana in "ヤヤヤヤ"])
    projections.catch_up()
    page = queries.search_customers(db, agency_a.agency_id, q="ヤ", limit=2)
    assert page.next_cursor is not None
    return page.next_cursor


def _encode(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode()


def _tampered(cursor: str) -> list[str]:
    padded = cursor + "=" * (-len(cursor) % 4)
    payload = json.loads(base64.urlsafe_b64decode(padded))
    edited_key = {**payload, "k": [payload["k"][0], "00000000-0000-0000-0000-000000000000"]}
    flipped = cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:]
    return [
        _encode(edited_key),  # a key of our choosing, with the old seal
        _encode({**payload, "k": payload["k"][:1]}),
        _encode({**payload, "extra": 1}),
        _encode([payload]),
        flipped,
        cursor[:-2],
        cursor + "!!",
        "",
        "x" * 5000,
    ]


def test_tampered_cursor_is_refused(
    db: ProjectionDatabase, agency_a: EventContext, cursor: str
) -> None:
    assert queries.search_customers(db, agency_a.agency_id, q="ヤ", limit=2, cursor=cursor).items
    for tampered in _tampered(cursor):
        with pytest.raises(InvalidCursor):
            queries.search_customers(db, agency_a.agency_id, q="ヤ", limit=2, cursor=tampered)
    assert issubclass(InvalidCursor, ValueError)


@pytest.mark.parametrize(
    "other_query",
    [
        {"q": "ヤマ"},
        {"q": "ヤ", "sort": "name"},
        {"q": "ヤ", "status": "active"},
        {"q": "ヤ", "agent": "agent-ono"},
    ],
)
def test_a_cursor_is_refused_by_another_query(
    db: ProjectionDatabase, agency_a: EventContext, cursor: str, other_query: dict[str, Any]
) -> None:
    with pytest.raises(InvalidCursor):
        queries.search_customers(db, agency_a.agency_id, limit=2, cursor=cursor, **other_query)


def test_a_customer_cursor_is_refused_by_the_contact_list(
    db: ProjectionDatabase, agency_a: EventContext, cursor: str
) -> None:
    with pytest.raises(InvalidCursor):
        queries.list_contacts(db, agency_a.agency_id, cursor=cursor)
