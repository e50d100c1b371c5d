"""Where each projection is in the event log, and which table layout it was built with.

A projection's position is the notification id up to which every event it handles has
been applied. It is written in the same transaction as the view changes it accounts
for, so the two can never disagree: that is what makes applying exactly-once.

The layout is the version of the projection's table layout that built its tables. When
the code's layout moves on, the stored tables no longer fit the handlers; the projection
then stops applying and reports that it needs a rebuild.
"""

from __future__ import annotations

from typing import NamedTuple

from projections.database import Transaction
from projections.schema import KEY

TABLE = "projection_positions"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    f"name {KEY} PRIMARY KEY, "
    "position BIGINT NOT NULL, "
    "layout INTEGER NOT NULL)"
)


# A layout no projection has, recorded for one that applied events the log no longer
# holds (its end was lost: a restore, a failover to a lagging replica, tampering). New
# events would take the lost positions and be skipped; the projection waits for a
# rebuild instead, as for a layout change.
LOG_LOST = -1


class StoredPosition(NamedTuple):
    position: int
    layout: int


def read(tx: Transaction, name: str) -> StoredPosition | None:
    tx.execute(f"SELECT position, layout FROM {TABLE} WHERE name = ?", (name,))
    row = tx.fetchone()
    return None if row is None else StoredPosition(row["position"], row["layout"])


def read_all(tx: Transaction) -> dict[str, StoredPosition]:
    tx.execute(f"SELECT name, position, layout FROM {TABLE}")
    return {row["name"]: StoredPosition(row["position"], row["layout"]) for row in tx.fetchall()}


def start(tx: Transaction, name: str, layout: int) -> None:
    """Record a projection whose tables were just created empty: at the log's start."""
    tx.execute(f"INSERT INTO {TABLE} (name, position, layout) VALUES (?, 0, ?)", (name, layout))


def advance(tx: Transaction, name: str, position: int) -> None:
    tx.execute(f"UPDATE {TABLE} SET position = ? WHERE name = ?", (position, name))


def replace(tx: Transaction, name: str, position: int, layout: int) -> None:
    """Record the tables a rebuild swapped in: built with `layout`, up to `position`."""
    tx.execute(
        f"UPDATE {TABLE} SET position = ?, layout = ? WHERE name = ?", (position, layout, name)
    )
