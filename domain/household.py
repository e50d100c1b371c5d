"""The household (世帯): customers who live together and are served together."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import checks
from domain.context import EventContext
from domain.tenancy import require_same_agency

NAME_MAX_LENGTH = 100


class Household(Aggregate):
    """A named household, e.g. "山田家". Customers point to it by household_id."""

    class Event(Aggregate.Event):
        """Every household event says who made the change, for which agency and why."""

        context: EventContext

    class Formed(Event, Aggregate.Created):
        """The household was formed with this name."""

        agency_id: UUID
        name: str

    class Renamed(Event):
        """The household's name changed from `old` to `new`."""

        old: str
        new: str

        def apply(self, aggregate: Household) -> None:
            aggregate.name = self.new

    def __init__(self, agency_id: UUID, name: str) -> None:
        self.agency_id = agency_id
        self.name = name

    @classmethod
    def form(
        cls,
        context: EventContext,
        *,
        name: str,
        id: UUID | None = None,  # noqa: A002 - the library's name for an aggregate id
    ) -> Household:
        """Form a household of the context's agency; `id` is given by imports."""
        return cls._create(
            cls.Formed,
            id=id,
            context=context,
            agency_id=context.agency_id,
            name=checks.required_text(name, "name", max_length=NAME_MAX_LENGTH),
        )

    def rename(self, context: EventContext, name: str) -> None:
        """Rename the household; renaming it to its current name records nothing."""
        require_same_agency(context, self.agency_id)
        name = checks.required_text(name, "name", max_length=NAME_MAX_LENGTH)
        if name != self.name:
            self.trigger_event(self.Renamed, context=context, old=self.name, new=name)
