"""Find the header row of an agency export and map its cells to canonical fields.

Every agency, and every insurer's system an agency exports from, names its columns
differently (氏名, 顧客名, 契約者氏名 ...), writes them in full-width or half-width, and
decorates them (※必須 marks, "(円)" units). Titles are therefore compared after folding:
NFKC, case-folded, without spaces, brackets, ※ and * marks.

The header is not always the first line: exports often start with a title line or blank
lines, so the first few records are searched for one that looks like a customer list.
"""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.imports.errors import UnusableInput
from services.imports.records import Record

HEADER_SEARCH_LIMIT = 10


class Field(StrEnum):
    """A canonical field an import column can feed."""

    NAME = "name"
    KANA = "kana"
    BIRTH_DATE = "birth_date"
    POSTAL_CODE = "postal_code"
    ADDRESS = "address"
    ADDRESS_DETAIL = "address_detail"
    PHONE = "phone"
    EMAIL = "email"
    INSURER = "insurer"
    POLICY_NUMBER = "policy_number"
    INSURANCE_LINE = "insurance_line"
    PREMIUM = "premium"
    PAYMENT_FREQUENCY = "payment_frequency"
    START_DATE = "start_date"
    END_DATE = "end_date"
    AGENT = "agent"
    KIND = "kind"


TITLE_VARIANTS: Mapping[Field, tuple[str, ...]] = {
    Field.NAME: (
        "氏名",
        "名前",
        "顧客名",
        "契約者名",
        "契約者氏名",
        "お客様名",
        "氏名(漢字)",
        "漢字氏名",
    ),
    Field.KANA: (
        "フリガナ",
        "ふりがな",
        "カナ",
        "氏名カナ",
        "カナ氏名",
        "氏名(カナ)",
        "契約者カナ",
        "顧客名カナ",
        "ﾌﾘｶﾞﾅ",
    ),
    Field.BIRTH_DATE: ("生年月日", "誕生日", "生年月日(西暦)", "生年月日(和暦)"),
    Field.POSTAL_CODE: ("郵便番号", "〒", "郵便"),
    Field.ADDRESS: ("住所", "住所1", "現住所", "契約者住所"),
    Field.ADDRESS_DETAIL: ("住所2", "住所3", "番地", "建物名"),
    Field.PHONE: ("電話番号", "電話", "TEL", "携帯", "携帯電話", "携帯番号", "自宅電話", "連絡先"),
    Field.EMAIL: ("メール", "メールアドレス", "Eメール", "E-mail", "email"),
    Field.INSURER: ("保険会社", "保険会社名", "引受保険会社", "元受会社"),
    Field.POLICY_NUMBER: ("証券番号", "契約番号", "証券No", "証券NO"),
    Field.INSURANCE_LINE: ("種目", "保険種目", "保険種類", "商品", "商品名"),
    Field.PREMIUM: ("保険料", "年間保険料", "保険料(円)", "月払保険料", "合計保険料"),
    Field.PAYMENT_FREQUENCY: ("払込方法", "払方", "支払方法"),
    Field.START_DATE: ("始期日", "始期", "保険始期", "契約日"),
    Field.END_DATE: ("満期日", "満期", "保険終期", "終期日"),
    Field.AGENT: ("担当者", "担当", "担当募集人", "募集人", "担当者コード"),
    Field.KIND: ("個人法人", "区分", "顧客区分"),
}

# A header must name the customer and carry something that tells customers apart.
_IDENTIFYING_FIELDS = frozenset({Field.POLICY_NUMBER, Field.BIRTH_DATE, Field.PHONE})

# Marks and the word 必須 ("required") that templates add to titles: 氏名(※必須) is 氏名.
_DECORATION = re.compile(r"[\s()※*]|必須")


def fold_title(title: str) -> str:
    """The form in which header titles are compared: 'ＴＥＬ（※必須）' and 'tel' match."""
    return _DECORATION.sub("", unicodedata.normalize("NFKC", title).casefold())


_FIELD_BY_FOLDED_TITLE: Mapping[str, Field] = {
    fold_title(title): field for field, titles in TITLE_VARIANTS.items() for title in titles
}


@dataclass(frozen=True)
class Column:
    """One mapped column: its 0-based position and its title as typed (for messages)."""

    index: int
    title: str


@dataclass(frozen=True)
class Header:
    """The header row: where it is, what its columns feed, and what is ignored.

    `columns` lists, per field, every column feeding it in file order; several columns may
    feed one field (two phone columns, 住所 plus 建物名). `width` is the number of cells of
    the header row, so that a row with values beyond it can be caught.
    """

    line: int
    columns: Mapping[Field, tuple[Column, ...]]
    ignored_columns: tuple[str, ...]
    width: int


def find_header(records: Sequence[Record]) -> Header:
    """Return the first of the first HEADER_SEARCH_LIMIT records that is a usable header.

    Usable means it has a name column and at least one of 証券番号, 生年月日 or 電話番号.
    Raises UnusableInput if none is.
    """
    for record in records[:HEADER_SEARCH_LIMIT]:
        header = _map_header(record)
        if Field.NAME in header.columns and not _IDENTIFYING_FIELDS.isdisjoint(header.columns):
            return header
    raise UnusableInput(
        f"no recognisable header row in the first {HEADER_SEARCH_LIMIT} lines: need at least "
        "氏名 and one of 証券番号, 生年月日 or 電話番号"
    )


def _map_header(record: Record) -> Header:
    columns: dict[Field, list[Column]] = {}
    ignored: list[str] = []
    for index, cell in enumerate(record.cells):
        title = " ".join(cell.split())
        if not title:
            continue
        field = _FIELD_BY_FOLDED_TITLE.get(fold_title(title))
        if field is None:
            ignored.append(title)
        else:
            columns.setdefault(field, []).append(Column(index, title))
    return Header(
        line=record.line,
        columns={field: tuple(found) for field, found in columns.items()},
        ignored_columns=tuple(ignored),
        width=len(record.cells),
    )
