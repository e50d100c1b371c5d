"""Read the cells of one CSV record by canonical field, collecting every problem.

A row can break several rules at once; the user should learn all of them from one import
attempt, so parsing a cell never stops the row: the problem is noted and reading goes on.
"""

from collections.abc import Callable, Hashable
from typing import TypeVar

from services.imports.errors import InvalidValue
from services.imports.headers import Column, Field, Header
from services.imports.records import Record

T = TypeVar("T", bound=Hashable)


class RowCells:
    """The cells of one record, read field by field, with every problem collected."""

    def __init__(self, record: Record, header: Header) -> None:
        self._cells = record.cells
        self._columns = header.columns
        self.problems: list[str] = []

    def label(self, field: Field, default: str) -> str:
        """The title of the field's first column, or `default` when the file has none."""
        columns = self._columns.get(field)
        return columns[0].title if columns else default

    def filled(self, field: Field) -> list[tuple[Column, str]]:
        """The non-blank cells feeding `field`; a row shorter than the header has blanks."""
        found = []
        for column in self._columns.get(field, ()):
            cell = self._cells[column.index] if column.index < len(self._cells) else ""
            if cell.strip():
                found.append((column, cell))
        return found

    def each(self, field: Field, parse: Callable[[str], T]) -> list[T]:
        """Every filled cell of a field that may have several columns (phones)."""
        values = []
        for column, cell in self.filled(field):
            try:
                values.append(parse(cell))
            except InvalidValue as exc:
                self.problems.append(f"{column.title}: {exc}")
        return values

    def single(self, field: Field, parse: Callable[[str], T]) -> T | None:
        """The one value of a field. If two columns feed it (生年月日(西暦) and
        生年月日(和暦)), their filled cells must agree; which one to believe is not ours
        to guess."""
        filled = self.filled(field)
        values = self.each(field, parse)
        if len(set(values)) > 1:
            titles = " and ".join(column.title for column, _ in filled)
            self.problems.append(f"{titles}: disagree")
            return None
        return values[0] if values else None
