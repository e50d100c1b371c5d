"""Keeping the projections caught up with the event log.

Any number of `Projections`, in any number of threads and processes, may catch up the
same database at once: each batch is applied under the projection's lock with its
position checked again inside (see projections.batches), so every event is applied
once. Neither backend notifies us of new events here, so a background thread polls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import NamedTuple

import structlog

from infra.ledger import Ledger
from projections import positions
from projections.batches import apply_batch, read_batch
from projections.catalog import PROJECTIONS
from projections.database import ProjectionDatabase, open_database
from projections.projection import Projection
from projections.rebuild import rebuild as rebuild_projection
from projections.schema import create_table, refresh_statistics

BATCH_SIZE = 500
POLL_INTERVAL_SECONDS = 0.2
# After a failure the background thread waits longer before trying again.
RETRY_INTERVAL_SECONDS = 5.0
# A projection's tables get fresh planner statistics after this many applied events.
STATISTICS_AFTER_EVENTS = 5000

log = structlog.get_logger(__name__)


class ProjectionStatus(NamedTuple):
    """How far a projection is. `lag` counts notification ids up to the head: the events
    still to apply (the ledger assigns ids without gaps)."""

    name: str
    position: int
    head: int
    lag: int
    rebuild_needed: bool = False


class CatchUpError(Exception):
    """Some projections failed to apply their pending events; the others went on.

    The message names the projections and the errors' types only: an error's own text
    may quote the data it choked on.
    """

    def __init__(self, failures: dict[str, Exception]) -> None:
        summary = ", ".join(f"{name} ({type(error).__name__})" for name, error in failures.items())
        super().__init__(f"projections failed to catch up: {summary}")
        self.failures = failures


class Projections:
    """The read side of one ledger: its projections, their tables and their runner."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        projections: Sequence[Projection] = PROJECTIONS,
        batch_size: int = BATCH_SIZE,
        poll_interval: float = POLL_INTERVAL_SECONDS,
    ) -> None:
        self._ledger = ledger
        self._projections = {projection.name: projection for projection in projections}
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self.database: ProjectionDatabase = open_database(ledger.settings)
        self._unanalysed = dict.fromkeys(self._projections, 0)
        self._guard = threading.Lock()  # catch_up may run in several threads at once
        # One catch-up at a time in this process: the writes of concurrent requests all
        # wait for their positions, and one pass applies what they all wrote.
        self._catching_up = threading.Lock()
        self._caught_up = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._install()

    def _install(self) -> None:
        """Create the tables of each projection not yet in the database, at position 0."""
        with self.database.transaction(lock="install") as tx:
            tx.execute(positions.CREATE)
            stored = positions.read_all(tx)
            for projection in self._projections.values():
                if projection.name not in stored:
                    for table in projection.tables:
                        for statement in create_table(table):
                            tx.execute(statement)
                    positions.start(tx, projection.name, projection.layout)
                elif stored[projection.name].layout != projection.layout:
                    log.warning("projection.rebuild_needed", projection=projection.name)

    def catch_up(self) -> int:
        """Apply every pending event to every projection; returns how many applications
        (an event read by two projections counts twice) this call made."""
        applied = 0
        failures: dict[str, Exception] = {}
        # One look at every position and at the head first: an idle poll then costs two
        # statements, not two per projection. Positions first: a position read before
        # the head can only be beyond it if the log lost its end.
        with self.database.transaction() as tx:
            stored = positions.read_all(tx)
        head = self._ledger.recorder.max_notification_id() or 0
        for projection in self._projections.values():
            found = stored.get(projection.name)
            if found is not None and found.position > head and found.layout != positions.LOG_LOST:
                self._hold_for_rebuild(projection, found.position, head)
                continue
            if found is not None and found.position >= head:
                continue
            try:
                applied += self._catch_up(projection)
            except Exception as error:  # noqa: BLE001 - reported together below
                failures[projection.name] = error
        if failures:
            raise CatchUpError(failures) from next(iter(failures.values()))
        return applied

    def _hold_for_rebuild(self, projection: Projection, position: int, head: int) -> None:
        log.error(
            "projections.log_shorter_than_read_model",
            projection=projection.name,
            position=position,
            head=head,
        )
        with self.database.transaction(lock=projection.name) as tx:
            positions.replace(tx, projection.name, position, positions.LOG_LOST)

    def _catch_up(self, projection: Projection) -> int:
        applied = 0
        while True:
            with self.database.transaction() as tx:
                stored = positions.read(tx, projection.name)
            if stored is None or stored.layout != projection.layout:
                break
            batch = read_batch(self._ledger, projection, stored.position, self._batch_size)
            if batch is None:
                break
            applied += apply_batch(self.database, projection, batch)
        self._note_growth(projection, applied)
        return applied

    def _note_growth(self, projection: Projection, applied: int) -> None:
        """Refresh the planner's statistics of tables that took many events since."""
        with self._guard:
            self._unanalysed[projection.name] += applied
            due = self._unanalysed[projection.name] >= STATISTICS_AFTER_EVENTS
            if due:
                self._unanalysed[projection.name] = 0
        if due:
            with self.database.transaction(lock=projection.name) as tx:
                refresh_statistics(tx, projection.tables)

    def wait_for(self, position: int, timeout: float) -> bool:
        """Wait until every projection has applied the log up to `position` (a
        notification id, e.g. of the event a request just wrote), catching up here
        rather than waiting for the background thread; False on timeout, which is
        also the answer while a projection waits for a rebuild. Raises CatchUpError
        when a projection fails to apply its events."""
        deadline = time.monotonic() + timeout
        while self._lowest_position() < position:
            remaining = max(0.0, deadline - time.monotonic())
            led = self._catch_up_once(min(self._poll_interval, remaining)) is not None
            if self._lowest_position() >= position:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if led:  # caught up and still short: a projection waits for a rebuild
                time.sleep(min(self._poll_interval, remaining))
        return True

    def _catch_up_once(self, wait: float) -> int | None:
        """catch_up() here, unless another thread of this process is at it: then wait
        (at most `wait` seconds) for that pass to end and return None.

        Several threads catching up at once would each read the same pending events
        and queue for the same projection locks to find them applied; one pass that
        the others wait for does the work once.
        """
        with self._caught_up:
            if not self._catching_up.acquire(blocking=False):
                self._caught_up.wait(wait)
                return None
        try:
            return self.catch_up()
        finally:
            self._catching_up.release()
            with self._caught_up:
                self._caught_up.notify_all()

    def _lowest_position(self) -> int:
        with self.database.transaction() as tx:
            stored = positions.read_all(tx)
        return min(stored[name].position if name in stored else 0 for name in self._projections)

    def start(self) -> None:
        """Keep catching up in a daemon thread until stop()."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="daicho-projections", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                applied = self._catch_up_once(self._poll_interval)
            except CatchUpError as error:
                log.error(
                    "projections.catch_up_failed",
                    failures={name: type(e).__name__ for name, e in error.failures.items()},
                )
                self._stopping.wait(RETRY_INTERVAL_SECONDS)
                continue
            except Exception as error:  # noqa: BLE001 - the thread must survive, e.g. a lost connection
                log.error("projections.catch_up_failed", error=type(error).__name__)
                self._stopping.wait(RETRY_INTERVAL_SECONDS)
                continue
            if not applied:
                self._stopping.wait(self._poll_interval)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def status(self) -> list[ProjectionStatus]:
        head = self._ledger.recorder.max_notification_id() or 0
        with self.database.transaction() as tx:
            stored = positions.read_all(tx)
        statuses = []
        for name, projection in self._projections.items():
            position, layout = stored.get(name, positions.StoredPosition(0, projection.layout))
            statuses.append(
                ProjectionStatus(
                    name=name,
                    position=position,
                    head=head,
                    lag=max(0, head - position),
                    rebuild_needed=layout != projection.layout,
                )
            )
        return statuses

    def rebuild(self, name: str | None = None) -> None:
        """Rebuild one projection (by name), or all, from the whole log."""
        if name is not None and name not in self._projections:
            raise ValueError(f"no projection named {name!r}; known: {sorted(self._projections)}")
        names = [name] if name is not None else list(self._projections)
        for projection_name in names:
            rebuild_projection(
                self.database,
                self._ledger,
                self._projections[projection_name],
                batch_size=self._batch_size,
            )

    def close(self) -> None:
        self.stop()
        self.database.close()
