"""Split CSV text into records, each tagged with the line it starts on.

Line numbers are physical lines of the file, counted from 1, because that is what a user
opening the file in a text editor sees, and what a rejection report must point at. A quoted
cell can span several lines (Alt+Enter in Excel), so a record's line is where it starts,
not `csv.reader.line_num`, which is where it ends.

The reader is strict: broken quoting makes it impossible to know where one record ends and
the next begins, so instead of guessing (and silently merging or losing rows) the whole
file is refused.
"""

import csv
import io
from typing import NamedTuple

from services.imports.errors import UnusableInput


class Record(NamedTuple):
    """One CSV record: the physical line it starts on, and its cells as typed."""

    line: int
    cells: list[str]

    def is_blank(self) -> bool:
        """True for an empty line or a line of empty cells (",,,,")."""
        return all(not cell.strip() for cell in self.cells)


def read_records(text: str) -> list[Record]:
    """Read every record of `text`, blank ones included, in file order."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[Record] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            raise UnusableInput(
                f"line {start}: the CSV quoting is broken ({exc}); "
                'check for a stray double quote (") in that line or just after it'
            ) from None
        records.append(Record(start, cells))
