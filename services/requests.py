"""Who is asking, as established by an entry point (HTTP request or CLI invocation).

Every use case takes one, so that each event records its actor, agency, request id,
source and reason, and so that later access logs can record the same for reads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from uuid import UUID

from domain import checks
from domain.context import EventContext

MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class RequestMeta:
    actor: str
    agency_id: UUID
    request_id: str
    source: str
    role: str | None = None
    token_id: str | None = None
    user_agent: str | None = None

    def context(self, reason: str | None = None) -> EventContext:
        """The event metadata for a change made by this request, with its reason."""
        reason = checks.optional_text(reason, "reason", max_length=MAX_REASON_LENGTH)
        return EventContext(
            actor=self.actor,
            agency_id=self.agency_id,
            request_id=self.request_id,
            source=self.source,
            reason=reason,
        )

    def for_agency(self, agency_id: UUID) -> RequestMeta:
        return replace(self, agency_id=agency_id)


def cli_meta(job: str = "cli", agency_id: UUID | None = None) -> RequestMeta:
    """Metadata for a command typed by an operator at the machine."""
    return RequestMeta(
        actor=f"system:{job}",
        agency_id=agency_id or UUID(int=0),
        request_id=uuid.uuid4().hex,
        source="cli",
    )
