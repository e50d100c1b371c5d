"""Waiting for another process's commit to reach this one's data version."""

from __future__ import annotations

import time

from projections.database import ProjectionDatabase


def changed_since(db: ProjectionDatabase, version: int | None, timeout: float = 5.0) -> bool:
    """Whether the data version moves on from `version` within `timeout`: on SQLite at
    once, on PostgreSQL when the commit's notice arrives, microseconds after it returns."""
    deadline = time.monotonic() + timeout
    while db.data_version() == version:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def known_version(db: ProjectionDatabase, timeout: float = 5.0) -> int:
    """The data version once it is known and counts every commit made before the call:
    on PostgreSQL once a heartbeat sent after the call came back (the notices of
    earlier commits, a fixture's say, may still be on their way until then)."""
    called = time.monotonic()
    deadline = called + timeout
    listener = getattr(db, "changes", None)
    while (version := db.data_version()) is None or (
        listener is not None and not listener.proven_since(called)
    ):
        assert time.monotonic() < deadline, "the data version stayed unknown"
        time.sleep(0.001)
    return version
