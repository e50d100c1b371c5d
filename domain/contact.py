"""A contact with a customer (対応履歴), including the records the Insurance Business Act
asks an agency to keep: the confirmation of the customer's intent (意向把握) and the
comparison and recommendation of products (比較推奨).

A contact record is written once and never changed: it is what the agency can show
afterwards about what happened. A correction will be a separate, later record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import checks
from domain.context import EventContext
from domain.errors import DomainError

CHANNELS = frozenset({"visit", "phone", "email", "letter", "online", "other"})

GENERAL = "general"
INTENT_CONFIRMATION = "intent_confirmation"
COMPARISON_RECOMMENDATION = "comparison_recommendation"
COMPLAINT = "complaint"
OTHER = "other"
KINDS = frozenset({GENERAL, INTENT_CONFIRMATION, COMPARISON_RECOMMENDATION, COMPLAINT, OTHER})

SUMMARY_MAX_LENGTH = 4000
STRUCTURED_TEXT_MAX_LENGTH = 2000
PRODUCT_MAX_LENGTH = 200
# How far a contact may lie ahead of the server's clock: a front end's clock may run fast.
CLOCK_SKEW = timedelta(minutes=5)
AGENT_ID_MAX_LENGTH = 64
# Fewer than two products is not a comparison.
MIN_PRODUCTS_COMPARED = 2


class ContactRecord(Aggregate):
    """One contact: when, how, by whom, about what, and for the regulated kinds, the
    structured facts that the law asks to be recorded."""

    class Event(Aggregate.Event):
        """Every contact event says who recorded it, for which agency and why."""

        context: EventContext

    class Recorded(Event, Aggregate.Created):
        """The contact was recorded. Fields that do not apply to its kind are empty."""

        agency_id: UUID
        customer_id: UUID
        occurred_at: datetime
        channel: str
        agent_id: str
        kind: str
        summary: str
        customer_intent: str | None
        products_proposed: list[str]
        recommended_product: str | None
        recommendation_reason: str | None

    def __init__(
        self,
        agency_id: UUID,
        customer_id: UUID,
        occurred_at: datetime,
        channel: str,
        agent_id: str,
        kind: str,
        summary: str,
        customer_intent: str | None,
        products_proposed: list[str],
        recommended_product: str | None,
        recommendation_reason: str | None,
    ) -> None:
        self.agency_id = agency_id
        self.customer_id = customer_id
        self.occurred_at = occurred_at
        self.channel = channel
        self.agent_id = agent_id
        self.kind = kind
        self.summary = summary
        self.customer_intent = customer_intent
        # A copy, so that mutating the aggregate's list cannot rewrite the event.
        self.products_proposed = list(products_proposed)
        self.recommended_product = recommended_product
        self.recommendation_reason = recommendation_reason

    @classmethod
    def record(
        cls,
        context: EventContext,
        *,
        customer_id: UUID,
        occurred_at: datetime,
        channel: str,
        agent_id: str,
        kind: str,
        summary: str,
        customer_intent: str | None = None,
        products_proposed: Sequence[str] = (),
        recommended_product: str | None = None,
        recommendation_reason: str | None = None,
        now: datetime,
        id: UUID | None = None,  # noqa: A002 - the library's name for an aggregate id
    ) -> ContactRecord:
        """Record a contact with a customer of the context's agency.

        `occurred_at` is when the contact took place, in any zone (recorded in UTC), so
        not later than `now` (passed in because the domain has no clock), give or take
        clock skew.
        """
        occurred_at = checks.utc_instant(occurred_at, "occurred_at")
        if occurred_at > now + CLOCK_SKEW:
            raise DomainError("occurred_at", "must not be in the future")
        kind = checks.one_of(kind, KINDS, "kind")
        products = checks.text_list(
            products_proposed, "products_proposed", max_length=PRODUCT_MAX_LENGTH
        )
        customer_intent = checks.optional_text(
            customer_intent, "customer_intent", max_length=STRUCTURED_TEXT_MAX_LENGTH
        )
        recommended_product = checks.optional_text(
            recommended_product, "recommended_product", max_length=PRODUCT_MAX_LENGTH
        )
        recommendation_reason = checks.optional_text(
            recommendation_reason, "recommendation_reason", max_length=STRUCTURED_TEXT_MAX_LENGTH
        )
        _require_structure_of_kind(
            kind, customer_intent, products, recommended_product, recommendation_reason
        )
        return cls._create(
            cls.Recorded,
            id=id,
            context=context,
            agency_id=context.agency_id,
            customer_id=checks.identifier(customer_id, "customer_id"),
            occurred_at=occurred_at,
            channel=checks.one_of(channel, CHANNELS, "channel"),
            agent_id=checks.required_text(agent_id, "agent_id", max_length=AGENT_ID_MAX_LENGTH),
            kind=kind,
            summary=checks.required_text(summary, "summary", max_length=SUMMARY_MAX_LENGTH),
            customer_intent=customer_intent,
            products_proposed=products,
            recommended_product=recommended_product,
            recommendation_reason=recommendation_reason,
        )


def _require_structure_of_kind(
    kind: str,
    customer_intent: str | None,
    products_proposed: list[str],
    recommended_product: str | None,
    recommendation_reason: str | None,
) -> None:
    """Refuse a record that lacks what its kind requires, or has what its kind cannot have.

    Structured fields on the wrong kind are refused rather than dropped: they would look
    like a regulated record to someone reading the history, without being one.
    """
    if kind == INTENT_CONFIRMATION and customer_intent is None:
        raise DomainError("customer_intent", "is required to confirm the customer's intent")
    if kind != INTENT_CONFIRMATION and customer_intent is not None:
        raise DomainError("customer_intent", "is only recorded when confirming intent")

    if kind == COMPARISON_RECOMMENDATION:
        _require_comparison(products_proposed, recommended_product, recommendation_reason)
        return
    if recommended_product is not None:
        raise DomainError("recommended_product", "is only recorded for a recommendation")
    if recommendation_reason is not None:
        raise DomainError("recommendation_reason", "is only recorded for a recommendation")
    if kind != INTENT_CONFIRMATION and products_proposed:
        raise DomainError(
            "products_proposed", "are only recorded when confirming intent or comparing"
        )


def _require_comparison(
    products_proposed: list[str],
    recommended_product: str | None,
    recommendation_reason: str | None,
) -> None:
    """A recommendation names the products compared, the one recommended, and why."""
    if len(products_proposed) < MIN_PRODUCTS_COMPARED:
        raise DomainError(
            "products_proposed",
            f"a comparison needs at least {MIN_PRODUCTS_COMPARED} different products",
        )
    if recommended_product is None:
        raise DomainError("recommended_product", "is required for a recommendation")
    if recommended_product not in products_proposed:
        raise DomainError("recommended_product", "must be one of the products proposed")
    if recommendation_reason is None:
        raise DomainError("recommendation_reason", "is required for a recommendation")
