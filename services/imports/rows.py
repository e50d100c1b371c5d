"""Turn the text of an agency's CSV export into typed rows and a list of rejected lines.

The contract with the user is: every good row comes through, and every bad row is reported
with its line number and the reasons, all of them at once, so the file can be fixed in one
pass. A row is never "repaired" by guessing (padding a postal code, rolling 2月30日 over),
because a guessed value would be recorded in the ledger as if someone had typed it.

Reasons name the column (as titled in the file) and the rule, as "<column>: <rule>", and
several are joined with "; ". They never quote the value: values are personal data, and
reasons are logged.

Applying the rows to the ledger is not this module's job; it only reads.
"""

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from services.imports.categories import (
    CustomerKind,
    InsuranceLine,
    PaymentFrequency,
    parse_customer_kind,
    parse_insurance_line,
    parse_payment_frequency,
)
from services.imports.emails import parse_email
from services.imports.headers import Column, Field, Header, find_header
from services.imports.japanese_dates import parse_date
from services.imports.phones import parse_phone
from services.imports.postal_codes import parse_postal_code
from services.imports.records import Record, read_records
from services.imports.row_cells import RowCells
from services.imports.yen import parse_yen

# Cells that describe a policy: when any is filled, the row is a policy row and needs 証券番号.
POLICY_FIELDS = (
    Field.INSURER,
    Field.INSURANCE_LINE,
    Field.PREMIUM,
    Field.PAYMENT_FREQUENCY,
    Field.START_DATE,
    Field.END_DATE,
)

CANNOT_IDENTIFY = "cannot identify the customer: needs 生年月日 or 電話番号"


@dataclass(frozen=True)
class ImportRow:
    """One good row: a customer, and the policy it carries if it has a 証券番号.

    `line` is the physical line the row starts on. Text is kept as typed (stripped) where
    the domain wants the original (name, kana, agent) and NFKC-normalised where the form
    does not matter (address, insurer, policy number, email). A row without a policy
    number has all policy fields None.
    """

    line: int
    name: str
    kana: str | None
    birth_date: date | None
    postal_code: str | None
    address: str | None
    phones: tuple[str, ...]
    email: str | None
    insurer: str | None
    policy_number: str | None
    insurance_line: InsuranceLine | None
    premium: int | None
    payment_frequency: PaymentFrequency | None
    start_date: date | None
    end_date: date | None
    agent: str | None
    kind: CustomerKind


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not imported: where it starts and every rule it breaks, "; "-joined."""

    line: int
    reason: str


@dataclass(frozen=True)
class ParsedFile:
    """The result of reading one export.

    `columns` says which columns fed which field; `ignored_columns` lists the titles that
    matched no field, so the user can be told what was not read.
    """

    header_line: int
    columns: Mapping[Field, tuple[Column, ...]]
    ignored_columns: list[str]
    rows: list[ImportRow]
    rejected: list[RejectedRow]


def parse_csv(text: str) -> ParsedFile:
    """Read decoded CSV text: find the header, then read every non-blank row after it.

    Raises UnusableInput when the file as a whole cannot be read (no header, broken
    quoting); a bad row never does, it is listed in `rejected`.
    """
    records = read_records(text)
    header = find_header(records)
    rows: list[ImportRow] = []
    rejected: list[RejectedRow] = []
    for record in records:
        if record.line <= header.line or record.is_blank():
            continue
        problems, row = _read_row(record, header)
        if row is None:
            rejected.append(RejectedRow(record.line, "; ".join(problems)))
        else:
            rows.append(row)
    return ParsedFile(
        header_line=header.line,
        columns=header.columns,
        ignored_columns=list(header.ignored_columns),
        rows=rows,
        rejected=rejected,
    )


def _read_row(record: Record, header: Header) -> tuple[list[str], ImportRow | None]:
    """Return the row's problems, and the row itself when there are none."""
    overflow = _overflow_problem(record, header)
    if overflow:
        return [overflow], None
    cells = RowCells(record, header)
    name = cells.single(Field.NAME, str.strip)
    kana = cells.single(Field.KANA, str.strip)
    birth_date = cells.single(Field.BIRTH_DATE, parse_date)
    postal_code = cells.single(Field.POSTAL_CODE, parse_postal_code)
    address = _address(cells)
    phones = cells.each(Field.PHONE, parse_phone)
    email = cells.single(Field.EMAIL, parse_email)
    policy_number = cells.single(Field.POLICY_NUMBER, _nfkc)
    insurer = cells.single(Field.INSURER, _nfkc)
    insurance_line = cells.single(Field.INSURANCE_LINE, parse_insurance_line)
    premium = cells.single(Field.PREMIUM, parse_yen)
    payment_frequency = cells.single(Field.PAYMENT_FREQUENCY, parse_payment_frequency)
    start_date = cells.single(Field.START_DATE, parse_date)
    end_date = cells.single(Field.END_DATE, parse_date)
    agent = cells.single(Field.AGENT, str.strip)
    kind = cells.single(Field.KIND, parse_customer_kind) or CustomerKind.PERSON

    if not cells.filled(Field.NAME):
        cells.problems.append(f"{cells.label(Field.NAME, '氏名')}: must not be empty")
    if not cells.filled(Field.BIRTH_DATE) and not cells.filled(Field.PHONE):
        cells.problems.append(CANNOT_IDENTIFY)
    policy_titles = [column.title for field in POLICY_FIELDS for column, _ in cells.filled(field)]
    if policy_titles and not cells.filled(Field.POLICY_NUMBER):
        cells.problems.append(
            f"{cells.label(Field.POLICY_NUMBER, '証券番号')}: required when the row has "
            f"policy details ({', '.join(policy_titles)})"
        )
    if start_date is not None and end_date is not None and end_date <= start_date:
        cells.problems.append(
            f"{cells.label(Field.END_DATE, '満期日')}: must be after "
            f"{cells.label(Field.START_DATE, '始期日')}"
        )
    if cells.problems or name is None:
        return cells.problems, None

    has_policy = policy_number is not None
    return [], ImportRow(
        line=record.line,
        name=name,
        kana=kana,
        birth_date=birth_date,
        postal_code=postal_code,
        address=address,
        phones=tuple(phones),
        email=email,
        insurer=insurer,
        policy_number=policy_number,
        insurance_line=insurance_line,
        premium=premium,
        payment_frequency=payment_frequency if has_policy else None,
        start_date=start_date,
        end_date=end_date,
        agent=agent,
        kind=kind,
    )


def _overflow_problem(record: Record, header: Header) -> str | None:
    """A value beyond the last header column usually means an unquoted comma shifted the
    row, so that every later cell sits in the wrong column: nothing in the row is safe."""
    filled = [index for index, cell in enumerate(record.cells) if cell.strip()]
    if not filled or filled[-1] < header.width:
        return None
    return (
        f"has values in {filled[-1] + 1} columns but the header has {header.width}: "
        "a comma inside a value may be missing its quotes"
    )


def _address(cells: RowCells) -> str | None:
    """住所 followed by any 住所2 / 番地 / 建物名 cells, space-separated. Line breaks typed
    inside a cell (Alt+Enter) are layout, not part of the address, so all whitespace runs
    become one space."""
    main = cells.single(Field.ADDRESS, _nfkc)
    details = cells.each(Field.ADDRESS_DETAIL, _nfkc)
    parts = ([main] if main else []) + details
    return " ".join(" ".join(parts).split()) if parts else None


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()
