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
import select
import socket
import threading
import time
from typing import Any

import psycopg
import structlog
from psycopg.sql import SQL, Identifier, Literal

RETRY_SECONDS = 1.0
HEARTBEAT_SECONDS = 0.5
PROOF_SECONDS = 1.5
HEARTBEAT = b"alive:"  # compared as bytes: a payload need not decode
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
        self._wake, self._waker = socket.socketpair()  # close() wakes the thread's wait
        self._thread: threading.Thread | None = None
        self._lost = False  # since the last "change_listener.lost", not yet recovered

    def committed_here(self) -> None:
        """A write this process committed: counted at once, not when its notice comes
        back, so that this process's next request already sees it."""
        with self._guard:
            self._version += 1

    def start(self) -> None:
        """Listen from now on (also done by the first `version()`: a CLI that only
        writes never listens)."""
        with self._guard:
            self._start()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._listen, name="daicho-change-listener", daemon=True
            )
            self._thread.start()

    def version(self) -> int | None:
        """The current version, or None while notices are not known to arrive."""
        with self._guard:
            self._start()
            if time.monotonic() - self._proven_at > PROOF_SECONDS:
                return None
            return self._version

    def proven_since(self, instant: float) -> bool:
        """Whether a heartbeat sent after `instant` (time.monotonic()) came back: then
        every commit made before `instant`, by anyone, has been counted."""
        with self._guard:
            return self._proven_at > instant

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen_until_deaf()
                reason = "" if self._stopping.is_set() else "no heartbeat came back"
            except Exception as error:  # noqa: BLE001 - the thread must survive, e.g. a restart
                reason = type(error).__name__
            if reason:
                log.warning("change_listener.lost", error=reason)
                self._lost = True
            with self._guard:
                self._proven_at = -PROOF_SECONDS
            self._stopping.wait(RETRY_SECONDS)

    def _listen_until_deaf(self) -> None:
        """Counts notices until a heartbeat does not come back in time.

        Both connections are driven without ever waiting on one of them (LISTEN
        included): a flow that goes silent (a stuck pooler, a path that drops packets
        but not the connection) would otherwise hold the thread, and with it close().
        """
        listening = sending = None
        try:
            listening = psycopg.connect(
                self._url, application_name=application_name(self._channel), **CONNECTION_OPTIONS
            )
            sending = psycopg.connect(self._url, **CONNECTION_OPTIONS)
            heard, said = listening.pgconn, sending.pgconn
            heard.send_query(SQL("LISTEN {}").format(Identifier(self._channel)).as_bytes(listening))
            with self._guard:
                self._version += 1  # what was committed while nobody listened is unknown
            waiting = select.poll()
            for readable in (heard.socket, said.socket, self._wake.fileno()):
                waiting.register(readable, select.POLLIN)
            nonce, sent_at = b"", time.monotonic() - HEARTBEAT_SECONDS
            while not self._stopping.is_set():
                now = time.monotonic()
                if now > sent_at + PROOF_SECONDS:
                    return  # no heartbeat came back: LISTEN, a heartbeat or a notice is stuck
                # Replies are read as they come, or their sockets would stay readable.
                listening_busy, sending_busy = _busy(heard), _busy(said)
                idle = not (nonce or listening_busy or sending_busy)
                if idle and now >= sent_at + HEARTBEAT_SECONDS:
                    nonce, sent_at = HEARTBEAT + secrets.token_hex(8).encode(), now
                    said.send_query(self._heartbeat(nonce).as_bytes(sending))
                    idle = False
                heard.flush()
                said.flush()
                until = sent_at + (HEARTBEAT_SECONDS if idle else PROOF_SECONDS)
                waiting.poll(max(0.0, until - now) * 1000)
                heard.consume_input()
                while (notice := heard.notifies()) is not None:
                    if not notice.extra.startswith(HEARTBEAT):
                        with self._guard:
                            self._version += 1  # a write, by another process or ours
                    elif notice.extra == nonce:
                        if self._lost:  # said once, so that a recovery shows in the log too
                            log.info("change_listener.recovered")
                            self._lost = False
                        with self._guard:
                            self._proven_at = sent_at
                        nonce = b""
        finally:
            for connection in (listening, sending):
                if connection is not None:
                    connection.close()

    def _heartbeat(self, nonce: bytes) -> psycopg.sql.Composed:
        return SQL("NOTIFY {}, {}").format(Identifier(self._channel), Literal(nonce.decode()))

    def close(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._waker.send(b"!")
        if self._thread is not None:
            self._thread.join(timeout=2 * CONNECTION_OPTIONS["connect_timeout"] + 1)
            if self._thread.is_alive():
                return  # the thread still waits on a connection: its wake-up stays open
        self._wake.close()
        self._waker.close()


def _busy(pgconn: Any) -> bool:
    """Whether the previous statement's reply has yet to be read in full (reading what
    has arrived of it, without waiting)."""
    pgconn.consume_input()
    while not pgconn.is_busy():
        if pgconn.get_result() is None:
            return False
    return True
