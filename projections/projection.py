"""What a projection is: a name, a table layout, and a handler per event class it reads.

The dispatch is shared by every projection: the runner reads only the topics a
projection has handlers for, and hands each event to the handler of its class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from projections.schema import Table
from projections.view import View

Handler = Callable[[View, Any], None]
H = TypeVar("H", bound=Handler)


class Handlers(dict[type, Handler]):
    """A projection's handlers by event class, registered with `@handlers.on(...)`."""

    def on(self, *event_classes: type) -> Callable[[H], H]:
        def register(handler: H) -> H:
            for event_class in event_classes:
                if event_class in self:
                    raise ValueError(f"{event_class.__qualname__} already has a handler")
                self[event_class] = handler
            return handler

        return register


@dataclass(frozen=True)
class Projection:
    """A read model built from the events of some classes.

    `layout` is the version of the table layout: bump it whenever `tables` or what a
    handler writes changes, and the stored projection will ask for a rebuild.
    """

    name: str
    layout: int
    tables: tuple[Table, ...]
    handlers: Mapping[type, Handler]

    @property
    def topics(self) -> list[str]:
        """The topics of the events this projection reads, as the log names them."""
        return sorted(get_topic(event_class) for event_class in self.handlers)

    def apply(self, view: View, events: Iterable[DomainEventProtocol[Any]]) -> int:
        """Apply events in order; returns how many."""
        count = 0
        for event in events:
            self.handlers[type(event)](view, event)
            count += 1
        return count
