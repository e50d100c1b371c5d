"""Who did a change, for whom, from where and why.

Every event carries one. It is part of the event's stored state, so the hash chain
covers it exactly as it covers the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class EventContext:
    """The metadata of one change.

    actor: a user id, or `system:<job>` for imports and jobs (`system:import:<job id>`).
    agency_id: the tenant the change belongs to.
    request_id: correlates the change with the request or job that caused it.
    source: where the request came from (an IP address, or `cli`).
    reason: optional free text typed by the actor.
    """

    actor: str
    agency_id: UUID
    request_id: str
    source: str
    reason: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "actor": self.actor,
            "agency_id": self.agency_id.hex,
            "request_id": self.request_id,
            "source": self.source,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> EventContext:
        return cls(
            actor=str(data["actor"]),
            agency_id=UUID(str(data["agency_id"])),
            request_id=str(data["request_id"]),
            source=str(data["source"]),
            reason=data.get("reason"),
        )
