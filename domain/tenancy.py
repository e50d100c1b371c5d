"""The rule that a change belongs to the agency (tenant) of the record it changes."""

from uuid import UUID

from domain.context import EventContext
from domain.errors import WrongAgency


def require_same_agency(context: EventContext, agency_id: UUID) -> None:
    """Refuse a change whose context is of another agency than the record."""
    if context.agency_id != agency_id:
        raise WrongAgency()
