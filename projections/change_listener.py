"""Knowing, without a round trip, whether anyone committed to the read models since.

Every PostgreSQL transaction of `PostgresDatabase` that writes ends with a NOTIFY on
its schema's channel, which PostgreSQL delivers, in commit order, to every connection
that LISTENs on that channel, in any process. A `ChangeListener` keeps one such
connection in a thread of its own, which counts the notices as they arrive. Asking for
the version reads that count: no I/O, nothing that could wait on the network, so the
API's event loop never stalls on it. The thread also reads while the API is idle, so
PostgreSQL's notification queue, which is shared by the whole server, never waits for
this process.

The count is trusted only while the thread keeps proving that notices reach it: every
HEARTBEAT_SECONDS it sends a notice carrying a nonce from a second connection, the way
another process's commit arrives (a notice to the listening session itself could come
back in its own reply even through a pooler that drops the others). Notices arrive in
commit order, so a nonce sent at time t that came back shows that every commit before
t has been counted. The version is None unless the latest proof was sent within
PROOF_SECONDS: a connection that stops hearing — the server restarted, a firewall
forgot the flow, a pooler does not pass notices on — stops being trusted within that
time, and the thread connects afresh. The first version after that differs from every
one before, because notices sent while nobody listened are lost.

Measured on this project's machine, a notice is readable on the listener's socket
~5 µs (p50) and ~13 µs (p99) after the writer's COMMIT has returned (worst seen 7 ms,
a process not scheduled): docs/api.md says what that means for a logout.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import Any

import psycopg
import structlog
from psycopg.sql import SQL, Identifier, Literal

RETRY_SECONDS = 1.0
HEARTBEAT_SECONDS = 1.0
PROOF_SECONDS = 3.0
HEARTBEAT = "alive:"
# A dead network path fails a connection within seconds instead of TCP's minutes.
CONNECTION_OPTIONS: dict[str, Any] = {
    "autocommit": True,
    "connect_timeout": 2,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
    "tcp_user_timeout": 5000,
}


log = structlog.get_logger()


def channel_of(schema: str) -> str:
    """The notification channel of a schema: short enough for any schema name (channel
    names are identifiers, cut at 63 bytes) and distinct per schema."""
    return "daicho_" + hashlib.sha256(schema.encode()).hexdigest()[:16]


def application_name(channel: str) -> str:
    """How the listening connection shows in pg_stat_activity."""
    return f"daicho listener {channel}"


def notify_statement(schema: str) -> psycopg.sql.Composed:
    return SQL("NOTIFY {}").format(Identifier(channel_of(schema)))


class ChangeListener:
    """A version number of the read models that moves whenever a write commits."""

    def __init__(self, url: str, schema: str) -> None:
        self._url = url
        self._channel = channel_of(schema)
        self._guard = threading.Lock()
        self._version = 0
        self._proven_at = -PROOF_SECONDS  # when the latest nonce that came back was sent
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sending: psycopg.Connection[Any] | None = None  # the thread's, to wake it

    def committed_here(self) -> None:
        """A write this process committed: counted at once, not when its notice comes
        back, so that this process's next request already sees it."""
        with self._guard:
            self._version += 1

    def version(self) -> int | None:
        """The current version, or None while notices are not known to arrive."""
        with self._guard:
            if self._thread is None:  # on first use: a CLI that only writes never listens
                self._thread = threading.Thread(
                    target=self._listen, name="daicho-change-listener", daemon=True
                )
                self._thread.start()
            if time.monotonic() - self._proven_at > PROOF_SECONDS:
                return None
            return self._version

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen_until_deaf()
            except Exception as error:  # noqa: BLE001 - the thread must survive, e.g. a restart
                log.warning("change_listener.lost", error=type(error).__name__)
            with self._guard:
                self._proven_at, self._sending = -PROOF_SECONDS, None
            self._stopping.wait(RETRY_SECONDS)

    def _listen_until_deaf(self) -> None:
        """Counts notices until a heartbeat does not come back in time."""
        with (
            psycopg.connect(
                self._url, application_name=application_name(self._channel), **CONNECTION_OPTIONS
            ) as listening,
            psycopg.connect(self._url, **CONNECTION_OPTIONS) as sending,
        ):
            listening.execute(SQL("LISTEN {}").format(Identifier(self._channel)))
            with self._guard:
                self._version += 1  # what was committed while nobody listened is unknown
                self._sending = sending
            nonce, sent_at = "", -HEARTBEAT_SECONDS
            while not self._stopping.is_set():
                if not nonce and time.monotonic() >= sent_at + HEARTBEAT_SECONDS:
                    nonce, sent_at = HEARTBEAT + secrets.token_hex(8), time.monotonic()
                    self._notify(sending, nonce)
                if nonce and time.monotonic() > sent_at + PROOF_SECONDS:
                    return
                until = sent_at + (PROOF_SECONDS if nonce else HEARTBEAT_SECONDS)
                for notice in listening.notifies(timeout=max(0.0, until - time.monotonic())):
                    if self._stopping.is_set():
                        return
                    if not notice.payload.startswith(HEARTBEAT):
                        with self._guard:
                            self._version += 1  # a write, by another process or ours
                    elif notice.payload == nonce:
                        with self._guard:
                            self._proven_at = sent_at
                        nonce = ""
                        break  # the next heartbeat is due at its own time

    def _notify(self, sending: psycopg.Connection[Any], payload: str) -> None:
        sending.execute(SQL("NOTIFY {}, {}").format(Identifier(self._channel), Literal(payload)))

    def close(self) -> None:
        self._stopping.set()
        with self._guard:
            sending, self._sending = self._sending, None
        if sending is not None:
            try:
                self._notify(sending, HEARTBEAT + "closing")  # wakes the listening thread
            except psycopg.Error:
                pass
        if self._thread is not None:
            # A thread stuck on a dead connection is a daemon: it does not hold up exit.
            self._thread.join(timeout=2 * HEARTBEAT_SECONDS)
