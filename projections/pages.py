"""Keyset pagination: pages in a stable order that rows added meanwhile cannot shift.

Each page asks for the rows after the last one served, by a unique sort key (a sort
column, then the id), so paging through gives every row once, in order, even while
rows are being added; an offset would skip or repeat rows instead.

A page may be drawn from several selections of one table (a search matching a name,
a kana or a phone number): each selection gives its own first rows of the page, each
by its own index, and the page is the first rows of their union. The union of each
selection's first n rows holds the first n rows of the union, so this is exact, and a
selection whose index is in the page's order stops after n rows however many match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from projections.cursor import decode_cursor, encode_cursor
from projections.database import Row

MIN_LIMIT = 1
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True)
class Order:
    """A unique sort: SQL expressions, the row keys that hold their values, and the
    direction (both columns the same way, so one index serves it)."""

    expressions: tuple[str, ...]
    keys: tuple[str, ...]
    descending: bool = False

    @classmethod
    def by(cls, *columns: str, descending: bool = False) -> Order:
        """The order of columns selected under their own names."""
        return cls(columns, columns, descending)


@dataclass(frozen=True)
class Selection:
    """Rows meeting `conditions` in `source` (what follows FROM: a table, or a join
    whose columns are unambiguous), and the parameters of both, in order."""

    source: str
    conditions: Sequence[str]
    params: Sequence[Any]


def check_limit(limit: int) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or not MIN_LIMIT <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: must be a whole number from {MIN_LIMIT} to {MAX_LIMIT}")


@dataclass(frozen=True)
class PageQuery:
    """The statement that reads one page (one row more than the page, to tell whether
    another follows), and what is needed to cut its rows into the page."""

    sql: str
    params: list[Any]
    limit: int
    order: Order
    query: Mapping[str, Any]

    def page(self, rows: list[Row]) -> tuple[list[Row], str | None]:
        """The page's rows and the cursor of the next page, None on the last page."""
        if len(rows) <= self.limit:
            return rows, None
        rows = rows[: self.limit]
        return rows, encode_cursor(self.query, [rows[-1][key] for key in self.order.keys])


def page_query(
    *,
    columns: str,
    selections: Sequence[Selection],
    order: Order,
    limit: int,
    cursor: str | None,
    query: Mapping[str, Any],
    table: str = "",
) -> PageQuery:
    """The statement of one page of the rows of the selections, in `order`, after the
    cursor's row.

    `columns` are selected (they must include the order's keys); `table` names the
    table the selections select from when there are several (their rows are joined to
    it by id). `query` describes the query (agency, sort, filters) for the cursor's
    seal.
    """
    check_limit(limit)
    after = None if cursor is None else decode_cursor(cursor, query, len(order.keys))
    fetched = limit + 1  # one more row than asked tells whether there is a next page
    if len(selections) == 1:
        sql, params = _ordered(selections[0], columns, order, after, fetched)
    else:
        branches = [
            _ordered(selection, "id AS page_id", order, after, fetched) for selection in selections
        ]
        union = " UNION ".join(
            f"SELECT page_id FROM ({branch}) AS s{n}" for n, (branch, _) in enumerate(branches)
        )
        # CROSS JOIN keeps the few ids the outer loop on SQLite; PostgreSQL plans by cost.
        sql = (
            f"SELECT {columns} FROM ({union}) AS page_ids CROSS JOIN {table} "
            f"WHERE id = page_id ORDER BY {_order_by(order)} LIMIT ?"
        )
        params = [param for _, branch_params in branches for param in branch_params]
        params.append(fetched)
    return PageQuery(sql, params, limit, order, query)


def _ordered(
    selection: Selection, columns: str, order: Order, after: list[str] | None, limit: int
) -> tuple[str, list[Any]]:
    """The statement selecting `columns` of the selection's first rows after `after`."""
    conditions, params = list(selection.conditions), list(selection.params)
    if after is not None:
        comparison = "<" if order.descending else ">"
        marks = ", ".join("?" for _ in after)
        conditions.append(f"({', '.join(order.expressions)}) {comparison} ({marks})")
        params += after
    params.append(limit)
    sql = (
        f"SELECT {columns} FROM {selection.source} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {_order_by(order)} LIMIT ?"
    )
    return sql, params


def _order_by(order: Order) -> str:
    direction = " DESC" if order.descending else ""
    return ", ".join(expression + direction for expression in order.expressions)
