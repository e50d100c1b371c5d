"""Shared fixtures: an agency's context, a clock-free "today", and an in-memory ledger
application that stores events through the library's JSON transcoder, as infra will."""

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder

from domain.context import EventContext
from infra.transcodings import DateAsISO, EventContextAsDict

TODAY = date(2024, 4, 1)


class Ledger(Application[UUID]):
    """An in-memory application with the transcodings infra registers."""

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(EventContextAsDict())


def make_context(agency_id: UUID, actor: str = "user:tanaka") -> EventContext:
    return EventContext(
        actor=actor,
        agency_id=agency_id,
        request_id=f"req-{uuid4().hex[:8]}",
        source="192.0.2.10",
        reason="お客様からの申し出",
    )


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def agency_id() -> UUID:
    return uuid4()


@pytest.fixture
def context(agency_id: UUID) -> EventContext:
    return make_context(agency_id)


@pytest.fixture
def other_agency_context() -> EventContext:
    return make_context(uuid4(), actor="user:intruder")


RoundTrip = Callable[[Aggregate], Any]


@pytest.fixture
def round_trip() -> RoundTrip:
    """Save an aggregate, check its events come back equal, and return it reloaded."""

    def save_and_reload(aggregate: Aggregate) -> Any:
        ledger = Ledger()
        recorded = list(aggregate.pending_events)
        ledger.save(aggregate)
        assert list(ledger.repository.event_store.get(aggregate.id)) == recorded
        return ledger.repository.get(aggregate.id)

    return save_and_reload
