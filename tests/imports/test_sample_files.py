"""The sample agency exports in tests/data, end to end: bytes -> text -> rows.

The broken rows, stated here independently of tests/data/make_samples.py:

agency_export_utf8_bom.csv  none (30 good rows).
agency_export_cp932.csv     title on line 1, header on line 2, 40 rows, 4 broken:
    line 7   〒 600001-style value: a postal code that lost its leading zero in Excel
    line 15  生年月日 昭和64年1月8日 (昭和 ended on 1989-01-07)
    line 24  始期日 令和元年4月30日 (令和 began on 2019-05-01)
    line 33  保険料(円) "abc"
agency_export_utf8.csv      header on line 1, 20 rows, the address of the row on line 4
                            spans lines 4-6, 4 broken:
    line 12  TEL that lost its leading zero in Excel
    line 15  policy details without 契約番号
    line 18  満期 on the same day as 始期
    line 21  neither 生年月日 nor a phone
not_a_csv_latin1.csv        neither UTF-8 nor CP932: refused.
no_header.csv               data without a header row: refused.
"""

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from services.imports.categories import CustomerKind, InsuranceLine, PaymentFrequency
from services.imports.encoding import decode_csv_bytes
from services.imports.errors import UnusableInput
from services.imports.headers import Field
from services.imports.records import read_records
from services.imports.rows import CANNOT_IDENTIFY, ParsedFile, RejectedRow, parse_csv

DATA = Path(__file__).parent.parent / "data"


def load(name: str) -> tuple[ParsedFile, str, str]:
    text, encoding = decode_csv_bytes((DATA / name).read_bytes())
    return parse_csv(text), text, encoding


@pytest.mark.parametrize(
    ("name", "encoding", "header_line", "good", "rejected_lines"),
    [
        ("agency_export_utf8_bom.csv", "utf-8-sig", 1, 30, []),
        ("agency_export_cp932.csv", "cp932", 2, 36, [7, 15, 24, 33]),
        ("agency_export_utf8.csv", "utf-8", 1, 16, [12, 15, 18, 21]),
    ],
)
def test_counts_and_rejected_lines(
    name: str, encoding: str, header_line: int, good: int, rejected_lines: list[int]
) -> None:
    parsed, _, used = load(name)
    assert used == encoding
    assert parsed.header_line == header_line
    assert len(parsed.rows) == good
    assert [rejected.line for rejected in parsed.rejected] == rejected_lines


@pytest.mark.parametrize(
    "name", ["agency_export_utf8_bom.csv", "agency_export_cp932.csv", "agency_export_utf8.csv"]
)
def test_every_data_row_is_either_imported_or_reported(name: str) -> None:
    parsed, text, _ = load(name)
    data_lines = [
        record.line
        for record in read_records(text)
        if record.line > parsed.header_line and not record.is_blank()
    ]
    reported = [row.line for row in parsed.rows] + [rejected.line for rejected in parsed.rejected]
    assert sorted(reported) == data_lines


@pytest.mark.parametrize(
    "name", ["agency_export_utf8_bom.csv", "agency_export_cp932.csv", "agency_export_utf8.csv"]
)
def test_reasons_never_quote_personal_values(name: str) -> None:
    parsed, text, _ = load(name)
    records = {record.line: record.cells for record in read_records(text)}
    personal = [
        column.index
        for field in (
            Field.NAME,
            Field.KANA,
            Field.BIRTH_DATE,
            Field.POSTAL_CODE,
            Field.ADDRESS,
            Field.ADDRESS_DETAIL,
            Field.PHONE,
            Field.EMAIL,
        )
        for column in parsed.columns.get(field, ())
    ]
    for rejected in parsed.rejected:
        for index in personal:
            value = records[rejected.line][index].strip()
            assert not value or value not in rejected.reason


def test_utf8_bom_export() -> None:
    parsed, _, _ = load("agency_export_utf8_bom.csv")
    rows = parsed.rows
    assert parsed.ignored_columns == []
    assert parsed.rows[0].name == "吉田 英樹"  # the BOM is not part of the first title
    policies_per_customer = Counter((row.name, row.birth_date) for row in rows if row.policy_number)
    assert max(policies_per_customer.values()) >= 2
    assert [row.line for row in rows if row.policy_number is None] == [3]
    corporations = [row for row in rows if row.kind is CustomerKind.CORPORATION]
    assert [row.line for row in corporations] == [4, 5]
    assert all(row.birth_date is None and row.phones for row in corporations)
    assert all(row.email and row.postal_code and len(row.postal_code) == 7 for row in rows)
    assert {row.insurance_line for row in rows} >= {InsuranceLine.FIRE, InsuranceLine.MEDICAL}
    assert rows[0].start_date == date(2023, 6, 8) and rows[0].end_date == date(2024, 6, 8)


def test_cp932_export_rejections() -> None:
    parsed, _, _ = load("agency_export_cp932.csv")
    assert parsed.rejected == [
        RejectedRow(
            7, "〒: has 6 digits: a leading zero may have been lost in Excel, fix the file"
        ),
        RejectedRow(15, "生年月日: not a valid date: 昭和 ended on 1989-01-07"),
        RejectedRow(24, "始期日: not a valid date: 令和 began on 2019-05-01"),
        RejectedRow(
            33, "保険料(円): must be a whole, non-negative number of yen, like 12,340 or ¥12,340"
        ),
    ]


def test_cp932_export_values() -> None:
    parsed, _, _ = load("agency_export_cp932.csv")
    by_line = {row.line: row for row in parsed.rows}
    # IBM extension 髙, half-width kana kept as typed, 〒 and full-width hyphen, ￥ premium,
    # 和暦 start, R-form end.
    first = by_line[3]
    assert (first.name, first.kana) == ("髙橋 美咲", "ﾀｶﾊｼ ﾐｻｷ")
    assert first.postal_code == "0600001"
    assert first.phones == ("0117823707", "07053777196")
    assert (first.premium, first.payment_frequency) == (9050, PaymentFrequency.MONTHLY)
    assert (first.start_date, first.end_date) == (date(2023, 9, 13), date(2028, 9, 13))
    # NEC ㈱ in a company name, kept as typed; full-width digits in an end date
    company = by_line[5]
    assert (company.name, company.kind) == ("㈱髙松商事", CustomerKind.CORPORATION)
    assert company.end_date == date(2025, 4, 19)
    # 昭和 birth date; full-width postal code
    assert (by_line[4].birth_date, by_line[4].postal_code) == (date(1975, 7, 12), "6500001")
    # full-width digits in a birth date and a premium; 円 suffix; 平成 birth date
    assert (by_line[17].birth_date, by_line[17].premium) == (date(1983, 11, 29), 42760)
    assert by_line[16].premium == 19070
    assert by_line[19].birth_date == date(1997, 5, 6)
    # the CP932 yen sign (byte 0x5C) read as a backslash
    assert by_line[9].premium == 58390
    # IBM 﨑; NEC ① in a building name, NFKC-folded in the address
    assert any(row.name == "山﨑 健太" for row in parsed.rows)
    assert by_line[21].address == "福岡県福岡市博多区博多駅前1丁目13-15 サンハイツ1"
    # a full-width mobile number
    assert by_line[20].phones == ("0318020513", "07047274275")
    assert {row.payment_frequency for row in parsed.rows} == {*PaymentFrequency, None}


def test_utf8_export_with_other_header_variants() -> None:
    parsed, _, _ = load("agency_export_utf8.csv")
    assert parsed.ignored_columns == ["顧客ID", "備考"]
    assert {field for field in parsed.columns} == {
        Field.NAME,
        Field.KANA,
        Field.BIRTH_DATE,
        Field.PHONE,
        Field.ADDRESS,
        Field.INSURER,
        Field.POLICY_NUMBER,
        Field.INSURANCE_LINE,
        Field.PREMIUM,
        Field.START_DATE,
        Field.END_DATE,
        Field.AGENT,
        Field.KIND,
    }
    assert [column.title for column in parsed.columns[Field.PHONE]] == ["TEL", "携帯"]
    by_line = {row.line: row for row in parsed.rows}
    assert by_line[4].address == "〒030-0801 青森県青森市新町5丁目29-15 コーポ201"
    assert by_line[4].kind is CustomerKind.CORPORATION
    assert by_line[7].line == 7  # the first row after the three-line address
    assert by_line[3].policy_number is None
    assert by_line[2].birth_date == date(1998, 1, 25)  # 1998年1月25日
    assert by_line[2].start_date == date(2024, 1, 24)  # 20240124
    assert by_line[2].end_date == date(2025, 1, 24)  # 2025.1.24
    assert by_line[2].payment_frequency is None  # no 払込方法 column
    assert parsed.rejected == [
        RejectedRow(
            12,
            "TEL: does not start with 0: a leading zero may have been lost in Excel, fix the file",
        ),
        RejectedRow(
            15,
            "契約番号: required when the row has policy details "
            "(元受会社, 保険種類, 年間保険料, 始期, 満期)",
        ),
        RejectedRow(18, "満期: must be after 始期"),
        RejectedRow(21, CANNOT_IDENTIFY),
    ]


def test_latin1_file_is_refused() -> None:
    with pytest.raises(UnusableInput, match="neither UTF-8 nor CP932"):
        load("not_a_csv_latin1.csv")


def test_file_without_header_is_refused() -> None:
    with pytest.raises(UnusableInput, match="no recognisable header row"):
        load("no_header.csv")
