from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.contact import ContactRecord
from domain.context import EventContext
from domain.errors import DomainError

from .conftest import RoundTrip

CUSTOMER_ID = uuid4()
VISITED_AT = datetime(2024, 4, 1, 1, 30, tzinfo=UTC)


def record(context: EventContext, **overrides: Any) -> ContactRecord:
    fields: dict[str, Any] = {
        "customer_id": CUSTOMER_ID,
        "occurred_at": VISITED_AT,
        "channel": "visit",
        "agent_id": "user:tanaka",
        "kind": "general",
        "summary": "満期のご案内のため訪問。",
    }
    return ContactRecord.record(
        context, now=VISITED_AT + timedelta(days=1), **{**fields, **overrides}
    )


def record_comparison(context: EventContext, **overrides: Any) -> ContactRecord:
    fields: dict[str, Any] = {
        "kind": "comparison_recommendation",
        "summary": "自動車保険3社を比較してご説明。",
        "products_proposed": ["架空損保 自動車A", "見本海上 マイカーB", "例示火災 くるまC"],
        "recommended_product": "見本海上 マイカーB",
        "recommendation_reason": "ご希望の弁護士費用特約があり、保険料が最も安いため。",
    }
    return record(context, **{**fields, **overrides})


def test_a_general_contact_is_recorded(context: EventContext) -> None:
    contact = record(context)

    assert contact.agency_id == context.agency_id
    assert contact.customer_id == CUSTOMER_ID
    assert contact.occurred_at == VISITED_AT
    assert contact.products_proposed == []
    [recorded] = contact.pending_events
    assert isinstance(recorded, ContactRecord.Recorded)
    assert recorded.context == context


def test_an_intent_confirmation_records_the_customers_intent(context: EventContext) -> None:
    contact = record(
        context,
        kind="intent_confirmation",
        customer_intent="対人・対物無制限で、保険料を抑えたい。",
        products_proposed=["架空損保 自動車A"],
    )

    assert contact.customer_intent == "対人・対物無制限で、保険料を抑えたい。"
    assert contact.products_proposed == ["架空損保 自動車A"]


def test_an_intent_confirmation_without_the_intent_is_refused(context: EventContext) -> None:
    with pytest.raises(DomainError) as error:
        record(context, kind="intent_confirmation", customer_intent="  ")
    assert error.value.field == "customer_intent"


def test_a_comparison_records_products_recommendation_and_reason(
    context: EventContext,
) -> None:
    contact = record_comparison(context)

    assert contact.recommended_product == "見本海上 マイカーB"
    assert len(contact.products_proposed) == 3


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        (
            "products_proposed",
            {"products_proposed": ["架空損保 自動車A"], "recommended_product": "架空損保 自動車A"},
        ),
        (
            "products_proposed",
            {
                "products_proposed": ["架空損保 自動車A", "架空損保 自動車A"],
                "recommended_product": "架空損保 自動車A",
            },
        ),
        ("recommended_product", {"recommended_product": None}),
        ("recommended_product", {"recommended_product": "どこにもない保険"}),
        ("recommendation_reason", {"recommendation_reason": ""}),
        ("customer_intent", {"customer_intent": "安くしたい"}),
    ],
)
def test_an_incomplete_comparison_is_refused(
    context: EventContext, field: str, overrides: dict[str, Any]
) -> None:
    with pytest.raises(DomainError) as error:
        record_comparison(context, **overrides)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("general", "customer_intent", "安くしたい"),
        ("complaint", "products_proposed", ["架空損保 自動車A"]),
        ("general", "recommended_product", "架空損保 自動車A"),
        ("other", "recommendation_reason", "安いため"),
        ("intent_confirmation", "recommended_product", "架空損保 自動車A"),
    ],
)
def test_structured_fields_are_refused_on_kinds_they_do_not_belong_to(
    context: EventContext, kind: str, field: str, value: Any
) -> None:
    overrides: dict[str, Any] = {"kind": kind, field: value}
    if kind == "intent_confirmation":
        overrides["customer_intent"] = "安くしたい"
    with pytest.raises(DomainError) as error:
        record(context, **overrides)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("occurred_at", datetime(2024, 4, 1, 10, 30)),
        ("occurred_at", datetime(1, 1, 1, 0, 0, tzinfo=ZoneInfo("Asia/Tokyo"))),
        ("occurred_at", "2024-04-01T01:30:00Z"),
        ("channel", "fax"),
        ("kind", "gossip"),
        ("agent_id", ""),
        ("summary", ""),
        ("summary", "あ" * 4001),
        ("customer_id", "customer"),
    ],
)
def test_a_contact_breaking_a_rule_names_the_field(
    context: EventContext, field: str, value: Any
) -> None:
    with pytest.raises(DomainError) as error:
        record(context, **{field: value})
    assert error.value.field == field


def test_any_utc_timezone_object_is_accepted_and_stored_as_standard_utc(
    context: EventContext,
) -> None:
    contact = record(context, occurred_at=datetime(2024, 4, 1, 1, 30, tzinfo=ZoneInfo("UTC")))

    assert contact.occurred_at.tzinfo is UTC
    assert contact.occurred_at == VISITED_AT


def test_a_summary_of_exactly_4000_characters_is_accepted(context: EventContext) -> None:
    assert len(record(context, summary="あ" * 4000).summary) == 4000


def test_contact_record_round_trips_through_the_event_store(
    context: EventContext, round_trip: RoundTrip
) -> None:
    contact = record_comparison(context, occurred_at=VISITED_AT + timedelta(microseconds=7))

    assert round_trip(contact) == contact


def test_a_contact_cannot_have_taken_place_in_the_future(context: EventContext) -> None:
    record(context, occurred_at=VISITED_AT + timedelta(days=1, minutes=5))  # clock skew
    with pytest.raises(DomainError, match="occurred_at: must not be in the future"):
        record(context, occurred_at=VISITED_AT + timedelta(days=1, minutes=6))
