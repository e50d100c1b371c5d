"""The customer directory and detail, and the phone index that finds customers by the
ending of a number.

The directory and the detail are one row per customer: the search keys sit next to
the fields a page shows, so a search page is one index range read with no join.
Phone numbers are stored again as reversed digits, one row per number, so that "ends
with 5678" is a prefix, hence an index range, of "8765…".
"""

from __future__ import annotations

from domain import text
from domain.customer import ACTIVE, ARCHIVED, Customer
from projections.fields import (
    FieldColumns,
    changed_values,
    column,
    columns_of,
    registered_values,
)
from projections.projection import Handlers, Projection
from projections.rows import created_columns, update_row
from projections.schema import KEY, Index, Table
from projections.values import day, json_list, uid
from projections.view import View

CUSTOMERS = Table(
    "customers",
    f"id {KEY} PRIMARY KEY, agency_id {KEY} NOT NULL, kind {KEY} NOT NULL, "
    f"name TEXT NOT NULL, name_key {KEY} NOT NULL, kana TEXT NOT NULL, kana_key {KEY} NOT NULL, "
    f"birth_date {KEY}, postal_code {KEY}, address TEXT, phones TEXT NOT NULL, email TEXT, "
    f"household_id {KEY}, agent_id {KEY}, status {KEY} NOT NULL, version INTEGER NOT NULL, "
    f"created_at {KEY} NOT NULL, updated_at {KEY} NOT NULL",
    (
        Index("customers_by_kana", "agency_id, kana_key, id"),
        Index("customers_by_name", "agency_id, name_key, id"),
        Index("customers_by_created", "agency_id, created_at, id"),
        Index("customers_by_updated", "agency_id, updated_at, id"),
        Index("customers_by_postal_code", "agency_id, postal_code"),
        Index("customers_by_birth_date", "agency_id, birth_date"),
        Index("customers_by_household", "agency_id, household_id"),
        Index("customers_by_agent", "agency_id, agent_id, kana_key, id"),
    ),
)
CUSTOMER_PHONES = Table(
    "customer_phones",
    f"customer_id {KEY} NOT NULL, digits_reversed {KEY} NOT NULL, agency_id {KEY} NOT NULL, "
    "PRIMARY KEY (customer_id, digits_reversed)",
    (Index("customer_phones_by_ending", "agency_id, digits_reversed"),),
)

FIELDS: dict[str, FieldColumns] = {
    "kind": column("kind"),
    "name": lambda name: {"name": name, "name_key": text.name_key(name)},
    "kana": column("kana"),
    "kana_key": column("kana_key"),
    "birth_date": column("birth_date", day),
    "postal_code": column("postal_code"),
    "address": column("address"),
    "phones": column("phones", json_list),
    "email": column("email"),
    "household_id": column("household_id", uid),
    "agent_id": column("agent_id"),
}

handlers = Handlers()


@handlers.on(Customer.Registered)
def registered(view: View, event: Customer.Registered) -> None:
    view.insert(
        "customers",
        {
            **created_columns(event),
            "agency_id": uid(event.agency_id),
            **columns_of(FIELDS, registered_values(FIELDS, event)),
            "status": ACTIVE,
        },
    )
    _store_phones(view, event, event.phones)


@handlers.on(Customer.Changed)
def changed(view: View, event: Customer.Changed) -> None:
    values = changed_values(event.changes)
    update_row(view, "customers", event, columns_of(FIELDS, values))
    if "phones" in values:
        _store_phones(view, event, values["phones"])


@handlers.on(Customer.Archived)
def archived(view: View, event: Customer.Archived) -> None:
    update_row(view, "customers", event, {"status": ARCHIVED})


@handlers.on(Customer.Unarchived)
def unarchived(view: View, event: Customer.Unarchived) -> None:
    update_row(view, "customers", event, {"status": ACTIVE})


def _store_phones(view: View, event: Customer.Event, phones: list[str]) -> None:
    customer_id = str(event.originator_id)
    agency_id = str(event.context.agency_id)
    view.execute("DELETE FROM {customer_phones} WHERE customer_id = ?", (customer_id,))
    view.executemany(
        "INSERT INTO {customer_phones} (customer_id, digits_reversed, agency_id) VALUES (?, ?, ?)",
        [(customer_id, text.phone_digits(phone)[::-1], agency_id) for phone in phones],
    )


PROJECTION = Projection(
    name="customers", layout=1, tables=(CUSTOMERS, CUSTOMER_PHONES), handlers=handlers
)
