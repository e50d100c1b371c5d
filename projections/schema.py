"""How a projection declares its tables, and the DDL made from the declaration.

A table is created under its live name, or under a shadow name (live name + suffix)
while a rebuild replays the log into it; its indexes carry the same suffix until the
swap renames them. Declaring tables as data, not as DDL text, is what lets a rebuild
create, swap and rename them without knowing any projection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from projections.database import Transaction

# Text that is compared, sorted or searched by range: ids, keys, codes, dates and
# instants (ISO text sorts in time order). See projections.database for the collation.
KEY = 'TEXT COLLATE "binary"'


@dataclass(frozen=True)
class Index:
    name: str
    columns: str  # e.g. "agency_id, kana_key, id"


@dataclass(frozen=True)
class Table:
    """A projection table. Every table has a primary key (a swap renames its index)."""

    name: str
    columns: str  # the column and constraint definitions between the parentheses
    indexes: tuple[Index, ...] = ()


def create_table(table: Table, suffix: str = "") -> list[str]:
    """The statements that create `table` (and its indexes) under its name + suffix."""
    return [
        f"CREATE TABLE IF NOT EXISTS {table.name}{suffix} ({table.columns})",
        *(create_index(table, index, suffix) for index in table.indexes),
    ]


def create_index(table: Table, index: Index, suffix: str = "") -> str:
    return (
        f"CREATE INDEX IF NOT EXISTS {index.name}{suffix} ON {table.name}{suffix} ({index.columns})"
    )


def refresh_statistics(tx: Transaction, tables: Iterable[Table]) -> None:
    """Let the query planner see how the tables' keys are spread.

    Without statistics SQLite may walk a page's sort index and test every row where
    a search key's index would find a few rows (see projections.pages); PostgreSQL's
    autovacuum gets there too, only later than a bulk load or a rebuild.
    """
    for table in tables:
        tx.execute(f"ANALYZE {table.name}")
