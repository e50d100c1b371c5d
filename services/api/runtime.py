"""What the API's handlers work with: the ledger, the read models and their runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog
from litestar.connection import ASGIConnection

from infra.ledger import Ledger
from infra.settings import Settings
from projections.database import ProjectionDatabase
from projections.runner import CatchUpError, Projections
from services import sessions

READ_YOUR_WRITES_TIMEOUT = 10.0
log = structlog.get_logger("daicho.api")


@dataclass
class Runtime:
    settings: Settings
    ledger: Ledger
    db: ProjectionDatabase
    projections: Projections
    live_sessions: sessions.LiveSessions = field(default_factory=sessions.LiveSessions)

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        ledger = Ledger(settings)
        projections = Projections(ledger)
        sessions.create_tables(projections.database)
        return cls(settings, ledger, projections.database, projections)

    def caught_up_to(self, position: int | None) -> bool:
        """Read-your-writes: waits until every read model has applied `position`."""
        if position is None:
            return True
        try:
            return self.projections.wait_for(position, timeout=READ_YOUR_WRITES_TIMEOUT)
        except CatchUpError as error:
            # The write is recorded; a read model that cannot apply it is the
            # operator's problem (logged, shown by /ready and `projections status`),
            # not a reason to tell the client its write failed.
            log.error("projections.catch_up_failed", error=str(error))
            return False

    def drop_dead_connections(self) -> None:
        """After a lost database connection: replace every pooled one the server closed."""
        self.ledger.drop_dead_connections()
        self.db.drop_dead_connections()

    def close(self) -> None:
        self.projections.close()
        self.ledger.close()


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    """The app's runtime, for the read handlers and the authentication on the event
    loop. Cheaper than Litestar's dependency injection, which cost a GET about 25 µs,
    an eighth of it (docs/performance.md); writes, in worker threads, keep using it."""
    runtime: Runtime = connection.app.state.runtime
    return runtime
