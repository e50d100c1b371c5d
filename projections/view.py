"""The transaction a projection's handlers write through.

Handlers name tables in braces (`UPDATE {customers} SET …`); the view fills in the
physical name: the live table, or its shadow while a rebuild replays the log. The same
handlers thus build the live tables and their replacement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from projections.database import Row, Transaction


class _Suffixed(dict[str, str]):
    def __init__(self, suffix: str) -> None:
        super().__init__()
        self.suffix = suffix

    def __missing__(self, table: str) -> str:
        return f"{table}{self.suffix}"


@lru_cache(maxsize=1024)
def _physical(template: str, suffix: str) -> str:
    return template.format_map(_Suffixed(suffix))


class View:
    """One transaction writing one projection's tables, live (suffix "") or shadow."""

    def __init__(self, tx: Transaction, suffix: str = "") -> None:
        self._tx = tx
        self._suffix = suffix

    def execute(self, template: str, params: Sequence[Any] = ()) -> None:
        self._tx.execute(_physical(template, self._suffix), params)

    def executemany(self, template: str, rows: Iterable[Sequence[Any]]) -> None:
        self._tx.executemany(_physical(template, self._suffix), rows)

    def fetchone(self) -> Row | None:
        return self._tx.fetchone()

    def insert(self, table: str, columns: Mapping[str, Any]) -> None:
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        self.execute(f"INSERT INTO {{{table}}} ({names}) VALUES ({marks})", list(columns.values()))

    def update(self, table: str, row_id: str, columns: Mapping[str, Any]) -> None:
        """Set some columns of the row whose `id` is `row_id`."""
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.execute(
            f"UPDATE {{{table}}} SET {assignments} WHERE id = ?", [*columns.values(), row_id]
        )
