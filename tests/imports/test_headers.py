"""Header detection and the mapping of column titles onto canonical fields."""

import pytest

from services.imports.errors import UnusableInput
from services.imports.headers import (
    TITLE_VARIANTS,
    Column,
    Field,
    Header,
    find_header,
    fold_title,
)
from services.imports.records import Record, read_records

# The variants agencies use, written out again so that a title dropped from the code's
# table fails here.
EXPECTED_VARIANTS = {
    Field.NAME: "氏名 名前 顧客名 契約者名 契約者氏名 お客様名 氏名(漢字) 漢字氏名",
    Field.KANA: "フリガナ ふりがな カナ 氏名カナ カナ氏名 氏名(カナ) 契約者カナ 顧客名カナ ﾌﾘｶﾞﾅ",
    Field.BIRTH_DATE: "生年月日 誕生日 生年月日(西暦) 生年月日(和暦)",
    Field.POSTAL_CODE: "郵便番号 〒 郵便",
    Field.ADDRESS: "住所 住所1 現住所 契約者住所",
    Field.ADDRESS_DETAIL: "住所2 番地 建物名",
    Field.PHONE: "電話番号 電話 TEL 携帯 携帯電話 携帯番号 自宅電話 連絡先",
    Field.EMAIL: "メール メールアドレス Eメール E-mail email",
    Field.INSURER: "保険会社 保険会社名 引受保険会社 元受会社",
    Field.POLICY_NUMBER: "証券番号 契約番号 証券No 証券NO",
    Field.INSURANCE_LINE: "種目 保険種目 保険種類 商品 商品名",
    Field.PREMIUM: "保険料 年間保険料 保険料(円) 月払保険料 合計保険料",
    Field.PAYMENT_FREQUENCY: "払込方法 払方 支払方法",
    Field.START_DATE: "始期日 始期 保険始期 契約日",
    Field.END_DATE: "満期日 満期 保険終期 終期日",
    Field.AGENT: "担当者 担当 担当募集人 募集人 担当者コード",
    Field.KIND: "個人法人 区分 顧客区分",
}


def header_of(*lines: str) -> Header:
    return find_header(read_records("\r\n".join(lines) + "\r\n"))


@pytest.mark.parametrize(
    ("field", "title"),
    [(field, title) for field, titles in EXPECTED_VARIANTS.items() for title in titles.split()],
)
def test_every_variant_maps_to_its_field(field: Field, title: str) -> None:
    header = header_of(f"氏名,電話番号,{title}")
    assert Column(2, title) in header.columns[field]


@pytest.mark.parametrize(
    ("title", "field"),
    [
        ("氏名※", Field.NAME),
        ("氏名(※必須)", Field.NAME),
        ("電話番号（必須）", Field.PHONE),
        ("※氏名", Field.NAME),
        ("*氏名", Field.NAME),
        ("＊ 氏名", Field.NAME),
        ("氏 名", Field.NAME),
        ("氏名　", Field.NAME),
        ("氏名（漢字）", Field.NAME),
        ("氏名 (カナ)", Field.KANA),
        ("ﾌﾘｶﾞﾅ", Field.KANA),
        ("ＴＥＬ", Field.PHONE),
        ("tel", Field.PHONE),
        ("Tel", Field.PHONE),
        ("E-Mail", Field.EMAIL),
        ("EMAIL", Field.EMAIL),
        ("Ｅメール", Field.EMAIL),
        ("証券ｎｏ", Field.POLICY_NUMBER),
        ("保険料（円）", Field.PREMIUM),
        ("生年月日\n(西暦)", Field.BIRTH_DATE),
        ("住所１", Field.ADDRESS),
        ("〶", Field.POSTAL_CODE),
    ],
)
def test_titles_are_compared_after_folding(title: str, field: Field) -> None:
    header = find_header([Record(1, ["氏名", "電話番号", title])])
    assert 2 in [column.index for column in header.columns[field]]


def test_no_two_fields_share_a_folded_title() -> None:
    fields_by_folded: dict[str, set[Field]] = {}
    for field, titles in TITLE_VARIANTS.items():
        for title in titles:
            fields_by_folded.setdefault(fold_title(title), set()).add(field)
    assert all(len(fields) == 1 for fields in fields_by_folded.values())


def test_a_title_split_over_two_lines_is_shown_on_one() -> None:
    header = find_header([Record(1, ["氏名", "生年月日\n(西暦)"])])
    assert header.columns[Field.BIRTH_DATE] == (Column(1, "生年月日 (西暦)"),)


def test_a_typical_header() -> None:
    header = header_of("氏名,フリガナ,生年月日,郵便番号,住所,電話番号,携帯,証券番号,保険料")
    assert header.line == 1
    assert header.width == 9
    assert header.ignored_columns == ()
    assert header.columns[Field.PHONE] == (Column(5, "電話番号"), Column(6, "携帯"))
    assert header.columns[Field.PREMIUM] == (Column(8, "保険料"),)


def test_title_lines_and_blank_lines_before_the_header_are_skipped() -> None:
    header = header_of(
        "顧客契約一覧（令和6年4月1日現在）,,,,",
        ",,,,",
        "",
        "出力者：本店,,,,",
        "氏名,生年月日,証券番号,,",
        "山田 太郎,1975/3/12,A123,,",
    )
    assert header.line == 5
    assert set(header.columns) == {Field.NAME, Field.BIRTH_DATE, Field.POLICY_NUMBER}


def test_the_header_may_be_on_line_10_but_not_on_line_11() -> None:
    assert header_of(*["顧客一覧"] * 9, "氏名,証券番号").line == 10
    with pytest.raises(UnusableInput):
        header_of(*["顧客一覧"] * 10, "氏名,証券番号")


def test_line_numbers_count_physical_lines_of_multiline_title_cells() -> None:
    header = header_of('"顧客一覧', '本店分",,', "氏名,電話")
    assert header.line == 3


@pytest.mark.parametrize("identifying", ["証券番号", "生年月日", "電話番号", "携帯"])
def test_a_name_and_one_identifying_column_make_a_header(identifying: str) -> None:
    assert header_of(f"氏名,{identifying}").line == 1


@pytest.mark.parametrize(
    "line",
    [
        "氏名,住所,メール",  # a name but nothing that tells customers apart
        "証券番号,生年月日,電話番号",  # no name
        "山田 太郎,1975/3/12,03-1234-5678",  # data, not titles
    ],
)
def test_not_a_header(line: str) -> None:
    with pytest.raises(UnusableInput, match="no recognisable header row") as raised:
        header_of(line)
    assert "氏名" in str(raised.value) and "証券番号" in str(raised.value)


def test_unknown_columns_are_reported_and_blank_titles_are_not() -> None:
    header = header_of("顧客ID,氏名,,電話,備考,紹介者 メモ,,")
    assert header.ignored_columns == ("顧客ID", "備考", "紹介者 メモ")
    assert header.width == 8


def test_address_details_are_kept_apart_from_the_address() -> None:
    header = header_of("氏名,電話,住所,番地,建物名")
    assert header.columns[Field.ADDRESS] == (Column(2, "住所"),)
    assert header.columns[Field.ADDRESS_DETAIL] == (Column(3, "番地"), Column(4, "建物名"))


def test_the_first_qualifying_row_wins() -> None:
    assert header_of("氏名,電話", "氏名,証券番号").line == 1
