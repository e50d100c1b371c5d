"""Rebuilding a projection: replay the whole log into shadow tables, then swap them in.

The replay runs in many short transactions, next to the live tables, which the runner
keeps updating meanwhile. Only the end holds the projection's lock: the replay of the
last events, the swap (drop the live tables, rename the shadow tables and their
indexes) and the new position, in one transaction. Readers see the old tables or the
new ones, never a mix, and the runner waits for the lock and then goes on from the
rebuilt position.

The shadow tables carry a suffix unique to the run. A rebuild starts by dropping the
shadow tables it finds, those of a rebuild that died; run one rebuild of a projection
at a time, or the earlier one fails on its missing tables (it never swaps in a partial
replay).
"""

from __future__ import annotations

import secrets

from infra.ledger import Ledger
from projections import positions
from projections.batches import read_batch
from projections.database import ProjectionDatabase, Transaction
from projections.projection import Projection
from projections.schema import create_index, create_table, refresh_statistics
from projections.view import View

SHADOW_MARK = "__r"


def rebuild(
    db: ProjectionDatabase, ledger: Ledger, projection: Projection, *, batch_size: int
) -> int:
    """Rebuild the projection's tables from the log; returns the position reached."""
    suffix = f"{SHADOW_MARK}{secrets.token_hex(4)}"
    _drop_shadows(db, projection, SHADOW_MARK)  # left by a rebuild that died
    with db.transaction(lock=projection.name + suffix) as tx:
        for table in projection.tables:
            for statement in create_table(table, suffix):
                tx.execute(statement)
    try:
        position = 0
        while (batch := read_batch(ledger, projection, position, batch_size)) is not None:
            with db.transaction(lock=projection.name + suffix) as tx:
                projection.apply(View(tx, suffix), [event for _, event in batch.events])
            position = batch.through
        with db.transaction(lock=projection.name) as tx:
            while (batch := read_batch(ledger, projection, position, batch_size)) is not None:
                projection.apply(View(tx, suffix), [event for _, event in batch.events])
                position = batch.through
            _swap(tx, projection, suffix)
            refresh_statistics(tx, projection.tables)
            positions.replace(tx, projection.name, position, projection.layout)
    except BaseException:
        _drop_shadows(db, projection, suffix)
        raise
    return position


def _swap(tx: Transaction, projection: Projection, suffix: str) -> None:
    for table in projection.tables:
        tx.execute(f"DROP TABLE IF EXISTS {table.name}")
        tx.rename_table(f"{table.name}{suffix}", table.name)
        for index in table.indexes:
            tx.rename_index(f"{index.name}{suffix}", index.name, create_index(table, index))


def _drop_shadows(db: ProjectionDatabase, projection: Projection, prefix: str) -> None:
    """Drop the projection's shadow tables whose suffix starts with `prefix`."""
    with db.transaction(lock=projection.name + prefix) as tx:
        for table in projection.tables:
            for name in tx.table_names(f"{table.name}{prefix}"):
                tx.execute(f"DROP TABLE {name}")
