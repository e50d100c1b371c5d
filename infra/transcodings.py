"""JSON transcodings for the value types our events carry beyond the library's own."""

from __future__ import annotations

from datetime import date

from eventsourcing.persistence import Transcoding

from domain.context import EventContext


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EventContextAsDict(Transcoding):
    type = EventContext
    name = "event_context"

    def encode(self, obj: EventContext) -> dict[str, str | None]:
        return obj.as_dict()

    def decode(self, data: dict[str, str | None]) -> EventContext:
        return EventContext.from_dict(data)
