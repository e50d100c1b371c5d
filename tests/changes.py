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
