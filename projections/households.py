"""Households. Their members are not copied here: a customer's household is a column
of the customer directory, which the household query reads."""

from __future__ import annotations

from domain.household import Household
from projections.projection import Handlers, Projection
from projections.rows import created_columns, update_row
from projections.schema import KEY, Table
from projections.values import uid
from projections.view import View

HOUSEHOLDS = Table(
    "households",
    f"id {KEY} PRIMARY KEY, agency_id {KEY} NOT NULL, name TEXT NOT NULL, "
    f"version INTEGER NOT NULL, created_at {KEY} NOT NULL, updated_at {KEY} NOT NULL",
)

handlers = Handlers()


@handlers.on(Household.Formed)
def formed(view: View, event: Household.Formed) -> None:
    view.insert(
        "households",
        {**created_columns(event), "agency_id": uid(event.agency_id), "name": event.name},
    )


@handlers.on(Household.Renamed)
def renamed(view: View, event: Household.Renamed) -> None:
    update_row(view, "households", event, {"name": event.new})


PROJECTION = Projection(name="households", layout=1, tables=(HOUSEHOLDS,), handlers=handlers)
