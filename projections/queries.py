"""The reads the JSON API serves, over the projection tables.

Each read is built as a `Read`: one statement and what its rows become. `run` executes
it (callers in threads: services, the CLI, tests, write handlers), `run_async` awaits it
(request handlers on the event loop: on PostgreSQL the loop serves other requests during
the round trip). `get_customer`, `search_customers`, … are `run` of each.

Every read takes the caller's agency first, and every statement is bounded by that
agency: another agency's rows are never returned, whether asked for by id, by filter or
by search. Rows come back as plain dicts of JSON-ready values (uuids, dates and instants
as ISO text, lists as lists).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Generic, TypeVar
from uuid import UUID

from projections.database import ProjectionDatabase, Row
from projections.pages import Order, Page, PageQuery, Selection, page_query
from projections.search import customer_selections
from projections.values import day, uid

T = TypeVar("T")
Item = dict[str, Any]


@dataclass(frozen=True)
class Read(Generic[T]):
    """One statement, and what its rows become. A point read (one row by its key) may
    share a round trip with the point reads of concurrent requests."""

    sql: str
    params: Sequence[Any]
    result: Callable[[list[Row]], T]
    point: bool = False


def run(db: ProjectionDatabase, read: Read[T]) -> T:
    return read.result(db.query(read.sql, read.params))


async def run_async(db: ProjectionDatabase, read: Read[T]) -> T:
    return read.result(await db.read(read.sql, read.params, point=read.point))


CUSTOMER_KEYS = (
    "id", "kind", "name", "kana", "birth_date", "postal_code", "address", "phones", "email",
    "household_id", "agent_id", "status", "version", "created_at", "updated_at",
)  # fmt: skip
POLICY_KEYS = (
    "id", "insurer", "line", "policy_number", "policyholder_id", "insured_ids", "premium",
    "payment_frequency", "start_date", "end_date", "status", "agent_id", "version",
    "created_at", "updated_at",
)  # fmt: skip
CONTACT_KEYS = (
    "id", "customer_id", "occurred_at", "channel", "agent_id", "kind", "summary",
    "customer_intent", "products_proposed", "recommended_product", "recommendation_reason",
    "version", "created_at",
)  # fmt: skip
# A renewal is a policy with its holder's name and kana, for the list an agent calls from.
RENEWAL_KEYS = (*POLICY_KEYS, "policyholder_name", "policyholder_kana", "policyholder_status")
USER_KEYS = ("id", "agency_id", "username", "role", "active", "version")
# Columns stored as JSON text, served as lists.
JSON_KEYS = frozenset({"phones", "insured_ids", "products_proposed"})

CUSTOMER_SORTS: Mapping[str, Order] = {
    "kana": Order.by("kana_key", "id"),
    "name": Order.by("name_key", "id"),
    "created": Order.by("created_at", "id"),
    "updated": Order.by("updated_at", "id"),
}
# Start date, not end date: a policy without maturity has no end date to order by.
POLICY_ORDER = Order.by("start_date", "id")
RENEWAL_ORDER = Order(("r.end_date", "r.policy_id"), ("end_date", "id"))
CONTACT_ORDER = Order.by("occurred_at", "id", descending=True)


def _columns(keys: tuple[str, ...], table: str = "") -> str:
    prefix = f"{table}." if table else ""
    return ", ".join(f"{prefix}{key}" for key in keys)


def _item(row: Row, keys: tuple[str, ...]) -> dict[str, Any]:
    """The row as the API serves it: the given keys, JSON lists decoded."""
    return {key: json.loads(row[key]) if key in JSON_KEYS else row[key] for key in keys}


def _add_equal(conditions: list[str], params: list[Any], filters: Mapping[str, Any]) -> None:
    """Require each column to equal its filter value; a None filter is not applied."""
    for column, value in filters.items():
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)


def _by_id(
    table: str, keys: tuple[str, ...], agency_id: UUID, record_id: UUID
) -> Read[Item | None]:
    """One of the agency's rows by id: another agency's row is as absent as a missing one."""
    return Read(
        _by_id_sql(table, keys),
        [uid(agency_id), uid(record_id)],
        lambda rows: _item(rows[0], keys) if rows else None,
        point=True,
    )


@cache
def _by_id_sql(table: str, keys: tuple[str, ...]) -> str:
    return f"SELECT {_columns(keys)} FROM {table} WHERE agency_id = ? AND id = ?"


def _paged(statement: PageQuery, keys: tuple[str, ...]) -> Read[Page]:
    def page(rows: list[Row]) -> Page:
        page_rows, next_cursor = statement.page(rows)
        return Page([_item(row, keys) for row in page_rows], next_cursor)

    return Read(statement.sql, statement.params, page)


# Customers


def customer_by_id(agency_id: UUID, customer_id: UUID) -> Read[Item | None]:
    return _by_id("customers", CUSTOMER_KEYS, agency_id, customer_id)


def get_customer(db: ProjectionDatabase, agency_id: UUID, customer_id: UUID) -> Item | None:
    return run(db, customer_by_id(agency_id, customer_id))


def customer_search(
    agency_id: UUID,
    *,
    q: str | None = None,
    status: str | None = None,
    agent: str | None = None,
    birth_date: date | None = None,
    household_id: UUID | None = None,
    sort: str = "kana",
    limit: int = 50,
    cursor: str | None = None,
) -> Read[Page]:
    """One page of the customers matching every filter given, in the chosen order.

    `q` matches a name or kana by prefix, a phone number by its ending and a postal
    code by prefix (see projections.search). Sorts: "kana", "name", "created" and
    "updated", each ascending and then by id.
    """
    if sort not in CUSTOMER_SORTS:
        raise ValueError(f"sort: must be one of {', '.join(CUSTOMER_SORTS)}")
    agency = uid(agency_id)
    filters = {
        "status": status,
        "agent_id": agent,
        "birth_date": day(birth_date),
        "household_id": uid(household_id),
    }
    conditions: list[str] = []
    params: list[Any] = []
    _add_equal(conditions, params, filters)
    statement = page_query(
        columns=f"{_columns(CUSTOMER_KEYS)}, kana_key, name_key",
        selections=customer_selections(q, agency, conditions, params),
        table="customers",
        order=CUSTOMER_SORTS[sort],
        limit=limit,
        cursor=cursor,
        query={"of": "customers", "agency": agency, "sort": sort, "q": q, **filters},
    )
    return _paged(statement, CUSTOMER_KEYS)


def search_customers(db: ProjectionDatabase, agency_id: UUID, **criteria: Any) -> Page:
    return run(db, customer_search(agency_id, **criteria))


# Policies and renewals


def policy_by_id(agency_id: UUID, policy_id: UUID) -> Read[Item | None]:
    return _by_id("policies", POLICY_KEYS, agency_id, policy_id)


def get_policy(db: ProjectionDatabase, agency_id: UUID, policy_id: UUID) -> Item | None:
    return run(db, policy_by_id(agency_id, policy_id))


def policy_list(
    agency_id: UUID,
    *,
    customer_id: UUID | None = None,
    agent: str | None = None,
    insurer: str | None = None,
    status: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Read[Page]:
    """Policies by start date, then id. `customer_id` finds the policies the customer
    holds or is insured by."""
    agency = uid(agency_id)
    conditions: list[str] = ["agency_id = ?"]
    params: list[Any] = [agency]
    if customer_id is not None:
        conditions.append(
            "id IN (SELECT policy_id FROM policy_customers WHERE agency_id = ? AND customer_id = ?)"
        )
        params += [agency, uid(customer_id)]
    filters = {"agent_id": agent, "insurer": insurer, "status": status}
    _add_equal(conditions, params, filters)
    statement = page_query(
        columns=_columns(POLICY_KEYS),
        selections=[Selection("policies", conditions, params)],
        order=POLICY_ORDER,
        limit=limit,
        cursor=cursor,
        query={"of": "policies", "agency": agency, "customer_id": uid(customer_id), **filters},
    )
    return _paged(statement, POLICY_KEYS)


def list_policies(db: ProjectionDatabase, agency_id: UUID, **criteria: Any) -> Page:
    return run(db, policy_list(agency_id, **criteria))


def renewal_list(
    agency_id: UUID,
    *,
    start: date,
    end: date,
    agent: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Read[Page]:
    """In-force policies whose end date is within [start, end], by end date then id."""
    if end < start:
        raise ValueError("end: must not be before start")
    agency = uid(agency_id)
    conditions = ["r.agency_id = ?", "r.end_date >= ?", "r.end_date <= ?"]
    params: list[Any] = [agency, day(start), day(end)]
    if agent is not None:
        conditions.append("r.agent_id = ?")
        params.append(agent)
    statement = page_query(
        columns=f"{_columns(POLICY_KEYS, 'p')}, "
        "c.name AS policyholder_name, c.kana AS policyholder_kana, "
        "c.status AS policyholder_status",
        selections=[
            Selection(
                "renewals r JOIN policies p ON p.id = r.policy_id "
                "LEFT JOIN customers c ON c.id = p.policyholder_id AND c.agency_id = r.agency_id",
                conditions,
                params,
            )
        ],
        order=RENEWAL_ORDER,
        limit=limit,
        cursor=cursor,
        query={
            "of": "renewals",
            "agency": agency,
            "start": day(start),
            "end": day(end),
            "agent_id": agent,
        },
    )
    return _paged(statement, RENEWAL_KEYS)


def renewals_due(db: ProjectionDatabase, agency_id: UUID, **criteria: Any) -> Page:
    return run(db, renewal_list(agency_id, **criteria))


# Households


def get_household(
    db: ProjectionDatabase, agency_id: UUID, household_id: UUID
) -> dict[str, Any] | None:
    """The household with its members (by kana) and its members' policies (as holder
    or insured, by end date)."""
    agency, household = uid(agency_id), uid(household_id)
    with db.transaction() as tx:
        tx.execute(
            "SELECT id, name, version FROM households WHERE agency_id = ? AND id = ?",
            (agency, household),
        )
        found = tx.fetchone()
        if found is None:
            return None
        tx.execute(
            "SELECT id, name, kana FROM customers WHERE agency_id = ? AND household_id = ? "
            "ORDER BY kana_key, id",
            (agency, household),
        )
        members = tx.fetchall()
        tx.execute(
            f"SELECT {_columns(POLICY_KEYS)} FROM policies WHERE agency_id = ? AND id IN ("
            "SELECT pc.policy_id FROM policy_customers pc "
            "JOIN customers c ON c.id = pc.customer_id "
            "WHERE pc.agency_id = ? AND c.agency_id = ? AND c.household_id = ?"
            ") ORDER BY start_date, id",
            (agency, agency, agency, household),
        )
        policies = tx.fetchall()
    return {
        **found,
        "members": members,
        "policies": [_item(row, POLICY_KEYS) for row in policies],
    }


# Contacts


def contact_by_id(agency_id: UUID, contact_id: UUID) -> Read[Item | None]:
    return _by_id("contacts", CONTACT_KEYS, agency_id, contact_id)


def get_contact(db: ProjectionDatabase, agency_id: UUID, contact_id: UUID) -> Item | None:
    return run(db, contact_by_id(agency_id, contact_id))


def contact_list(
    agency_id: UUID,
    *,
    customer_id: UUID | None = None,
    agent: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Read[Page]:
    """Contacts, newest first (by when they occurred, then id)."""
    agency = uid(agency_id)
    conditions: list[str] = ["agency_id = ?"]
    params: list[Any] = [agency]
    filters = {"customer_id": uid(customer_id), "agent_id": agent, "kind": kind}
    _add_equal(conditions, params, filters)
    statement = page_query(
        columns=_columns(CONTACT_KEYS),
        selections=[Selection("contacts", conditions, params)],
        order=CONTACT_ORDER,
        limit=limit,
        cursor=cursor,
        query={"of": "contacts", "agency": agency, **filters},
    )
    return _paged(statement, CONTACT_KEYS)


def list_contacts(db: ProjectionDatabase, agency_id: UUID, **criteria: Any) -> Page:
    return run(db, contact_list(agency_id, **criteria))


# Users


def list_users(db: ProjectionDatabase, agency_id: UUID) -> list[dict[str, Any]]:
    """The agency's users by username; no password hash is ever projected."""
    rows = db.query(
        f"SELECT {_columns(USER_KEYS)} FROM users WHERE agency_id = ? ORDER BY username",
        (uid(agency_id),),
    )
    return [{**row, "active": bool(row["active"])} for row in rows]
