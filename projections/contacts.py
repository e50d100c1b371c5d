"""Contact history (対応履歴), newest first. A contact record never changes once
recorded, so its row is written once and has no `updated_at`."""

from __future__ import annotations

from domain.contact import ContactRecord
from projections.projection import Handlers, Projection
from projections.schema import KEY, Index, Table
from projections.values import instant, json_list, uid
from projections.view import View

CONTACTS = Table(
    "contacts",
    f"id {KEY} PRIMARY KEY, agency_id {KEY} NOT NULL, customer_id {KEY} NOT NULL, "
    f"occurred_at {KEY} NOT NULL, channel {KEY} NOT NULL, agent_id {KEY} NOT NULL, "
    f"kind {KEY} NOT NULL, summary TEXT NOT NULL, customer_intent TEXT, "
    "products_proposed TEXT NOT NULL, recommended_product TEXT, recommendation_reason TEXT, "
    f"version INTEGER NOT NULL, created_at {KEY} NOT NULL",
    (
        Index("contacts_by_time", "agency_id, occurred_at, id"),
        Index("contacts_by_customer", "agency_id, customer_id, occurred_at, id"),
        Index("contacts_by_agent", "agency_id, agent_id, occurred_at, id"),
        Index("contacts_by_kind", "agency_id, kind, occurred_at, id"),
    ),
)

handlers = Handlers()


@handlers.on(ContactRecord.Recorded)
def recorded(view: View, event: ContactRecord.Recorded) -> None:
    view.insert(
        "contacts",
        {
            "id": uid(event.originator_id),
            "agency_id": uid(event.agency_id),
            "customer_id": uid(event.customer_id),
            "occurred_at": instant(event.occurred_at),
            "channel": event.channel,
            "agent_id": event.agent_id,
            "kind": event.kind,
            "summary": event.summary,
            "customer_intent": event.customer_intent,
            "products_proposed": json_list(event.products_proposed),
            "recommended_product": event.recommended_product,
            "recommendation_reason": event.recommendation_reason,
            "version": event.originator_version,
            "created_at": instant(event.timestamp),
        },
    )


PROJECTION = Projection(name="contacts", layout=1, tables=(CONTACTS,), handlers=handlers)
