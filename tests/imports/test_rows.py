"""parse_csv: typed good rows, every bad row reported with its physical line and reasons."""

import csv
import io
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.imports.categories import CustomerKind, InsuranceLine, PaymentFrequency
from services.imports.errors import UnusableInput
from services.imports.headers import Column, Field
from services.imports.rows import CANNOT_IDENTIFY, ImportRow, RejectedRow, parse_csv

HEADER = [
    "氏名",
    "フリガナ",
    "生年月日",
    "郵便番号",
    "住所",
    "建物名",
    "電話番号",
    "携帯",
    "メール",
    "保険会社",
    "証券番号",
    "種目",
    "保険料",
    "払込方法",
    "始期日",
    "満期日",
    "担当者",
    "区分",
]

GOOD = {
    "氏名": "山田 太郎",
    "フリガナ": "ﾔﾏﾀﾞ ﾀﾛｳ",
    "生年月日": "S50.3.12",
    "郵便番号": "〒530-0001",
    "住所": "大阪府大阪市北区梅田１丁目３－１",
    "建物名": "パークタワー301",
    "電話番号": "03-1234-5678",
    "携帯": "０９０－１２３４－５６７８",
    "メール": "taro@example.jp",
    "保険会社": "東京海上日動",
    "証券番号": " Ａ123456789 ",
    "種目": "総合自動車保険",
    "保険料": "¥12,340",
    "払込方法": "月払",
    "始期日": "2024/4/1",
    "満期日": "令和7年4月1日",
    "担当者": "佐藤 一郎",
    "区分": "個人",
}

GOOD_ROW = ImportRow(
    line=2,
    name="山田 太郎",
    kana="ﾔﾏﾀﾞ ﾀﾛｳ",
    birth_date=date(1975, 3, 12),
    postal_code="5300001",
    address="大阪府大阪市北区梅田1丁目3-1 パークタワー301",
    phones=("0312345678", "09012345678"),
    email="taro@example.jp",
    insurer="東京海上日動",
    policy_number="A123456789",
    insurance_line=InsuranceLine.AUTO,
    premium=12340,
    payment_frequency=PaymentFrequency.MONTHLY,
    start_date=date(2024, 4, 1),
    end_date=date(2025, 4, 1),
    agent="佐藤 一郎",
    kind=CustomerKind.PERSON,
)

POLICY_DETAILS = "保険会社, 種目, 保険料, 払込方法, 始期日, 満期日"
PERSONAL = tuple(HEADER[: HEADER.index("メール") + 1])  # 氏名 … メール
YEN_RULE = "must be a whole, non-negative number of yen, like 12,340 or ¥12,340"


def csv_text(*rows: dict[str, str] | list[str], header: list[str] = HEADER) -> str:
    """Excel-style CSV: CRLF between records, quotes where needed, \\n inside cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(title, "") for title in header] if isinstance(row, dict) else row)
    return out.getvalue()


def test_a_good_row_is_fully_typed() -> None:
    parsed = parse_csv(csv_text(GOOD))
    assert parsed.rejected == []
    assert parsed.rows == [GOOD_ROW]
    assert parsed.header_line == 1
    assert parsed.ignored_columns == []
    assert parsed.columns[Field.PHONE] == (Column(6, "電話番号"), Column(7, "携帯"))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"氏名": ""}, "氏名: must not be empty"),
        ({"氏名": "\u3000 "}, "氏名: must not be empty"),
        ({"生年月日": "", "電話番号": "", "携帯": ""}, CANNOT_IDENTIFY),
        ({"生年月日": "昭和64年1月8日"}, "生年月日: not a valid date: 昭和 ended on 1989-01-07"),
        (
            {"生年月日": "1975/2/30"},
            "生年月日: not a valid date: that day does not exist in that month",
        ),
        (
            {"生年月日": "75/3/12"},
            "生年月日: not a valid date: a two-digit year is ambiguous "
            "(write it like 2024/4/1, 20240401, 2024年4月1日, 令和6年4月1日 or R6.4.1)",
        ),
        (
            {"郵便番号": "600001"},
            "郵便番号: has 6 digits: a leading zero may have been lost in Excel, fix the file",
        ),
        ({"郵便番号": "530-00"}, "郵便番号: must be 7 digits, like 160-0023"),
        (
            {"携帯": "9012345678"},
            "携帯: does not start with 0: a leading zero may have been lost in Excel, fix the file",
        ),
        ({"電話番号": "03-1234-567"}, "電話番号: must be 10 or 11 digits starting with 0"),
        (
            {"電話番号": "03-1234-5678 内線1"},
            "電話番号: may contain only digits, hyphens, spaces and brackets",
        ),
        ({"メール": "taro@example"}, "メール: must look like name@example.jp"),
        ({"保険料": "abc"}, f"保険料: {YEN_RULE}"),
        ({"保険料": "-12,340"}, f"保険料: {YEN_RULE}"),
        ({"保険料": "12340.5"}, f"保険料: {YEN_RULE}"),
        ({"払込方法": "口座振替"}, "払込方法: must be 月払, 半年払, 年払 or 一時払"),
        ({"区分": "団体"}, "区分: must be 個人 or 法人"),
        ({"始期日": "令和元年4月30日"}, "始期日: not a valid date: 令和 began on 2019-05-01"),
        ({"満期日": "2024/4/1"}, "満期日: must be after 始期日"),
        ({"満期日": "2023/4/1"}, "満期日: must be after 始期日"),
        (
            {"証券番号": ""},
            f"証券番号: required when the row has policy details ({POLICY_DETAILS})",
        ),
        (
            {
                "証券番号": "",
                "保険会社": "",
                "種目": "",
                "保険料": "",
                "払込方法": "",
                "満期日": "",
            },
            "証券番号: required when the row has policy details (始期日)",
        ),
        (
            {"郵便番号": "600001", "保険料": "abc", "満期日": "2023/4/1"},
            "郵便番号: has 6 digits: a leading zero may have been lost in Excel, fix the file; "
            f"保険料: {YEN_RULE}; 満期日: must be after 始期日",
        ),
        (
            {"氏名": "", "生年月日": "", "電話番号": "", "携帯": "", "証券番号": ""},
            f"氏名: must not be empty; {CANNOT_IDENTIFY}; "
            f"証券番号: required when the row has policy details ({POLICY_DETAILS})",
        ),
    ],
)
def test_each_rejection_reason(changes: dict[str, str], reason: str) -> None:
    parsed = parse_csv(csv_text(GOOD, GOOD | changes, GOOD))
    assert parsed.rejected == [RejectedRow(3, reason)]
    assert [row.line for row in parsed.rows] == [2, 4]
    for title in PERSONAL:
        value = (GOOD | changes)[title].strip()
        assert not value or value not in reason  # no personal value in a reason


def test_line_numbers_are_physical_lines_even_after_multiline_cells() -> None:
    text = (
        "顧客一覧（令和6年4月1日現在）,,,\r\n"  # 1
        "\r\n"  # 2
        "氏名,生年月日,住所,電話番号\r\n"  # 3
        "山田 太郎,1975/3/12,東京都新宿区西新宿2-8-1,03-1234-5678\r\n"  # 4
        '鈴木 花子,1980/2/30,"東京都千代田区丸の内1-1\n'  # 5 bad date
        "丸の内ビル\n"  # 6
        '12階",03-1111-2222\r\n'  # 7
        "佐藤 次郎,S45.1.1,,9012345678\r\n"  # 8 lost leading zero
        ",,,\r\n"  # 9 blank
        '高橋 三郎,1990/1/1,"大阪府大阪市北区梅田1-1\n'  # 10
        '梅田ビル",06-1234-5678\r\n'  # 11
        "\r\n"  # 12 blank
        "伊藤 四郎,,,\r\n"  # 13 cannot identify
        "渡辺 五郎,H2.2.2,,\r\n"  # 14
    )
    parsed = parse_csv(text)
    assert parsed.header_line == 3
    assert [row.line for row in parsed.rows] == [4, 10, 14]
    assert parsed.rejected == [
        RejectedRow(5, "生年月日: not a valid date: that day does not exist in that month"),
        RejectedRow(
            8,
            "電話番号: does not start with 0: a leading zero may have been lost in "
            "Excel, fix the file",
        ),
        RejectedRow(13, CANNOT_IDENTIFY),
    ]
    assert parsed.rows[1].address == "大阪府大阪市北区梅田1-1 梅田ビル"


def test_lf_only_files_count_lines_the_same_way() -> None:
    text = "氏名,電話\n山田 太郎,03-1234-5678\n\n鈴木 花子,abc\n"
    parsed = parse_csv(text)
    assert [row.line for row in parsed.rows] == [2]
    assert [row.line for row in parsed.rejected] == [4]


def test_blank_rows_are_skipped_silently() -> None:
    text = csv_text(GOOD, [], [""] * len(HEADER), [" ", "\u3000", ""], GOOD)
    parsed = parse_csv(text)
    assert parsed.rejected == []
    assert [row.line for row in parsed.rows] == [2, 6]


def test_a_customer_only_row_has_no_policy_fields() -> None:
    policy = ("保険会社", "証券番号", "種目", "保険料", "払込方法", "始期日", "満期日")
    parsed = parse_csv(csv_text(GOOD | {title: "" for title in policy}))
    (row,) = parsed.rows
    assert row.policy_number is None
    assert (row.insurer, row.insurance_line, row.premium, row.payment_frequency) == (None,) * 4
    assert (row.start_date, row.end_date) == (None, None)
    assert row.agent == "佐藤 一郎"


def test_an_absent_payment_frequency_stays_unknown_for_the_job_to_decide() -> None:
    """A new policy gets 年払; an existing one keeps its own (tests/services)."""
    header = [title for title in HEADER if title != "払込方法"]
    absent = parse_csv(csv_text(GOOD, header=header)).rows[0]
    blank = parse_csv(csv_text(GOOD | {"払込方法": ""})).rows[0]
    assert absent.payment_frequency is None
    assert blank.payment_frequency is None


def test_kind_defaults_to_person_and_reads_corporation() -> None:
    header = [title for title in HEADER if title != "区分"]
    assert parse_csv(csv_text(GOOD, header=header)).rows[0].kind is CustomerKind.PERSON
    assert parse_csv(csv_text(GOOD | {"区分": ""})).rows[0].kind is CustomerKind.PERSON
    corporation = GOOD | {"氏名": "㈱髙松商事", "生年月日": "", "区分": "法人"}
    row = parse_csv(csv_text(corporation)).rows[0]
    assert (row.name, row.kind, row.birth_date) == ("㈱髙松商事", CustomerKind.CORPORATION, None)


def test_one_phone_or_a_birth_date_is_enough_to_identify() -> None:
    only_phone = GOOD | {"生年月日": "", "電話番号": ""}
    only_birth_date = GOOD | {"電話番号": "", "携帯": ""}
    parsed = parse_csv(csv_text(only_phone, only_birth_date))
    assert parsed.rejected == []
    assert parsed.rows[0].phones == ("09012345678",)
    assert parsed.rows[1].phones == ()


def test_text_is_kept_as_typed_apart_from_the_ends() -> None:
    typed = {"氏名": "\u3000山田\u3000太郎 ", "フリガナ": " ﾔﾏﾀﾞ\u3000ﾀﾛｳ"}
    row = parse_csv(csv_text(GOOD | typed)).rows[0]
    assert row.name == "山田\u3000太郎"
    assert row.kana == "ﾔﾏﾀﾞ\u3000ﾀﾛｳ"


def test_the_address_is_normalised_and_joined_with_its_details() -> None:
    header = ["氏名", "電話", "住所", "番地", "建物名"]
    rows = [
        ["山田 太郎", "0312345678", "東京都新宿区\n西新宿", "２丁目８－１", "サンハイツ①"],
        ["鈴木 花子", "0312345678", "", "", "サンハイツ"],
        ["佐藤 次郎", "0312345678", "東京都新宿区西新宿", "", ""],
        ["高橋 三郎", "0312345678", "", "", ""],
    ]
    addresses = [row.address for row in parse_csv(csv_text(*rows, header=header)).rows]
    assert addresses == [
        "東京都新宿区 西新宿 2丁目8-1 サンハイツ1",
        "サンハイツ",
        "東京都新宿区西新宿",
        None,
    ]


def test_rows_shorter_than_the_header_read_missing_cells_as_blank() -> None:
    parsed = parse_csv("氏名,電話,証券番号,保険料\r\n山田 太郎,03-1234-5678\r\n")
    assert parsed.rejected == []
    assert parsed.rows[0].policy_number is None


def test_values_beyond_the_header_reject_the_row() -> None:
    text = (
        "氏名,電話,住所,証券番号\r\n"
        "山田 太郎,03-1234-5678,東京都新宿区西新宿2-8-1,A1,,\r\n"
        "鈴木 花子,03-1234-5678,東京都千代田区丸の内1-1,丸の内ビル,A2\r\n"
    )
    parsed = parse_csv(text)
    assert [row.line for row in parsed.rows] == [2]
    assert parsed.rejected == [
        RejectedRow(
            3,
            "has values in 5 columns but the header has 4: a comma inside a value "
            "may be missing its quotes",
        ),
    ]


def test_two_columns_for_one_field_must_agree() -> None:
    header = ["氏名", "生年月日(西暦)", "生年月日(和暦)"]
    parsed = parse_csv(
        csv_text(
            ["山田 太郎", "1975/3/12", "昭和50年3月12日"],
            ["鈴木 花子", "1980/1/1", ""],
            ["佐藤 次郎", "", "S45.1.1"],
            ["高橋 三郎", "1975/3/12", "昭和50年3月13日"],
            header=header,
        )
    )
    assert [row.birth_date for row in parsed.rows] == [
        date(1975, 3, 12),
        date(1980, 1, 1),
        date(1970, 1, 1),
    ]
    assert parsed.rejected == [RejectedRow(5, "生年月日(西暦) and 生年月日(和暦): disagree")]


def test_unknown_columns_are_listed_and_not_read() -> None:
    parsed = parse_csv("顧客ID,氏名,電話,備考\r\nC1,山田 太郎,0312345678,VIP\r\n")
    assert parsed.ignored_columns == ["顧客ID", "備考"]
    assert len(parsed.rows) == 1


def test_broken_quoting_refuses_the_whole_file() -> None:
    text = '氏名,電話\r\n山田 太郎,0312345678\r\n"鈴木 花子,0312345678\r\n佐藤 次郎,0312345678\r\n'
    with pytest.raises(UnusableInput, match=r"^line 3: the CSV quoting is broken"):
        parse_csv(text)


def test_no_header_refuses_the_whole_file() -> None:
    with pytest.raises(UnusableInput, match="no recognisable header row"):
        parse_csv("山田 太郎,1975/3/12,03-1234-5678\r\n")


# Cell text that stresses the CSV layer: commas, quotes, line breaks, full-width forms.
awkward_text = st.text(alphabet=list('東京都新宿区西1２-3 ,"\n①ビル'), max_size=12)


@settings(max_examples=200)
@given(st.lists(st.tuples(awkward_text, awkward_text), min_size=1, max_size=8))
def test_no_good_row_is_ever_lost(cells: list[tuple[str, str]]) -> None:
    """Every valid row comes back, in order, from the line it starts on, whatever its cells."""
    header = ["氏名", "電話番号", "住所", "備考"]
    rows = [
        [f"顧客{index}", "03-1234-5678", address, note]
        for index, (address, note) in enumerate(cells)
    ]
    text = csv_text(*rows, header=header)
    parsed = parse_csv(text)

    starts, line = [], 2
    for row in rows:
        starts.append(line)
        line += sum(cell.count("\n") for cell in row) + 1
    assert parsed.rejected == []
    assert [(row.line, row.name) for row in parsed.rows] == [
        (start, row[0]) for start, row in zip(starts, rows, strict=True)
    ]
    for parsed_row, row in zip(parsed.rows, rows, strict=True):
        expected = " ".join(unicodedata.normalize("NFKC", row[2]).split()) or None
        assert parsed_row.address == expected
